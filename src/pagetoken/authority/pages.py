"""Pages and the people on them: creation, roles and tasks (losing a role kills its Page tokens)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from pagetoken.core import errors
from pagetoken.core.permissions import TASKS, normalise_tasks
from pagetoken.store.db import dumps, loads
from pagetoken.store.store import add_node
from pagetoken.store.tables import page_roles, pages, tokens, users

from . import revoke
from .context import Authority
from .records import Page

EDITABLE = ("about", "description", "phone", "website")


def create(auth: Authority, name: str, category: str, owner_id: str) -> Page:
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
        page_id = add_node(conn, "page", now)
        conn.execute(insert(pages).values(id=page_id, name=name, category=category, created_at=now))
        conn.execute(insert(page_roles).values(page_id=page_id, user_id=owner_id, tasks=dumps(list(TASKS)),
                                               updated_at=now))
    page = get(auth, page_id)
    assert page is not None
    return page


def get(auth: Authority, page_id: str, conn: Connection | None = None) -> Page | None:
    with auth.store.reading(conn) as c:
        row = c.execute(select(pages).where(pages.c.id == page_id)).first()
    return Page.from_row(row) if row else None


def require(auth: Authority, page_id: str) -> Page:
    page = get(auth, page_id)
    if page is None:
        raise errors.ObjectMissing(page_id)
    return page


def update_fields(auth: Authority, page_id: str, values: dict[str, str]) -> Page:
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise errors.BadParameter(f"cannot update {', '.join(sorted(unknown))}; editable: {', '.join(EDITABLE)}")
    for key, value in values.items():
        if len(value) > 5000:
            raise errors.BadParameter(f"{key} is longer than 5000 characters")
    with auth.store.write() as conn:
        conn.execute(update(pages).where(pages.c.id == page_id).values(**values))
    return require(auth, page_id)


_TASKS = select(page_roles.c.tasks).where(
    (page_roles.c.page_id == bindparam("page_id")) & (page_roles.c.user_id == bindparam("user_id")))


def tasks_of(conn: Connection, page_id: str, user_id: str) -> list[str]:
    raw = conn.execute(_TASKS, {"page_id": page_id, "user_id": user_id}).scalar()
    return list(loads(raw, []))


def pages_of(conn: Connection, user_id: str) -> list[tuple[Page, list[str]]]:
    """The Pages where the user holds a task, with those tasks."""
    rows = conn.execute(select(pages, page_roles.c.tasks).select_from(
        pages.join(page_roles, page_roles.c.page_id == pages.c.id)).where(page_roles.c.user_id == user_id)
        .order_by(pages.c.created_at))
    return [(Page.from_row(r), list(loads(r.tasks, []))) for r in rows]


def roles(conn: Connection, page_id: str) -> list[Any]:
    return list(conn.execute(select(page_roles.c.user_id, page_roles.c.tasks, users.c.name).select_from(
        page_roles.join(users, users.c.id == page_roles.c.user_id)).where(page_roles.c.page_id == page_id)
        .order_by(page_roles.c.updated_at)))


def set_tasks(auth: Authority, page_id: str, user_id: str, tasks: Iterable[str]) -> list[str]:
    """Give a user these tasks on the Page (an empty list removes the user's role)."""
    try:
        wanted = normalise_tasks(tasks)
    except ValueError as exc:
        raise errors.BadParameter(str(exc)) from exc
    if not wanted:
        remove_role(auth, page_id, user_id)
        return []
    now = auth.now()
    with auth.store.write() as conn:
        if conn.execute(select(users.c.id).where(users.c.id == user_id)).first() is None:
            raise errors.ObjectMissing(user_id)
        key = (page_roles.c.page_id == page_id) & (page_roles.c.user_id == user_id)
        if conn.execute(select(page_roles.c.user_id).where(key)).first() is None:
            conn.execute(insert(page_roles).values(page_id=page_id, user_id=user_id, tasks=dumps(wanted),
                                                   updated_at=now))
        else:
            conn.execute(update(page_roles).where(key).values(tasks=dumps(wanted), updated_at=now))
    auth.emit("roles_changed", page_id=page_id, user_id=user_id)
    return wanted


def remove_role(auth: Authority, page_id: str, user_id: str) -> bool:
    """Take every task from the user on the Page; their Page tokens for it die (190)."""
    now = auth.now()
    with auth.store.write() as conn:
        result = conn.execute(delete(page_roles).where(
            (page_roles.c.page_id == page_id) & (page_roles.c.user_id == user_id)))
        ids = revoke.revoke_where(conn, now, revoke.TASK_LOST, (tokens.c.page_id == page_id)
                                  & (tokens.c.user_id == user_id) & (tokens.c.kind == "page"))
    auth.emit("tokens_revoked", token_ids=ids)
    auth.emit("roles_changed", page_id=page_id, user_id=user_id)
    return bool(result.rowcount)
