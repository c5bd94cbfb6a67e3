"""`/{page-id}/roles`: the people with tasks on a Page, their tasks, and changing them."""

from __future__ import annotations

from typing import Any

from pagetoken.authority import roles
from pagetoken.core import errors
from pagetoken.core.permissions import ANY_TASK, MANAGE, wire_tasks

from ..call import Call
from ..registry import USER_OR_PAGE, Op, Param
from . import answers


def list_roles(call: Call) -> dict[str, Any]:
    """GET /{page-id}/roles: `{id, name, tasks}` for everyone with a task on the Page."""
    items = [{**item, "tasks": wire_tasks(item["tasks"])} for item in roles.listing(call.auth, call.node_id)]
    return call.paged(items, ["id", "name", "tasks"], summary={"total_count": len(items)})


def _user_param(call: Call) -> str:
    raw = call.param("user", required=True) or ""
    obj = call.param_object("user") or {}
    user_id = str(obj.get("id") or raw).strip()
    if not user_id.isdigit():
        raise errors.BadParameter("user must be a user ID")
    return user_id


def add_role(call: Call) -> dict[str, Any]:
    """POST /{page-id}/roles `user, tasks`: add a person, or change the tasks they hold."""
    user_id = _user_param(call)
    tasks = call.param_list("tasks")
    if not tasks:
        raise errors.BadParameter("The parameter tasks is required: a list such as [\"MODERATE\",\"ANALYZE\"]")
    roles.assign(call.auth, call.node_id, user_id, tasks)
    return answers.success()


def remove_role(call: Call) -> dict[str, Any]:
    """DELETE /{page-id}/roles `user`: that person's Page tokens for the Page stop working."""
    roles.remove(call.auth, call.node_id, _user_param(call))
    return answers.success()


_READ = ("pages_read_engagement",)
_ROLES = ("pages_manage_roles",)

PAGE_OPS = (
    Op("GET", "roles", list_roles, "People with tasks on the Page", permissions=_READ, task=ANY_TASK,
       tokens=USER_OR_PAGE, paged=True),
    Op("POST", "roles", add_role, "Add a person with tasks, or change their tasks", permissions=_ROLES, task=MANAGE,
       tokens=USER_OR_PAGE, params=(Param("user", required=True), Param("tasks", required=True, kind="list"))),
    Op("DELETE", "roles", remove_role, "Remove a person (their Page tokens for the Page die)", permissions=_ROLES,
       task=MANAGE, tokens=USER_OR_PAGE, params=(Param("user", required=True),)),
)
