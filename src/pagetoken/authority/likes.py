"""Likes of posts and comments, by the Page itself or by people; each like is an engagement."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, func, insert, select

from pagetoken.store.tables import likes

from . import insights
from .context import Authority


def like(auth: Authority, page_id: str, post_id: str, object_id: str, actor_id: str, actor_kind: str) -> bool:
    """Like a post or comment (of post `post_id`); False when the actor liked it already."""
    now = auth.now()
    with auth.store.write() as conn:
        key = (likes.c.object_id == object_id) & (likes.c.actor_id == actor_id)
        if conn.execute(select(likes.c.actor_id).where(key)).first() is not None:
            return False
        conn.execute(insert(likes).values(object_id=object_id, actor_id=actor_id, actor_kind=actor_kind,
                                          page_id=page_id, created_at=now))
        insights.record(conn, page_id, insights.ENGAGEMENT, now, object_id=post_id,
                        actor_id=actor_id)
    return True


def unlike(auth: Authority, object_id: str, actor_id: str) -> bool:
    with auth.store.write() as conn:
        result = conn.execute(delete(likes).where((likes.c.object_id == object_id) & (likes.c.actor_id == actor_id)))
    return bool(result.rowcount)


def of(auth: Authority, object_id: str, conn: Connection | None = None) -> list[Any]:
    """The likes of an object, newest first."""
    with auth.store.reading(conn) as conn:
        return list(conn.execute(select(likes).where(likes.c.object_id == object_id)
                                 .order_by(likes.c.created_at.desc(), likes.c.actor_id)))


def count(auth: Authority, object_id: str, conn: Connection | None = None) -> int:
    with auth.store.reading(conn) as conn:
        return int(conn.execute(select(func.count()).select_from(likes).where(likes.c.object_id == object_id))
                   .scalar() or 0)

