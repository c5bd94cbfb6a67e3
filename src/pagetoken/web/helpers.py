"""Small helpers the Explorer, the App Dashboard and Authorized Apps share."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from pagetoken.authority.records import User

from .common import SECURITY_HEADERS, Web
from .session import form_value


def when(ts: float | None, never: str = "never") -> str:
    """A timestamp as people read it, in UTC."""
    if not ts:
        return never
    return datetime.fromtimestamp(ts, UTC).strftime("%d %b %Y, %H:%M UTC")


def span(seconds: float) -> str:
    """A duration in its two largest units: `59 days 23 h`, `12 min 5 s`."""
    s = max(0, int(seconds))
    days, rest = divmod(s, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} day{'s' if days != 1 else ''} {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {secs} s"


def mask(secret: str) -> str:
    """Enough of a token or secret to recognise it, never enough to use it."""
    if len(secret) <= 12:
        return "•" * len(secret)
    return f"{secret[:6]}{'•' * 12}{secret[-4:]}"


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def json_answer(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status, headers=SECURITY_HEADERS)


async def posted(web: Web, request: Request, home: str) -> tuple[FormData, User] | Response:
    """The form of a POST from a logged-in user with a valid CSRF token; otherwise the refusal.

    `home` is the tool's page, where a visitor whose session ended comes back to after logging in.
    """
    form = await request.form()
    if not web.sessions.csrf_ok(request, form_value(form, "csrf_token")):
        if wants_json(request):
            return json_answer({"error": "The form has expired or did not come from this site."}, 403)
        return web.forbidden(request, "The form has expired or did not come from this site. "
                                      "Reload the page and try again.")
    user = web.current_user(request)
    if user is None:
        if wants_json(request):
            return json_answer({"error": "Log in first."}, 401)
        return RedirectResponse("/login?" + urlencode({"next": home}), status_code=303)
    return form, user


FormHandler = Callable[[Any, Request, FormData, User], Awaitable[Response]]


def form_post(home: str) -> Callable[[FormHandler], Callable[[Any, Request], Awaitable[Response]]]:
    """A tool's POST handler, called only for a logged-in user with a valid CSRF token, with the form
    and the user; anyone else gets `posted`'s refusal. The handler's object must have `.web`."""

    def wrap(handler: FormHandler) -> Callable[[Any, Request], Awaitable[Response]]:
        @functools.wraps(handler)
        async def run(tool: Any, request: Request) -> Response:
            got = await posted(tool.web, request, home)
            if isinstance(got, Response):
                return got
            form, user = got
            return await handler(tool, request, form, user)

        return run

    return wrap


def form_list(form: FormData, name: str) -> list[str]:
    return [v for v in form.getlist(name) if isinstance(v, str)]
