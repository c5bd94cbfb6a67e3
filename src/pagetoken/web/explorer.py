"""The Graph API Explorer: choose an app, get a user token, then a Page token, call the Graph, debug the token.

The server keeps no token: the one in hand travels in the page (hidden fields) and each step posts
it back. With JavaScript on, the request box calls the Graph straight from the browser
(same origin, `Authorization: Bearer`); without it, `/explorer/run` makes the same call in-process.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pagetoken.authority import apps, issue, oauth, pages, roles, validation
from pagetoken.authority.records import User
from pagetoken.core import errors
from pagetoken.core.kinds import Source, TokenKind
from pagetoken.core.permissions import UnknownPermission, parse_scope

from .common import Web
from .explorer_view import ExplorerState, choosable_apps, debug_panel, default_request, legacy_rows, permission_rows
from .helpers import form_list, form_post, json_answer, wants_json
from .session import form_value

HOME = "/explorer"
METHODS = ("GET", "POST", "DELETE")


def _hand(form: FormData) -> ExplorerState:
    return ExplorerState(app_id=form_value(form, "app_id"), user_token=form_value(form, "user_token").strip(),
                token=form_value(form, "token").strip(), page_id=form_value(form, "page_id"))


def graph_params(path: str, params: str) -> tuple[str, list[tuple[str, str]]]:
    """A request box's path and parameter lines as a clean relative path and (name, value) pairs."""
    path = path.strip().lstrip("/")
    if "://" in path or path.startswith("\\"):
        raise ValueError("the path is relative to the Graph, like me/accounts or 123?fields=name")
    query = ""
    if "?" in path:
        path, query = path.split("?", 1)
    pairs = parse_qsl(query, keep_blank_values=True)
    for line in params.replace("&", "\n").splitlines():
        line = line.strip()
        if not line:
            continue
        name, _, value = line.partition("=")
        pairs.append((name.strip(), value.strip()))
    return path, pairs


class Explorer:
    """The Explorer's handlers around one `Web`."""

    def __init__(self, web: Web) -> None:
        self.web = web
        self.auth = web.auth

    def page(self, request: Request, user: User, hand: ExplorerState, status: int = 200) -> Response:
        choices = choosable_apps(self.auth, user)
        ids = [app.id for app, _ in choices]
        if hand.app_id not in ids:
            hand.app_id = ids[0] if ids else ""
        my_pages = roles.pages_of(self.auth, user.id)
        debug = debug_panel(self.auth, hand.token, user)
        if debug and debug["valid"] and debug["type"] == TokenKind.PAGE.debug_type and debug["page"]:
            hand.page_id = hand.page_id or debug["page"].id
        req = hand.run.get("request") or default_request(debug)
        return self.web.render(request, "explorer.html", status=status, title="Graph API Explorer", nav="explorer",
                               user=user, hand=hand, apps=choices, perms=permission_rows(self.auth, user, hand.app_id),
                               legacy=legacy_rows(), pages=my_pages, debug=debug, req=req, run=hand.run,
                               methods=METHODS)

    def answer(self, request: Request, user: User, hand: ExplorerState, status: int = 200) -> Response:
        """JSON for scripts (`Accept: application/json`), the whole page otherwise."""
        if wants_json(request):
            if hand.error:
                return json_answer({"error": hand.error}, status)
            debug = debug_panel(self.auth, hand.token, user)
            return json_answer({"access_token": hand.token, "user_token": hand.user_token,
                                "debug": debug["data"] if debug else None}, status)
        return self.page(request, user, hand, status)

    def refuse(self, request: Request, user: User, hand: ExplorerState, message: str) -> Response:
        """The Explorer again, saying why the step did not happen (HTTP 400)."""
        hand.error = message
        return self.answer(request, user, hand, 400)

    async def show(self, request: Request) -> Response:
        user = self.web.current_user(request)
        if user is None:
            return self.web.login_redirect(request)
        return self.page(request, user, ExplorerState(app_id=request.query_params.get("app", "")))

    @form_post(HOME)
    async def user_token(self, request: Request, form: FormData, user: User) -> Response:
        hand = ExplorerState(app_id=form_value(form, "app_id"))
        if hand.app_id not in {app.id for app, _ in choosable_apps(self.auth, user)}:
            return self.refuse(request, user, hand, "Choose one of your apps first.")
        try:
            scopes = parse_scope(["public_profile", *form_list(form, "permission")])
        except UnknownPermission as exc:
            return self.refuse(request, user, hand, f"There is no permission called {exc.name}.")
        app = apps.require(self.auth, hand.app_id)
        issued = oauth.grant_and_token(self.auth, app, user.id, scopes, [], None, source=Source.EXPLORER)
        hand.user_token = hand.token = issued.access_token
        hand.notice = f"User access token for {app.name}, with {len(scopes)} permissions."
        return self.answer(request, user, hand)

    @form_post(HOME)
    async def page_token(self, request: Request, form: FormData, user: User) -> Response:
        return self._step(request, user, _hand(form), self._page_token)

    @form_post(HOME)
    async def extend(self, request: Request, form: FormData, user: User) -> Response:
        return self._step(request, user, _hand(form), self._extend)

    def _step(self, request: Request, user: User, hand: ExplorerState,
              step: Callable[[ExplorerState, User], str | None]) -> Response:
        """A step that makes a new token from the one in hand: `step` puts it in `hand` (with a notice), or
        says why not, by returning the reason or raising a Graph error."""
        try:
            refused = step(hand, user)
        except errors.ApiError as exc:
            refused = exc.message
        if refused is not None:
            return self.refuse(request, user, hand, refused)
        return self.answer(request, user, hand)

    def _page_token(self, hand: ExplorerState, user: User) -> str | None:
        info = validation.resolve(self.auth, hand.user_token)
        if info.kind != TokenKind.USER or info.user_id != user.id:
            raise errors.BadParameter("Get a user access token first: Page tokens are made from it.")
        token = issue.page_tokens_for_user(self.auth, info, [hand.page_id])[hand.page_id]
        if token is None:
            return "You hold no task on that Page, so there is no Page token to get."
        hand.token = token
        page = pages.get(self.auth, hand.page_id)
        hand.notice = f"Page access token for {page.name if page else hand.page_id}."
        return None

    def _extend(self, hand: ExplorerState, user: User) -> str | None:
        info = validation.resolve(self.auth, hand.token)
        app = apps.require(self.auth, info.app_id)
        if info.user_id != user.id and app.owner_id != user.id:
            raise errors.BadParameter("You can only extend your own tokens.")
        issued = oauth.exchange(self.auth, app, hand.token)
        if hand.token == hand.user_token:
            hand.user_token = issued.access_token
        hand.token = issued.access_token
        hand.notice = "Extended: a new long-lived token. The old one stays valid until it expires."
        return None

    @form_post(HOME)
    async def debug(self, request: Request, form: FormData, user: User) -> Response:
        return self.answer(request, user, _hand(form))

    @form_post(HOME)
    async def run(self, request: Request, form: FormData, user: User) -> Response:
        """The request box without JavaScript: the same Graph call, made in-process."""
        hand = _hand(form)
        method = form_value(form, "method").upper()
        box = {"method": method if method in METHODS else "GET", "path": form_value(form, "path"),
               "params": form_value(form, "params")}
        hand.run = {"request": box}
        try:
            path, pairs = graph_params(box["path"], box["params"])
        except ValueError as exc:
            hand.error = str(exc)
            return self.page(request, user, hand, 400)
        hand.run.update(await self._call(request, box["method"], path, pairs, hand.token))
        return self.page(request, user, hand)

    async def _call(self, request: Request, method: str, path: str, pairs: list[tuple[str, str]],
                    token: str) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        transport = httpx.ASGITransport(app=request.scope["app"])
        started = time.perf_counter()
        async with httpx.AsyncClient(transport=transport, base_url=str(request.base_url)) as client:
            encoded = urlencode(pairs)
            if method == "POST":
                headers["Content-Type"] = "application/x-www-form-urlencoded"
                reply = await client.post("/v25.0/" + path, content=encoded, headers=headers)
            else:
                url = "/v25.0/" + path + (f"?{encoded}" if encoded else "")
                reply = await client.request(method, url, headers=headers)
        try:
            body = json.dumps(reply.json(), indent=2, ensure_ascii=False)
        except ValueError:
            body = reply.text
        return {"status": reply.status_code, "ok": reply.status_code < 400, "body": body,
                "ms": int((time.perf_counter() - started) * 1000)}


def routes(web: Web) -> list[Route]:
    ex = Explorer(web)
    return [
        Route("/explorer", ex.show, methods=["GET"]),
        Route("/explorer/user-token", ex.user_token, methods=["POST"]),
        Route("/explorer/page-token", ex.page_token, methods=["POST"]),
        Route("/explorer/extend", ex.extend, methods=["POST"]),
        Route("/explorer/debug", ex.debug, methods=["POST"]),
        Route("/explorer/run", ex.run, methods=["POST"]),
    ]
