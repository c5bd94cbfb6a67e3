"""The App Dashboard (`/apps`): create apps, reveal and reset secrets, require appsecret_proof, set URLs."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pagetoken.authority import apps
from pagetoken.authority.records import App, User
from pagetoken.core import errors

from .common import Web
from .helpers import form_post, json_answer, wants_json, when
from .session import form_value

HOME = "/apps"


AppHandler = Callable[[Any, Request, FormData, User, App], Awaitable[Response]]


def owned_app(handler: AppHandler) -> Callable[[Any, Request, FormData, User], Awaitable[Response]]:
    """A handler for `/apps/{app_id}/…`, called with the app when it is the user's; a 404 otherwise."""

    @functools.wraps(handler)
    async def run(tool: Dashboard, request: Request, form: FormData, user: User) -> Response:
        app = tool._owned(request, user)
        if app is None:
            return tool._missing(request, user)
        return await handler(tool, request, form, user, app)

    return run


class Dashboard:
    """The dashboard's handlers around one `Web`."""

    def __init__(self, web: Web) -> None:
        self.web = web
        self.auth = web.auth

    def page(self, request: Request, user: User, status: int = 200, *, notice: str = "", error: str = "",
             focus: str = "", revealed: dict[str, str] | None = None, name: str = "") -> Response:
        cards: list[dict[str, Any]] = []
        for app in reversed(apps.list_all(self.auth, owner_id=user.id)):
            cards.append({"app": app, "counts": apps.live_token_counts(self.auth, app.id),
                          "developers": apps.developers(self.auth, app.id),
                          "created": when(app.created_at), "reset": when(app.secret_reset_at, ""),
                          "secret": (revealed or {}).get(app.id, ""), "focus": app.id == focus})
        return self.web.render(request, "apps.html", status=status, title="App Dashboard", nav="apps", user=user,
                               cards=cards, notice=notice, error=error, focus=focus, name=name)

    def _owned(self, request: Request, user: User) -> App | None:
        app_id = str(request.path_params["app_id"])
        app = apps.get(self.auth, app_id) if app_id.isdigit() else None
        return app if app is not None and apps.is_developer(self.auth, app, user.id) else None

    def _missing(self, request: Request, user: User) -> Response:
        if wants_json(request):
            return json_answer({"error": "No such app among yours."}, 404)
        return self.page(request, user, 404, error="That app does not exist or is not yours.")

    async def show(self, request: Request) -> Response:
        user = self.web.current_user(request)
        if user is None:
            return self.web.login_redirect(request)
        return self.page(request, user)

    @form_post(HOME)
    async def create(self, request: Request, form: FormData, user: User) -> Response:
        name = form_value(form, "name")
        try:
            app, secret = apps.create(self.auth, name, owner_id=user.id)
        except errors.ApiError as exc:
            return self.page(request, user, 400, error=f"Could not create the app: {exc.message}", name=name)
        return self.page(request, user, notice=f"Created {app.name}. Copy its secret now and keep it on your "
                                               "server only.", focus=app.id, revealed={app.id: secret})

    @form_post(HOME)
    @owned_app
    async def secret(self, request: Request, form: FormData, user: User, app: App) -> Response:
        value = apps.secret(self.auth, app.id) or ""
        if wants_json(request):
            return json_answer({"id": app.id, "secret": value})
        return self.page(request, user, focus=app.id, revealed={app.id: value})

    @form_post(HOME)
    @owned_app
    async def reset(self, request: Request, form: FormData, user: User, app: App) -> Response:
        before = apps.live_token_counts(self.auth, app.id)
        value = apps.reset_secret(self.auth, app.id)
        after = apps.live_token_counts(self.auth, app.id)
        gone = sum(before.values()) - sum(after.values()) + 1  # and the app token, replaced by a new one
        return self.page(request, user, focus=app.id, revealed={app.id: value},
                         notice=f"New secret for {app.name}. The old one no longer works, and {gone} "
                                f"token{'s' if gone != 1 else ''} made with it stopped working.")

    @form_post(HOME)
    @owned_app
    async def proof(self, request: Request, form: FormData, user: User, app: App) -> Response:
        on = form_value(form, "require_proof") == "on"
        apps.configure(self.auth, app.id, require_proof=on)
        return self.page(request, user, focus=app.id,
                         notice=f"{app.name}: appsecret_proof is {'now required' if on else 'no longer required'} "
                                "on calls with its tokens.")

    @form_post(HOME)
    @owned_app
    async def settings(self, request: Request, form: FormData, user: User, app: App) -> Response:
        uris = [u.strip() for u in form_value(form, "redirect_uris").splitlines() if u.strip()]
        try:
            apps.configure(self.auth, app.id, redirect_uris=uris,
                           deauthorize_url=form_value(form, "deauthorize_url").strip())
        except errors.ApiError as exc:
            return self.page(request, user, 400, focus=app.id, error=f"{app.name}: {exc.message}")
        return self.page(request, user, focus=app.id, notice=f"Saved the settings of {app.name}.")


def routes(web: Web) -> list[Route]:
    d = Dashboard(web)
    return [
        Route("/apps", d.show, methods=["GET"]),
        Route("/apps", d.create, methods=["POST"]),
        Route("/apps/{app_id}/secret", d.secret, methods=["POST"]),
        Route("/apps/{app_id}/reset-secret", d.reset, methods=["POST"]),
        Route("/apps/{app_id}/proof", d.proof, methods=["POST"]),
        Route("/apps/{app_id}/settings", d.settings, methods=["POST"]),
    ]
