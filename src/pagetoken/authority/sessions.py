"""Web sessions ended on the server: a logged-out session cookie stops working at once, wherever it
was copied to, until it would have expired anyway."""

from __future__ import annotations

from sqlalchemy import delete, insert, select

from pagetoken.store.tables import meta

from .context import Authority

PREFIX = "logout:"


def end(auth: Authority, sid: str, expires_at: float) -> None:
    """Remember that session `sid` ended (until it would have expired), and forget ended sessions
    that have expired since."""
    now = auth.now()
    with auth.store.write() as conn:
        rows = conn.execute(select(meta.c.key, meta.c.value).where(meta.c.key.like(PREFIX + "%"))).all()
        old = [r.key for r in rows if float(r.value.decode() or 0) < now]
        if old:
            conn.execute(delete(meta).where(meta.c.key.in_(old)))
        key = PREFIX + sid
        if conn.execute(select(meta.c.key).where(meta.c.key == key)).first() is None:
            conn.execute(insert(meta).values(key=key, value=str(expires_at).encode()))


def ended(auth: Authority, sid: str) -> bool:
    with auth.store.read() as conn:
        return conn.execute(select(meta.c.key).where(meta.c.key == PREFIX + sid)).first() is not None
