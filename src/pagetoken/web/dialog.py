"""The OAuth dialog: log in, choose permissions and Pages, and go back to the app with a code or token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from pagetoken.authority import apps, grants, oauth, roles
from pagetoken.authority.records import App
from pagetoken.core import errors
from pagetoken.core.permissions import CATALOG, LEGACY, PAGE_PERMISSIONS

from .common import Web
from .session import form_value

RESPONSE_TYPES = ("code", "token")


@dataclass
class DialogRequest:
    app: App
    redirect_uri: str
    state: str
    scopes: list[str]
    response_type: str
    auth_type: str
    raw_scope: str


def parse(web: Web, values: Any) -> DialogRequest:
    """The dialog's parameters, checked: a known app, a registered redirect_uri, known permissions."""
    client_id = (values.get("client_id") or "").strip()
    app = apps.get(web.auth, client_id) if client_id.isdigit() else None
    if app is None:
        raise errors.BadParameter("Invalid App ID: the client_id does not name an app")
    redirect_uri = values.get("redirect_uri") or ""
    if redirect_uri not in app.redirect_uris:
        raise errors.BadParameter("URL blocked: the redirect_uri is not one of the app's registered redirect URIs. "
                               "Add it exactly, in the App Dashboard.")
    response_type = (values.get("response_type") or "code").strip()
    if response_type not in RESPONSE_TYPES:
        raise errors.BadParameter(f"response_type must be code or token, not {response_type!r}")
    raw_scope = values.get("scope") or "public_profile"
    scopes = oauth.scopes_or_error(raw_scope)
    if "public_profile" not in scopes:
        scopes.insert(0, "public_profile")
    return DialogRequest(app, redirect_uri, values.get("state") or "", scopes, response_type,
                         (values.get("auth_type") or "").strip(), raw_scope)


def _back(req: DialogRequest, params: dict[str, str]) -> RedirectResponse:
    if req.state:
        params["state"] = req.state
    if req.response_type == "token" and "error" not in params:
        return RedirectResponse(f"{req.redirect_uri}#{urlencode(params)}", status_code=303)
    sep = "&" if "?" in req.redirect_uri else "?"
    return RedirectResponse(f"{req.redirect_uri}{sep}{urlencode(params)}", status_code=303)


def routes(web: Web) -> list[Route]:
    async def show(request: Request) -> Response:
        try:
            req = parse(web, request.query_params)
        except errors.ApiError as exc:
            return web.render(request, "message.html", status=400, title="This link does not work",
                              message=exc.message)
        user = web.current_user(request)
        if user is None:
            return web.login_redirect(request)
        previous = {g.permission: g.status for g in grants.list_grants(web.auth, user.id, req.app.id)}
        my_pages = roles.pages_of(web.auth, user.id)
        legacy = {name: ", ".join(expanded) for name, expanded in LEGACY.items()
                  if name in req.raw_scope.replace(" ", ",").split(",")}
        perms = [{"name": s, "tier": CATALOG[s].tier, "description": CATALOG[s].description,
                  "checked": previous.get(s) != "declined" or req.auth_type == "rerequest"} for s in req.scopes]
        return web.render(request, "dialog.html", title=f"Continue to {req.app.name}", req=req, perms=perms,
                          pages=my_pages, legacy=legacy,
                          needs_pages=any(s in PAGE_PERMISSIONS for s in req.scopes))

    async def submit(request: Request) -> Response:
        form = await request.form()
        if not web.sessions.csrf_ok(request, form_value(form, "csrf_token")):
            return web.forbidden(request, "The form has expired or did not come from this site. Start again.")
        user = web.current_user(request)
        if user is None:
            return web.login_redirect(request)
        try:
            req = parse(web, form)
        except errors.ApiError as exc:
            return web.render(request, "message.html", status=400, title="This link does not work",
                              message=exc.message)
        if form_value(form, "action") != "approve":
            return _back(req, {"error": "access_denied", "error_code": "200",
                               "error_description": "Permissions error", "error_reason": "user_denied"})
        checked = {v for v in form.getlist("permission") if isinstance(v, str)}
        granted = [s for s in req.scopes if s in checked or s == "public_profile"]
        declined = [s for s in req.scopes if s not in granted]
        mine = {p.id for p, _ in roles.pages_of(web.auth, user.id)}
        targets: list[str] | None = None
        if form_value(form, "all_pages") != "1":
            targets = [v for v in form.getlist("page") if isinstance(v, str) and v in mine]
        if req.response_type == "token":
            issued = oauth.grant_and_token(web.auth, req.app, user.id, granted, declined, targets)
            params = {"access_token": issued.access_token, "token_type": "bearer",
                      "expires_in": str(int((issued.expires_at or 0) - web.auth.now())),
                      "data_access_expiration_time": str(int(web.auth.now() + web.auth.lifetimes.data_access))}
            return _back(req, params)
        code = oauth.grant_and_code(web.auth, req.app, user.id, req.redirect_uri, granted, declined, targets)
        return _back(req, {"code": code})

    return [
        Route("/dialog/oauth", show, methods=["GET"]),
        Route("/dialog/oauth", submit, methods=["POST"]),
        Route("/{version:str}/dialog/oauth", show, methods=["GET"]),
    ]
