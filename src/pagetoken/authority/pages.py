"""Pages: creating them, reading them, updating their profile fields (the people on them: `roles`)."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select, update

from pagetoken.core import errors
from pagetoken.core.kinds import ObjectType
from pagetoken.store.store import add_node
from pagetoken.store.tables import pages, users

from . import objects, roles
from .context import Authority
from .records import Page

EDITABLE = ("about", "description", "phone", "website")


def create(auth: Authority, name: str, category: str, owner_id: str, node_id: str | None = None) -> Page:
    """A Page whose owner holds every task."""
    name, category = name.strip(), category.strip()
    if not name or len(name) > 200:
        raise errors.BadParameter("name must be 1 to 200 characters")
    if not category or len(category) > 100:
        raise errors.BadParameter("category must be 1 to 100 characters")
    now = auth.now()
    with auth.store.write() as conn:
        if conn.execute(select(users.c.id).where(users.c.id == owner_id)).first() is None:
            raise errors.ObjectMissing(owner_id)
        page_id = add_node(conn, ObjectType.PAGE, now, node_id)
        conn.execute(insert(pages).values(id=page_id, name=name, category=category, created_at=now))
        roles.grant_all(conn, page_id, owner_id, now)
    page = get(auth, page_id)
    assert page is not None
    return page


def get(auth: Authority, page_id: str, conn: Connection | None = None) -> Page | None:
    """The Page, from memory while nothing changed (`page_changed` and the rest empty the cache)."""
    return objects.cached_by_id(auth, "page", pages, page_id, Page.from_row, conn)


def require(auth: Authority, page_id: str) -> Page:
    return objects.existing(get(auth, page_id), page_id)


def update_fields(auth: Authority, page_id: str, values: dict[str, str]) -> Page:
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise errors.BadParameter(f"cannot update {', '.join(sorted(unknown))}; editable: {', '.join(EDITABLE)}")
    for key, value in values.items():
        if len(value) > 5000:
            raise errors.BadParameter(f"{key} is longer than 5000 characters")
    with auth.store.write() as conn:
        conn.execute(update(pages).where(pages.c.id == page_id).values(**values))
        auth.store.after_commit(conn, lambda: auth.emit("page_changed", page_id=page_id))
    return require(auth, page_id)


def list_all(auth: Authority) -> list[Page]:
    with auth.store.read() as conn:
        return [Page.from_row(r) for r in conn.execute(select(pages).order_by(pages.c.created_at))]
