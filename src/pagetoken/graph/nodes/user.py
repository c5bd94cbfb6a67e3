"""The user node: profile, permissions, accounts (Pages), and Page creation."""

from __future__ import annotations

import hashlib
from typing import Any

from pagetoken.authority import access, grants, issue, pages, roles, users
from pagetoken.authority.records import User
from pagetoken.core import errors
from pagetoken.core.kinds import TokenKind
from pagetoken.core.permissions import CATALOG, LEGACY, wire_tasks

from ..call import Call
from ..fields import narrow
from ..registry import APP_ONLY, USER_ONLY, Field, NodeType, Op, Param

ACCOUNT_DEFAULTS = ["access_token", "category", "category_list", "name", "id", "tasks"]


def category_entry(name: str) -> dict[str, str]:
    """A Page category as `category_list` lists it: `{id, name}`. pagetoken's categories are free text, so
    the ID is derived from the name (the same name, the same ID everywhere)."""
    digest = hashlib.sha256(name.strip().lower().encode("utf-8")).digest()
    return {"id": str(100000000000000 + int.from_bytes(digest[:8], "big") % 900000000000000), "name": name}


def _visible_user(call: Call) -> User:
    """The user the call may see: the token's own user, or a user of the app token's app."""
    tok = call.require_token()
    uid = call.node_id
    user = users.get(call.auth, uid)
    if user is None:
        raise errors.ObjectMissing(uid)
    if tok.kind == TokenKind.USER and tok.user_id == uid:
        return user
    if tok.kind == TokenKind.APP and (user.test_app_id == tok.app_id
                                      or grants.authorization(call.auth, uid, tok.app_id)):
        return user
    raise errors.ObjectMissing(uid)


def read_user(call: Call) -> dict[str, Any]:
    """GET /{user-id}: `email` needs the email permission (checked by dispatch from the registry)."""
    user = _visible_user(call)
    obj: dict[str, Any] = {"id": user.id, "name": user.name, "email": user.email if call.wants("email") else None}
    return narrow(obj, call.selection, NODE.default_fields)


def list_permissions(call: Call) -> dict[str, Any]:
    tok = call.require_token()
    uid = _visible_user(call).id
    if not grants.installed(call.auth, uid, tok.app_id):
        items: list[dict[str, Any]] = []
    else:
        items = [{"permission": g.permission, "status": g.status}
                 for g in grants.list_grants(call.auth, uid, tok.app_id)]
        if not any(i["permission"] == "public_profile" for i in items):  # granted with every install
            items.insert(0, {"permission": "public_profile", "status": "granted"})
    wanted = call.arg("permission") or call.param("permission")
    if wanted:
        names = set(LEGACY.get(wanted, (wanted,)))
        items = [i for i in items if i["permission"] in names]
    return {"data": items}


def _owner_or_app(call: Call) -> tuple[str, str]:
    tok = call.require_token()
    uid = _visible_user(call).id
    if tok.kind not in (TokenKind.USER, TokenKind.APP):
        raise errors.BadParameter("a user or app access token is required")
    return uid, tok.app_id


def delete_permissions(call: Call) -> dict[str, Any]:
    uid, app_id = _owner_or_app(call)
    grants.remove_app(call.auth, uid, app_id)
    return {"success": True}


def delete_permission(call: Call) -> dict[str, Any]:
    uid, app_id = _owner_or_app(call)
    perm = call.arg("permission") or ""
    if perm not in CATALOG and perm not in LEGACY:
        raise errors.BadParameter(f"Invalid permission: {perm}")
    grants.remove_permission(call.auth, uid, app_id, perm)
    return {"success": True}


def list_accounts(call: Call) -> dict[str, Any]:
    """The user's Pages the app may act on, each with a Page token and the user's tasks."""
    tok = call.require_token()
    uid = _visible_user(call).id
    if tok.kind != TokenKind.USER:
        raise errors.BadParameter("/accounts needs a user access token")
    fields = set(call.selection) if call.selection is not None else set(ACCOUNT_DEFAULTS)
    if not access.has(call.auth, tok, "pages_show_list", None):
        raise errors.MissingPermission("pages_show_list")
    # Only the Pages the user chose for the app.
    chosen = [(page, tasks) for page, tasks in roles.pages_of(call.auth, uid)
              if grants.granted(call.auth, uid, tok.app_id, page.id)]
    tokens = issue.page_tokens_for_user(call.auth, tok, [p.id for p, _ in chosen]) if "access_token" in fields else {}
    items = []
    for page, tasks in chosen:
        item: dict[str, Any] = {"id": page.id, "name": page.name, "category": page.category,
                                "category_list": [category_entry(page.category)], "tasks": wire_tasks(tasks)}
        if "access_token" in fields:
            item["access_token"] = tokens[page.id]
        items.append(item)
    return call.paged(items, ACCOUNT_DEFAULTS, summary={"total_count": len(items)})


def create_page(call: Call) -> dict[str, Any]:
    tok = call.require_token()
    uid = _visible_user(call).id
    if tok.kind != TokenKind.USER or tok.user_id != uid:
        raise errors.BadParameter("a Page can only be created with the user's own access token")
    page = pages.create(call.auth, call.param("name", required=True) or "",
                        call.param("category", required=True) or "", uid)
    return {"id": page.id}


def delete_test_user(call: Call) -> dict[str, Any]:
    """DELETE /{test-user-id} with the app's token (registered on the user node)."""
    tok = call.require_token()
    user = users.require(call.auth, call.node_id)
    if tok.kind != TokenKind.APP or user.test_app_id != tok.app_id:
        raise errors.NotTestUser()
    users.delete_user(call.auth, user.id)
    return {"success": True}


NODE = NodeType(
    name="user",
    description="A person who uses apps and manages Pages.",
    fields=(Field("id", "The user's ID", default=True), Field("name", "Full name", default=True),
            Field("email", "Email address", permission="email")),
    ops=[
        Op("GET", None, read_user, "Read a user", tokens=frozenset({TokenKind.USER, TokenKind.APP})),
        Op("GET", "permissions", list_permissions, "Permissions the user granted or declined the app",
           tokens=frozenset({TokenKind.USER, TokenKind.APP}), params=(Param("permission", "Only this permission"),)),
        Op("GET", "permissions/{permission}", list_permissions, "One permission's status (data: that entry)",
           tokens=frozenset({TokenKind.USER, TokenKind.APP})),
        Op("DELETE", "permissions", delete_permissions, "Remove the app: every token of the user for it dies",
           tokens=frozenset({TokenKind.USER, TokenKind.APP})),
        Op("DELETE", "permissions/{permission}", delete_permission, "Decline one permission",
           tokens=frozenset({TokenKind.USER, TokenKind.APP})),
        Op("GET", "accounts", list_accounts, "The user's Pages, each with a Page token and tasks",
           tokens=USER_ONLY, paged=True),
        Op("POST", "accounts", create_page, "Create a Page the user owns", tokens=USER_ONLY,
           params=(Param("name", required=True), Param("category", required=True))),
        Op("DELETE", None, delete_test_user, "Delete a test user", tokens=APP_ONLY),
    ],
)
