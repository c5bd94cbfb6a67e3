"""What every web page shares: templates, the session, CSRF, and rendering."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from pagetoken.authority.context import Authority
from pagetoken.authority.records import User
from pagetoken.core.limits import Limits

from .session import Sessions
from .throttle import Hasher, LoginThrottle

HERE = Path(__file__).parent
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "form-action 'self' http: https:; frame-ancestors 'none'",
    "Cache-Control": "no-store",
}


class Web:
    """The web tools' shared state, handed to each page's handlers."""

    def __init__(self, auth: Authority, public_url: str | None = None) -> None:
        self.auth = auth
        self.public_url = public_url
        self.sessions = Sessions(auth, public_url)
        self.throttle = LoginThrottle(auth.now, Limits.from_env())
        self.hasher = Hasher()
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))

    def render(self, request: Request, template: str, status: int = 200, **context: Any) -> Response:
        seed, new = self.sessions.csrf_seed(request)
        user = context.pop("user", None) or self.sessions.user(request)
        ctx = {"request": request, "user": user, "csrf_token": self.sessions.csrf_token(seed), **context}
        response = self.templates.TemplateResponse(request, template, ctx, status_code=status,
                                                   headers=SECURITY_HEADERS)
        if new:
            self.sessions.set_csrf_cookie(response, request, seed)
        return response

    def login_redirect(self, request: Request) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)

    def current_user(self, request: Request) -> User | None:
        return self.sessions.user(request)

    def forbidden(self, request: Request, message: str) -> Response:
        return self.render(request, "message.html", status=403, title="Request refused", message=message)


def safe_next(target: str | None) -> str:
    """Only same-site paths may be a post-login destination."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/explorer"
    return target


def html(text: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(text, status_code=status, headers=SECURITY_HEADERS)
