"""What the Graph API Explorer shows: the apps to choose from, the permission list, the debug panel."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pagetoken.authority import apps, grants, pages, users, validation
from pagetoken.authority.context import Authority
from pagetoken.authority.records import App, User
from pagetoken.core import errors
from pagetoken.core.kinds import TokenKind
from pagetoken.core.permissions import BASIC, CATALOG, LEGACY

from .helpers import span, when

DEFAULT_PERMISSIONS = ("public_profile", "pages_show_list", "pages_read_engagement")


@dataclass
class ExplorerState:
    """What the Explorer holds between requests (in the page itself: the server keeps no token)."""

    app_id: str = ""
    user_token: str = ""
    token: str = ""
    page_id: str = ""
    error: str = ""
    notice: str = ""
    run: dict[str, Any] = field(default_factory=dict)


def choosable_apps(auth: Authority, user: User) -> list[tuple[App, str]]:
    """The apps the user may use in the Explorer: those they own, then those they authorized."""
    out: list[tuple[App, str]] = [(app, "your app") for app in apps.list_all(auth, owner_id=user.id)]
    seen = {app.id for app, _ in out}
    rows = grants.authorized_apps(auth, user.id)
    for row in rows:
        app = apps.get(auth, row.app_id)
        if app is not None and app.id not in seen:
            out.append((app, "authorized"))
            seen.add(app.id)
    return out


def permission_rows(auth: Authority, user: User, app_id: str) -> dict[str, list[dict[str, Any]]]:
    """The permission checklist, by tier, ticked where the user grants the app the permission now."""
    status: dict[str, str] = {}
    if app_id:
        status = {g.permission: g.status for g in grants.list_grants(auth, user.id, app_id)}
    has_grants = any(s == grants.GRANTED for s in status.values())
    tiers: dict[str, list[dict[str, Any]]] = {"basic": [], "extended": []}
    for perm in CATALOG.values():
        ticked = status.get(perm.name) == grants.GRANTED if has_grants else perm.name in DEFAULT_PERMISSIONS
        tiers["basic" if perm.tier == BASIC else "extended"].append(
            {"name": perm.name, "description": perm.description, "checked": ticked or perm.name == "public_profile",
             "status": status.get(perm.name, ""), "fixed": perm.name == "public_profile"})
    return tiers


def legacy_rows() -> list[dict[str, Any]]:
    return [{"name": name, "expands": list(expanded)} for name, expanded in LEGACY.items()]


NOT_YOURS = ("This token is not yours to inspect: the Explorer shows only your own tokens and the tokens of "
             "apps you develop.")


def may_inspect(auth: Authority, viewer: User, app_id: Any, user_id: Any) -> bool:
    """A token is the viewer's to inspect when it is theirs or its app is one they develop."""
    if user_id and str(user_id) == viewer.id:
        return True
    app = apps.get(auth, str(app_id)) if app_id else None
    return app is not None and apps.is_developer(auth, app, viewer.id)


def debug_panel(auth: Authority, token: str, viewer: User) -> dict[str, Any] | None:
    """The debug view of the token in hand (what debug_token says, with names put to the IDs), for a
    token the viewer may inspect; anyone else's token shows nothing about it."""
    token = token.strip()
    if not token:
        return None
    hidden = {"valid": False, "data": {"is_valid": False, "scopes": [], "error": {"message": NOT_YOURS}},
              "error": NOT_YOURS, "app_name": "", "type": "unknown"}
    try:
        info = validation.resolve(auth, token)
    except errors.ApiError as exc:
        data = validation.describe_invalid(auth, token, exc)
        known = data.get("app_id") or data.get("user_id")  # an unknown token has nothing to hide
        if known and not may_inspect(auth, viewer, data.get("app_id"), data.get("user_id")):
            return hidden
        return {"valid": False, "data": data, "error": exc.message,
                "app_name": data.get("application", ""), "type": data.get("type", "unknown")}
    if not may_inspect(auth, viewer, info.app_id, info.user_id):
        return hidden
    data = validation.describe(auth, info)
    expires = info.expires_at
    remaining = None if expires is None else max(0, int(expires - auth.now()))
    user = users.get(auth, info.user_id) if info.user_id else None
    page = pages.get(auth, info.page_id) if info.page_id else None
    page_names = _page_names(auth, data.get("granular_scopes", []))
    extendable = info.kind == TokenKind.USER or (info.kind == TokenKind.PAGE and info.long_lived)
    return {
        "valid": True, "data": data, "type": data["type"], "long_lived": info.long_lived,
        "app_name": data.get("application", ""), "app_id": info.app_id,
        "user": user, "page": page, "origin": info.origin,
        "scopes": data.get("scopes", []),
        "granular": [{"scope": g["scope"], "targets": [page_names.get(t, t) for t in g.get("target_ids", [])]}
                     for g in data.get("granular_scopes", [])],
        "issued": when(info.issued_at), "expires": when(expires),
        "remaining": remaining, "remaining_text": "" if remaining is None else span(remaining),
        "data_access": when(info.data_access_expires_at, "not applicable"),
        "extendable": extendable,
        "lifetime": "long-lived" if info.long_lived else "short-lived",
    }


def _page_names(auth: Authority, granular: list[dict[str, Any]]) -> dict[str, str]:
    ids = {t for g in granular for t in g.get("target_ids", [])}
    names = {}
    for page_id in ids:
        page = pages.get(auth, page_id)
        if page is not None:
            names[page_id] = f"{page.name} ({page_id})"
    return names


def default_request(debug: dict[str, Any] | None) -> dict[str, str]:
    """The request box's starting call: who the token acts for."""
    if debug and debug.get("valid") and debug["type"] == TokenKind.PAGE.debug_type:
        return {"method": "GET", "path": "me", "params": "fields=id,name,category,about"}
    return {"method": "GET", "path": "me", "params": "fields=id,name"}
