"""Making apps, users, Pages and tokens directly, for `serve --dev`, its seed files and the pytest plugin.

Everything goes through the same capabilities as the long way (consent recorded, tokens issued by
`issue`), so a minted token validates, shows in `debug_token` and dies exactly like any other.
"""

from __future__ import annotations

from typing import Any

from pagetoken.core import errors
from pagetoken.core.kinds import Source

from . import apps, grants, issue, oauth, pages, users, validation
from .context import Authority

KINDS = ("user_short", "user_long", "page", "app")


def _scopes(raw: Any) -> list[str] | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        return oauth.scopes_or_error(raw)
    if isinstance(raw, list) and all(isinstance(s, str) for s in raw):
        return oauth.scopes_or_error(",".join(raw))
    raise errors.BadParameter("scopes must be a list of permissions or a comma-separated string")


def new_app(auth: Authority, name: str | None = None, *, require_proof: bool | None = None,
            redirect_uris: list[str] | None = None, deauthorize_url: str | None = None,
            app_id: str | None = None, secret: str | None = None) -> dict[str, Any]:
    """An app with its secret and an app token: ``{"id", "name", "secret", "app_token"}``."""
    app, secret = apps.create(auth, name or "Test App", redirect_uris=redirect_uris, node_id=app_id, secret=secret)
    if require_proof is not None or deauthorize_url is not None:
        apps.configure(auth, app.id, require_proof=require_proof, deauthorize_url=deauthorize_url)
    return {"id": app.id, "name": app.name, "secret": secret, "app_token": issue.app_token(auth, app.id)}


def new_user(auth: Authority, name: str | None = None, *, app_id: str | None = None, permissions: Any = None,
             email: str | None = None, password: str | None = None, user_id: str | None = None) -> dict[str, Any]:
    """A user; with `app_id`, a test user of that app who installed it with `permissions` and holds a
    short-lived token (``access_token``), as `POST /{app-id}/accounts/test-users` makes them."""
    perms = _scopes(permissions)
    if app_id is None:
        user, pw = users.create(auth, name or "Test User", email, password, node_id=user_id)
        return {"id": user.id, "name": user.name, "email": user.email, "password": pw}
    apps.require(auth, app_id)
    with auth.store.write() as conn:
        user, pw = users.create(auth, name or "Test User", email, password, test_app_id=app_id, conn=conn,
                                node_id=user_id)
        grants.consent(auth, conn, user.id, app_id, perms or ["public_profile"])
        token, expires = issue.user_token(auth, conn, user.id, app_id, Source.TEST_USER)
    return {"id": user.id, "name": user.name, "email": user.email, "password": pw, "access_token": token,
            "expires_at": int(expires)}


def new_page(auth: Authority, owner: str, name: str | None = None, category: str = "Brand",
             page_id: str | None = None) -> dict[str, Any]:
    page = pages.create(auth, name or "Test Page", category, owner, node_id=page_id)
    return {"id": page.id, "name": page.name, "category": page.category}


def token(auth: Authority, kind: str, app_id: str, user_id: str | None = None, page_id: str | None = None,
          scopes: Any = None) -> dict[str, Any]:
    """A token of `kind` (SPEC §11). `scopes`, when given, are granted first (recorded as the user's
    consent). A `page` token with a `user_id` is the user's long-lived Page token; without one, the
    app's own long-lived Page token (the Page must have granted the app access)."""
    if kind not in KINDS:
        raise errors.BadParameter(f"kind must be one of {', '.join(KINDS)}")
    if not app_id:
        raise errors.BadParameter("app_id is required")
    apps.require(auth, app_id)
    perms = _scopes(scopes)
    if kind == "app":
        return {"access_token": issue.app_token(auth, app_id), "token_type": "bearer", "kind": kind}
    if kind.startswith("user") or user_id:
        if not user_id:
            raise errors.BadParameter(f"a {kind} token needs user_id")
        users.require(auth, user_id)
    with auth.store.write() as conn:
        if user_id and (perms is not None or not grants.installed(auth, user_id, app_id, conn)):
            grants.consent(auth, conn, user_id, app_id, perms or ["public_profile"])
        if kind in ("user_short", "user_long"):
            assert user_id is not None
            raw, expires = issue.user_token(auth, conn, user_id, app_id, Source.MINTED, long_lived=kind == "user_long")
            return _answer(auth, raw, expires, kind)
        if not page_id:
            raise errors.BadParameter("a page token needs page_id")
        if pages.get(auth, page_id, conn) is None:
            raise errors.ObjectMissing(page_id)
        if user_id is None:
            raw, expires = issue.page_token_for_app(auth, conn, app_id, page_id, long_lived=True)
            return _answer(auth, raw, expires, kind)
        parent, _ = issue.user_token(auth, conn, user_id, app_id, Source.MINTED, long_lived=True)
        info = validation.resolve(auth, parent, conn)
        made = issue.page_token_for_user(auth, conn, info, page_id)
        if made is None:
            raise errors.MissingTask("MANAGE")
        found = validation.resolve(auth, made, conn)
        return _answer(auth, made, found.expires_at, kind)


def _answer(auth: Authority, raw: str, expires: float | None, kind: str) -> dict[str, Any]:
    out: dict[str, Any] = {"access_token": raw, "token_type": "bearer", "kind": kind}
    if expires is not None:
        out["expires_in"] = max(0, int(expires - auth.now()))
        out["expires_at"] = int(expires)
    return out
