"""The Page's administrative edges: `roles`, `subscribed_apps`, `ads` and `billing`."""

from __future__ import annotations

from typing import Any

from pagetoken.authority import ads, roles, subscriptions
from pagetoken.core import errors
from pagetoken.core.permissions import ADVERTISE, ANY_TASK, MANAGE, wire_tasks

from ..call import Call
from ..registry import USER_OR_PAGE, Op, Param
from . import render


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
    return render.success()


def remove_role(call: Call) -> dict[str, Any]:
    """DELETE /{page-id}/roles `user`: that person's Page tokens for the Page stop working."""
    roles.remove(call.auth, call.node_id, _user_param(call))
    return render.success()


def list_subscribed_apps(call: Call) -> dict[str, Any]:
    items = subscriptions.of_page(call.auth, call.node_id)
    return call.paged(items, ["id", "name", "subscribed_fields"], summary={"total_count": len(items)})


def subscribe_app(call: Call) -> dict[str, Any]:
    """POST /{page-id}/subscribed_apps `subscribed_fields`: subscribe the token's app."""
    tok = call.require_token()
    subscriptions.subscribe(call.auth, call.node_id, tok.app_id, call.param_list("subscribed_fields"))
    return render.success()


def unsubscribe_app(call: Call) -> dict[str, Any]:
    tok = call.require_token()
    subscriptions.unsubscribe(call.auth, call.node_id, tok.app_id)
    return render.success()


def _ad_object(ad: ads.Ad, now: float) -> dict[str, Any]:
    return {"id": ad.id, "name": ad.name, "status": ad.status, "objective": ad.objective,
            "daily_budget": ad.daily_budget, "currency": ad.currency, "post_id": ad.post_id,
            "created_time": render.graph_time(ad.created_at), "spend": ad.spend(now)}


def list_ads(call: Call) -> dict[str, Any]:
    now = call.auth.now()
    items = [_ad_object(ad, now) for ad in ads.of_page(call.auth, call.node_id)]
    return call.paged(items, ["id", "name", "status"], summary={"total_count": len(items)})


def create_ad(call: Call) -> dict[str, Any]:
    """POST /{page-id}/ads `name, daily_budget, status?, objective?, post_id?` → ``{"id"}``."""
    tok = call.require_token()
    budget = call.param_int("daily_budget", -1, -1, 10**12)
    if budget < 0:
        raise errors.BadParameter("The parameter daily_budget is required (in cents)")
    ad = ads.create(call.auth, call.node_id, call.param("name", max_len=400), budget, call.param("status"),
                    call.param("objective"), call.param("post_id"), app_id=tok.app_id)
    return {"id": ad.id}


def billing(call: Call) -> dict[str, Any]:
    """GET /{page-id}/billing: each ad's spend, with the account's totals as the summary."""
    view = ads.billing(call.auth, call.node_id, call.auth.now())
    answer = call.paged(view["items"], ["id", "name", "status", "daily_budget", "spend", "currency"])
    answer["summary"] = {"total_count": len(view["items"]), "currency": view["currency"],
                         "amount_spent": view["amount_spent"], "daily_spend": view["daily_spend"]}
    return answer


_ROLES_READ = ("pages_read_engagement",)
_ROLES = ("pages_manage_roles",)
_METADATA = ("pages_manage_metadata",)
_ADS = ("pages_manage_ads",)

PAGE_OPS = (
    Op("GET", "roles", list_roles, "People with tasks on the Page", permissions=_ROLES_READ, task=ANY_TASK,
       tokens=USER_OR_PAGE, paged=True),
    Op("POST", "roles", add_role, "Add a person with tasks, or change their tasks", permissions=_ROLES, task=MANAGE,
       tokens=USER_OR_PAGE, params=(Param("user", required=True), Param("tasks", required=True, kind="list"))),
    Op("DELETE", "roles", remove_role, "Remove a person (their Page tokens for the Page die)", permissions=_ROLES,
       task=MANAGE, tokens=USER_OR_PAGE, params=(Param("user", required=True),)),
    Op("GET", "subscribed_apps", list_subscribed_apps, "Apps subscribed to the Page", permissions=_METADATA,
       task=MANAGE, tokens=USER_OR_PAGE, paged=True),
    Op("POST", "subscribed_apps", subscribe_app, "Subscribe the token's app to the Page", permissions=_METADATA,
       task=MANAGE, tokens=USER_OR_PAGE, params=(Param("subscribed_fields", required=True, kind="list"),)),
    Op("DELETE", "subscribed_apps", unsubscribe_app, "Unsubscribe the token's app", permissions=_METADATA,
       task=MANAGE, tokens=USER_OR_PAGE),
    Op("GET", "ads", list_ads, "The Page's ads", permissions=_ADS, task=ADVERTISE, tokens=USER_OR_PAGE, paged=True),
    Op("POST", "ads", create_ad, "Create an ad for the Page", permissions=_ADS, task=ADVERTISE, tokens=USER_OR_PAGE,
       params=(Param("name", required=True), Param("daily_budget", required=True, kind="integer"),
               Param("status", "ACTIVE or PAUSED"), Param("objective"), Param("post_id"))),
    Op("GET", "billing", billing, "What the Page's ads have spent", permissions=_ADS, task=ADVERTISE,
       tokens=USER_OR_PAGE, paged=True),
)
