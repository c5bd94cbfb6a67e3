"""Settings › Authorized Apps (`/settings/apps`): what each app may do for the user, and "Revoke Access"."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pagetoken.authority import apps, grants, roles
from pagetoken.authority.records import User
from pagetoken.core import errors
from pagetoken.core.permissions import CATALOG, PAGE_PERMISSIONS

from .common import Web
from .helpers import form_post, span, when
from .session import form_value

HOME = "/settings/apps"


class Authorized:
    """The Authorized Apps handlers around one `Web`."""

    def __init__(self, web: Web) -> None:
        self.web = web
        self.auth = web.auth

    def _entries(self, user: User) -> list[dict[str, Any]]:
        now = self.auth.now()
        out = []
        rows = grants.authorized_apps(self.auth, user.id)
        page_names = {p.id: p.name for p, _ in roles.pages_of(self.auth, user.id)}
        listed = [(row, grants.list_grants(self.auth, user.id, row.app_id)) for row in rows]
        for row, gs in listed:
            app = apps.get(self.auth, row.app_id)
            if app is None:
                continue
            granted = [g for g in gs if g.status == grants.GRANTED]
            page_grants = [g for g in granted if g.permission in PAGE_PERMISSIONS]
            all_pages = any(g.target_ids is None for g in page_grants)
            targets = sorted({t for g in page_grants for t in (g.target_ids or ())})
            out.append({
                "app": app,
                "granted": [{"name": g.permission, "tier": CATALOG[g.permission].tier,
                             "description": CATALOG[g.permission].description,
                             "removable": g.permission != "public_profile"} for g in granted],
                "declined": [g.permission for g in gs if g.status == grants.DECLINED],
                "has_page_grants": bool(page_grants), "all_pages": all_pages,
                "pages": [page_names.get(t, f"Page {t}") for t in targets],
                "since": when(row.consented_at),
                "expires": when(row.data_access_expires_at),
                "expires_in": span(row.data_access_expires_at - now) if row.data_access_expires_at else "",
            })
        return sorted(out, key=lambda e: e["app"].name.lower())

    def page(self, request: Request, user: User, status: int = 200, *, notice: str = "",
             error: str = "") -> Response:
        return self.web.render(request, "authorized.html", status=status, title="Authorized Apps", nav="settings",
                               user=user, entries=self._entries(user), notice=notice, error=error)

    async def show(self, request: Request) -> Response:
        user = self.web.current_user(request)
        if user is None:
            return self.web.login_redirect(request)
        return self.page(request, user)

    def _installed(self, user: User, app_id: str) -> bool:
        if not app_id.isdigit():
            return False
        return grants.installed(self.auth, user.id, app_id)

    @form_post(HOME)
    async def revoke(self, request: Request, form: FormData, user: User) -> Response:
        app_id = str(request.path_params["app_id"])
        if not self._installed(user, app_id):
            return self.page(request, user, 404, error="That app is not among your authorized apps.")
        app = apps.require(self.auth, app_id)
        grants.remove_app(self.auth, user.id, app_id)
        return self.page(request, user, notice=f"Removed {app.name}. Every token it held for you has stopped "
                                               "working, and it can no longer act for you or your Pages.")

    @form_post(HOME)
    async def remove_permission(self, request: Request, form: FormData, user: User) -> Response:
        app_id = str(request.path_params["app_id"])
        permission = form_value(form, "permission")
        if not self._installed(user, app_id):
            return self.page(request, user, 404, error="That app is not among your authorized apps.")
        if permission == "public_profile":
            return self.page(request, user, 400, error="public_profile comes with every app; remove the app instead.")
        app = apps.require(self.auth, app_id)
        try:
            grants.remove_permission(self.auth, user.id, app_id, permission)
        except errors.ApiError as exc:
            return self.page(request, user, 400, error=exc.message)
        return self.page(request, user, notice=f"{app.name} no longer has {permission}. Its tokens keep working "
                                               "without it.")


def routes(web: Web) -> list[Route]:
    a = Authorized(web)
    return [
        Route("/settings/apps", a.show, methods=["GET"]),
        Route("/settings/apps/{app_id}/revoke", a.revoke, methods=["POST"]),
        Route("/settings/apps/{app_id}/remove-permission", a.remove_permission, methods=["POST"]),
    ]
