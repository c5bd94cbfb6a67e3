"""The application node: public details and test users."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from pagetoken.authority import apps, oauth
from pagetoken.core import errors
from pagetoken.core.kinds import TokenKind

from ..call import Call
from ..fields import narrow
from ..registry import ANY_TOKEN, APP_ONLY, Field, NodeType, Op, Param


def _own_app(call: Call) -> str:
    tok = call.require_token()
    if tok.kind != TokenKind.APP or tok.app_id != call.node_id:
        raise errors.MissingPermission(message="(#200) This call requires the app's own access token")
    return tok.app_id


def read_app(call: Call) -> dict[str, Any]:
    app = apps.require(call.auth, call.node_id)
    obj = {"id": app.id, "name": app.name, "link": f"{call.base_url.rstrip('/')}/apps/{app.id}",
           "category": "Business"}
    return narrow(obj, call.selection, ["link", "name"])


def _login_url(call: Call, email: str | None) -> str:
    """Where the test user logs in to the web tools (the email filled in; the password is theirs to type)."""
    return f"{call.base_url.rstrip('/')}/login?{urlencode({'email': email or '', 'next': '/explorer'})}"


def create_test_user(call: Call) -> dict[str, Any]:
    app_id = _own_app(call)
    user, password, issued = oauth.create_test_user(
        call.auth, app_id, call.param("name", max_len=200), call.param_bool("installed", True),
        ",".join(call.param_list("permissions")))
    out: dict[str, Any] = {"id": user.id}
    if issued is not None:
        out["access_token"] = issued.access_token
    out.update({"login_url": _login_url(call, user.email), "email": user.email, "password": password})
    return out


def list_test_users(call: Call) -> dict[str, Any]:
    app_id = _own_app(call)
    items = []
    for user, token in oauth.test_user_listing(call.auth, app_id):
        item = {"id": user.id, "login_url": _login_url(call, user.email)}
        if token is not None:  # installed ones come with a token
            item["access_token"] = token
        items.append(item)
    return call.paged(items)


NODE = NodeType(
    name="application",
    description="An app that acts for users and Pages.",
    fields=(Field("id", default=True), Field("name", default=True), Field("link", default=True),
            Field("category")),
    ops=[
        Op("GET", None, read_app, "Read an app's public details", tokens=ANY_TOKEN),
        Op("POST", "accounts/test-users", create_test_user, "Create a test user", tokens=APP_ONLY,
           params=(Param("installed", kind="boolean"), Param("permissions", kind="list"), Param("name"))),
        Op("GET", "accounts/test-users", list_test_users, "List the app's test users", tokens=APP_ONLY, paged=True),
    ],
)
