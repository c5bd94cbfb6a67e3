"""People and their tasks on a Page, as `/{page-id}/roles` manages them.

Built on `pages.set_tasks` / `pages.remove_role` (a removed person's Page tokens for the Page die
at once); adds the rule that a Page always keeps someone with the MANAGE task.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, select

from pagetoken.core import errors
from pagetoken.core.permissions import MANAGE, normalise_tasks
from pagetoken.store.db import loads
from pagetoken.store.tables import page_roles, users

from . import pages
from .context import Authority


def listing(conn: Connection, page_id: str) -> list[dict[str, Any]]:
    """Everyone with a task on the Page: `{id, name, tasks}`."""
    return [{"id": r.user_id, "name": r.name, "tasks": list(loads(r.tasks, []))} for r in pages.roles(conn, page_id)]


def _managers(conn: Connection, page_id: str) -> set[str]:
    rows = conn.execute(select(page_roles.c.user_id, page_roles.c.tasks).where(page_roles.c.page_id == page_id))
    return {r.user_id for r in rows if MANAGE in loads(r.tasks, [])}


def _keeps_a_manager(conn: Connection, page_id: str, user_id: str, tasks: list[str]) -> None:
    others = _managers(conn, page_id) - {user_id}
    if not others and MANAGE not in tasks:
        raise errors.BadParameter("A Page must keep at least one person with the MANAGE task")


def assign(auth: Authority, page_id: str, user_id: str, tasks: Iterable[str]) -> list[str]:
    """Add a person to the Page with these tasks, or change the tasks they hold."""
    try:
        wanted = normalise_tasks(tasks)
    except ValueError as exc:
        raise errors.BadParameter(str(exc)) from exc
    if not wanted:
        raise errors.BadParameter("tasks must name at least one of MANAGE, CREATE_CONTENT, MODERATE, MESSAGING, "
                               "ADVERTISE, ANALYZE; DELETE the role to remove a person")
    with auth.store.read() as conn:
        if conn.execute(select(users.c.id).where(users.c.id == user_id)).first() is None:
            raise errors.BadParameter(f"user {user_id} does not exist")
        _keeps_a_manager(conn, page_id, user_id, wanted)
    return pages.set_tasks(auth, page_id, user_id, wanted)


def remove(auth: Authority, page_id: str, user_id: str) -> bool:
    """Take every task from a person on the Page; their Page tokens for it stop working (190)."""
    with auth.store.read() as conn:
        if not pages.tasks_of(conn, page_id, user_id):
            raise errors.BadParameter(f"user {user_id} has no role on Page {page_id}")
        _keeps_a_manager(conn, page_id, user_id, [])
    return pages.remove_role(auth, page_id, user_id)
