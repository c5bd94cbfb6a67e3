"""`/{page-id}/subscribed_apps`: the apps subscribed to a Page's webhooks."""

from __future__ import annotations

from typing import Any

from pagetoken.authority import subscriptions
from pagetoken.core.permissions import MANAGE

from ..call import Call
from ..registry import USER_OR_PAGE, Op, Param
from . import answers


def list_subscribed_apps(call: Call) -> dict[str, Any]:
    items = subscriptions.of_page(call.auth, call.node_id)
    return call.paged(items, ["id", "name", "subscribed_fields"], summary={"total_count": len(items)})


def subscribe_app(call: Call) -> dict[str, Any]:
    """POST /{page-id}/subscribed_apps `subscribed_fields`: subscribe the token's app."""
    tok = call.require_token()
    subscriptions.subscribe(call.auth, call.node_id, tok.app_id, call.param_list("subscribed_fields"))
    return answers.success()


def unsubscribe_app(call: Call) -> dict[str, Any]:
    tok = call.require_token()
    subscriptions.unsubscribe(call.auth, call.node_id, tok.app_id)
    return answers.success()


_METADATA = ("pages_manage_metadata",)

PAGE_OPS = (
    Op("GET", "subscribed_apps", list_subscribed_apps, "Apps subscribed to the Page", permissions=_METADATA,
       task=MANAGE, tokens=USER_OR_PAGE, paged=True),
    Op("POST", "subscribed_apps", subscribe_app, "Subscribe the token's app to the Page", permissions=_METADATA,
       task=MANAGE, tokens=USER_OR_PAGE, params=(Param("subscribed_fields", required=True, kind="list"),)),
    Op("DELETE", "subscribed_apps", unsubscribe_app, "Unsubscribe the token's app", permissions=_METADATA,
       task=MANAGE, tokens=USER_OR_PAGE),
)
