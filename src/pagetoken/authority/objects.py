"""Any object by its ID: what type it is, and the display names of Pages and people."""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from sqlalchemy import Connection, select

from pagetoken.store.store import node_type
from pagetoken.store.tables import pages, users

from .context import Authority


def type_of(auth: Authority, object_id: str, conn: Connection | None = None) -> str | None:
    """The object's node type (`user`, `page`, `post`, …), or None when no such object exists.
    An ID never changes type, so the answer is kept in memory (a deleted object's own lookup
    then answers that it is gone)."""
    def load() -> str | None:
        with auth.store.reading(conn) as c:
            return node_type(c, object_id)

    return cast("str | None", auth.record_cache.get_or_load(("type", object_id), load))


def names(auth: Authority, ids: Iterable[str], conn: Connection | None = None) -> dict[str, str]:
    """Display names of Pages and people, by ID."""
    wanted = set(ids)
    if not wanted:
        return {}
    with auth.store.reading(conn) as c:
        out = {r.id: r.name for r in c.execute(select(pages.c.id, pages.c.name).where(pages.c.id.in_(wanted)))}
        out.update({r.id: r.name for r in c.execute(select(users.c.id, users.c.name).where(users.c.id.in_(wanted)))})
    return out
