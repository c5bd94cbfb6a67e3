"""Apps subscribed to a Page (`/{page-id}/subscribed_apps`), with the webhook fields they want."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from pagetoken.core import errors
from pagetoken.store.db import dumps, loads
from pagetoken.store.tables import apps, subscribed_apps

from .context import Authority

FIELDS = ("feed", "messages", "message_deliveries", "message_reads", "messaging_postbacks", "mention",
          "ratings", "name", "picture", "category", "description", "website", "phone")


def subscribe(auth: Authority, page_id: str, app_id: str, fields: Iterable[str]) -> list[str]:
    """Subscribe the app to the Page (or change its fields); returns the fields now subscribed."""
    wanted: list[str] = []
    for name in fields:
        if name not in FIELDS:
            raise errors.BadParameter(f"subscribed_fields: {name!r} is not one of {', '.join(FIELDS)}")
        if name not in wanted:
            wanted.append(name)
    if not wanted:
        raise errors.BadParameter("The parameter subscribed_fields is required")
    now = auth.now()
    key = (subscribed_apps.c.page_id == page_id) & (subscribed_apps.c.app_id == app_id)
    with auth.store.write() as conn:
        if conn.execute(select(subscribed_apps.c.app_id).where(key)).first() is None:
            conn.execute(insert(subscribed_apps).values(page_id=page_id, app_id=app_id,
                                                        subscribed_fields=dumps(wanted), created_at=now))
        else:
            conn.execute(update(subscribed_apps).where(key).values(subscribed_fields=dumps(wanted)))
    return wanted


def unsubscribe(auth: Authority, page_id: str, app_id: str) -> bool:
    with auth.store.write() as conn:
        result = conn.execute(delete(subscribed_apps).where(
            (subscribed_apps.c.page_id == page_id) & (subscribed_apps.c.app_id == app_id)))
    return bool(result.rowcount)


def of_page(auth: Authority, page_id: str, conn: Connection | None = None) -> list[dict[str, Any]]:
    """`{id, name, subscribed_fields}` for each app subscribed to the Page, oldest first."""
    with auth.store.reading(conn) as conn:
        rows = conn.execute(select(subscribed_apps.c.app_id, subscribed_apps.c.subscribed_fields, apps.c.name)
                            .select_from(subscribed_apps.join(apps, apps.c.id == subscribed_apps.c.app_id))
                            .where(subscribed_apps.c.page_id == page_id).order_by(subscribed_apps.c.created_at))
        return [{"id": r.app_id, "name": r.name, "subscribed_fields": list(loads(r.subscribed_fields, []))}
                for r in rows]
