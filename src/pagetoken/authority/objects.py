"""Any object by its ID: its type, its row (from memory while nothing changes), and display names."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, Table, select

from pagetoken.core import errors
from pagetoken.store.store import node_type
from pagetoken.store.tables import pages, users

from .context import Authority


def remembered(auth: Authority, key: tuple[str, ...], load: Callable[[], Any], conn: Connection | None = None) -> Any:
    """`load()`, kept in memory while nothing changes (the change counter empties the cache; a value
    of None is never kept). A writing transaction that changed what caches remember always reads:
    what it wrote is not yet everyone's, and may yet be rolled back."""
    if auth.store.unsettled(conn):
        return load()
    return auth.record_cache.get_or_load(key, load)


def type_of(auth: Authority, object_id: str, conn: Connection | None = None) -> str | None:
    """The object's node type (`user`, `page`, `post`, …), or None when no such object exists.
    An ID never changes type, so the answer is kept in memory (a deleted object's own lookup
    then answers that it is gone)."""
    def load() -> str | None:
        with auth.store.reading(conn) as c:
            return node_type(c, object_id)

    return cast("str | None", remembered(auth, ("type", object_id), load, conn))


def names(auth: Authority, ids: Iterable[str], conn: Connection | None = None) -> dict[str, str]:
    """Display names of Pages and people, by ID: from memory while nothing changes (a rename is an
    UPDATE of `pages` or `users`, which moves the change counter), the rest in one read."""
    wanted = set(ids)
    if not wanted:
        return {}
    if auth.store.unsettled(conn):
        return _load_names(auth, wanted, conn)
    cache = auth.record_cache
    out: dict[str, str] = {}
    missing = set()
    for ident in wanted:
        hit = cache.get(("name", ident))
        if hit is None:
            missing.add(ident)
        else:
            out[ident] = hit
    if missing:
        generation = cache.generation()
        found = _load_names(auth, missing, conn)
        for ident, name in found.items():
            cache.put(("name", ident), name, generation)
        out.update(found)
    return out


def _load_names(auth: Authority, wanted: set[str], conn: Connection | None) -> dict[str, str]:
    with auth.store.reading(conn) as c:
        out = {r.id: r.name for r in c.execute(select(pages.c.id, pages.c.name).where(pages.c.id.in_(wanted)))}
        out.update({r.id: r.name for r in c.execute(select(users.c.id, users.c.name).where(users.c.id.in_(wanted)))})
    return out


T = TypeVar("T")


def row_by_id(auth: Authority, table: Table, object_id: str, build: Callable[[Any], T],
              conn: Connection | None = None) -> T | None:
    """The record of `table`'s row with this ID (`build` makes it from the row), or None."""
    with auth.store.reading(conn) as c:
        row = c.execute(select(table).where(table.c.id == object_id)).first()
    return build(row) if row is not None else None


def cached_by_id(auth: Authority, kind: str, table: Table, object_id: str, build: Callable[[Any], T],
                 conn: Connection | None = None) -> T | None:
    """`row_by_id`, answered from memory while nothing changed (the change counter empties the cache)."""
    return cast("T | None", remembered(auth, (kind, object_id), lambda: row_by_id(auth, table, object_id, build, conn),
                                       conn))


def existing(found: T | None, object_id: str, method: str = "get") -> T:
    """`found`, or the Graph API's (#100/33) for an object that does not exist (or is not visible)."""
    if found is None:
        raise errors.ObjectMissing(object_id, method)
    return found
