"""People and their tasks on a Page: who holds what, and the one place that changes it.

The Graph API (`/{page-id}/roles`), the web tools and the CLI all change roles here. A Page always
keeps someone with the MANAGE task: the rule is checked and the change written in one transaction,
with the Page's role rows locked (PostgreSQL) or the database's writer lock held (SQLite), so two
concurrent removals cannot leave a Page without a manager. A person who loses every task on a Page
loses their Page tokens for it (190).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from pagetoken.core import errors
from pagetoken.core.kinds import RevocationReason, TokenKind
from pagetoken.core.permissions import MANAGE, TASKS, normalise_tasks
from pagetoken.store.db import dumps, loads
from pagetoken.store.tables import page_roles, pages, tokens, users

from . import objects, revoke
from .context import Authority
from .records import Page

_TASKS = select(page_roles.c.tasks).where(
    (page_roles.c.page_id == bindparam("page_id")) & (page_roles.c.user_id == bindparam("user_id")))


def tasks_of(auth: Authority, page_id: str, user_id: str, conn: Connection | None = None) -> list[str]:
    """The user's tasks on the Page (none: no role)."""
    def load() -> tuple[str, ...]:
        with auth.store.reading(conn) as c:
            return tuple(loads(c.execute(_TASKS, {"page_id": page_id, "user_id": user_id}).scalar(), []))

    return list(objects.remembered(auth, ("tasks", page_id, user_id), load, conn))


def pages_of(auth: Authority, user_id: str, conn: Connection | None = None) -> list[tuple[Page, list[str]]]:
    """The Pages where the user holds a task, with those tasks, oldest Page first."""
    query = (select(pages, page_roles.c.tasks).select_from(pages.join(page_roles, page_roles.c.page_id == pages.c.id))
             .where(page_roles.c.user_id == user_id).order_by(pages.c.created_at))

    def load() -> tuple[tuple[Page, tuple[str, ...]], ...]:
        with auth.store.reading(conn) as c:
            return tuple((Page.from_row(r), tuple(loads(r.tasks, []))) for r in c.execute(query))

    return [(page, list(tasks)) for page, tasks in objects.remembered(auth, ("pages_of", user_id), load, conn)]


def listing(auth: Authority, page_id: str, conn: Connection | None = None) -> list[dict[str, Any]]:
    """Everyone with a task on the Page: `{id, name, tasks}`, longest-standing first."""
    query = (select(page_roles.c.user_id, page_roles.c.tasks, users.c.name)
             .select_from(page_roles.join(users, users.c.id == page_roles.c.user_id))
             .where(page_roles.c.page_id == page_id).order_by(page_roles.c.updated_at))
    with auth.store.reading(conn) as c:
        return [{"id": r.user_id, "name": r.name, "tasks": list(loads(r.tasks, []))} for r in c.execute(query)]


def grant_all(conn: Connection, page_id: str, user_id: str, now: float) -> None:
    """The creator of a Page holds every task on it (inside the Page's creating transaction)."""
    conn.execute(insert(page_roles).values(page_id=page_id, user_id=user_id, tasks=dumps(list(TASKS)),
                                           updated_at=now))


def assign(auth: Authority, page_id: str, user_id: str, tasks: Iterable[str]) -> list[str]:
    """Add a person to the Page with these tasks, or change the tasks they hold."""
    wanted = _normalised(tasks)
    if not wanted:
        raise errors.BadParameter("tasks must name at least one of MANAGE, CREATE_CONTENT, MODERATE, MESSAGING, "
                                  "ADVERTISE, ANALYZE; DELETE the role to remove a person")
    now = auth.now()
    with auth.store.write() as conn:
        if conn.execute(select(users.c.id).where(users.c.id == user_id)).first() is None:
            raise errors.BadParameter(f"user {user_id} does not exist")
        _keeps_a_manager(conn, page_id, user_id, wanted)
        key = (page_roles.c.page_id == page_id) & (page_roles.c.user_id == user_id)
        if conn.execute(select(page_roles.c.user_id).where(key)).first() is None:
            conn.execute(insert(page_roles).values(page_id=page_id, user_id=user_id, tasks=dumps(wanted),
                                                   updated_at=now))
        else:
            conn.execute(update(page_roles).where(key).values(tasks=dumps(wanted), updated_at=now))
        _announce(auth, conn, page_id, user_id)
    return wanted


def remove(auth: Authority, page_id: str, user_id: str) -> None:
    """Take every task from a person on the Page; their Page tokens for it stop working (190)."""
    with auth.store.write() as conn:
        if not tasks_of(auth, page_id, user_id, conn):
            raise errors.BadParameter(f"user {user_id} has no role on Page {page_id}")
        _keeps_a_manager(conn, page_id, user_id, [])
        conn.execute(delete(page_roles).where((page_roles.c.page_id == page_id) & (page_roles.c.user_id == user_id)))
        revoke.revoke(auth, conn, RevocationReason.TASK_LOST, (tokens.c.page_id == page_id)
                      & (tokens.c.user_id == user_id) & (tokens.c.kind == TokenKind.PAGE))
        _announce(auth, conn, page_id, user_id)


def set_tasks(auth: Authority, page_id: str, user_id: str, tasks: Iterable[str]) -> list[str]:
    """`assign` these tasks, or `remove` the person when there are none; returns what they hold now."""
    wanted = _normalised(tasks)
    if not wanted:
        remove(auth, page_id, user_id)
        return []
    return assign(auth, page_id, user_id, wanted)


def _normalised(tasks: Iterable[str]) -> list[str]:
    try:
        return normalise_tasks(tasks)
    except ValueError as exc:
        raise errors.BadParameter(str(exc)) from exc


def _keeps_a_manager(conn: Connection, page_id: str, user_id: str, tasks: list[str]) -> None:
    rows = conn.execute(select(page_roles.c.user_id, page_roles.c.tasks)
                        .where(page_roles.c.page_id == page_id).with_for_update())
    others = {r.user_id for r in rows if MANAGE in loads(r.tasks, [])} - {user_id}
    if not others and MANAGE not in tasks:
        raise errors.BadParameter("A Page must keep at least one person with the MANAGE task")


def _announce(auth: Authority, conn: Connection, page_id: str, user_id: str) -> None:
    auth.store.after_commit(conn, lambda: auth.emit("roles_changed", page_id=page_id, user_id=user_id))
