"""Web sessions: signed cookies and CSRF tokens on every form.

The session cookie carries the user ID, the time of their last password change and an expiry,
signed with HMAC-SHA256 under a key derived from the server's secret; a password change ends every
session. CSRF uses a signed double submit: a random `pt_csrf` cookie, and in each form the HMAC of it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from pagetoken.authority import sessions as ended_sessions
from pagetoken.authority import users
from pagetoken.authority.context import Authority
from pagetoken.authority.records import User
from pagetoken.core.proof import same_secret

SESSION_COOKIE = "pt_session"
CSRF_COOKIE = "pt_csrf"
SESSION_SECONDS = 12 * 3600


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def is_secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto", "").lower() == "https"


class Sessions:
    def __init__(self, auth: Authority, public_url: str | None = None) -> None:
        self.auth = auth
        self._key = auth.subkey("web-session")
        # Behind `--public-url https://…` every cookie is Secure, whatever the proxy tells us.
        self.always_secure = bool(public_url and public_url.lower().startswith("https://"))

    def secure(self, request: Request) -> bool:
        return self.always_secure or is_secure(request)

    def _sign(self, payload: bytes) -> str:
        return _b64(hmac.new(self._key, payload, hashlib.sha256).digest())

    # ---- sessions ----

    def _payload(self, request: Request) -> dict[str, Any] | None:
        """The verified, unexpired payload of the request's session cookie."""
        raw = request.cookies.get(SESSION_COOKIE)
        if not raw or "." not in raw:
            return None
        body, sig = raw.rsplit(".", 1)
        try:
            payload = _unb64(body)
        except ValueError:
            return None
        if not same_secret(self._sign(payload), sig):
            return None
        try:
            data = json.loads(payload)
        except ValueError:
            return None
        if not isinstance(data, dict) or data.get("exp", 0) < self.auth.now():
            return None
        return data

    def user(self, request: Request) -> User | None:
        data = self._payload(request)
        if data is None or ended_sessions.ended(self.auth, str(data.get("sid", ""))):
            return None
        user = users.get(self.auth, str(data.get("uid")))
        if user is None or user.password_changed_at != data.get("pwd"):
            return None
        return user

    def login(self, response: Response, request: Request, user_id: str) -> None:
        user = users.get(self.auth, user_id)
        pwd = user.password_changed_at if user is not None else None
        payload = json.dumps({"uid": user_id, "pwd": pwd, "exp": self.auth.now() + SESSION_SECONDS,
                              "sid": secrets.token_urlsafe(8)}, separators=(",", ":")).encode()
        response.set_cookie(SESSION_COOKIE, f"{_b64(payload)}.{self._sign(payload)}", max_age=SESSION_SECONDS,
                            httponly=True, samesite="lax", secure=self.secure(request), path="/")

    def logout(self, response: Response, request: Request) -> None:
        """End the session on the server too, so a copy of the cookie stops working."""
        data = self._payload(request)
        if data is not None and data.get("sid"):
            ended_sessions.end(self.auth, str(data["sid"]), float(data.get("exp", 0)))
        response.delete_cookie(SESSION_COOKIE, path="/", secure=self.secure(request), httponly=True,
                               samesite="lax")

    # ---- CSRF ----

    def csrf_seed(self, request: Request) -> tuple[str, bool]:
        """The visitor's CSRF cookie value, and whether it is new (and must be set)."""
        seed = request.cookies.get(CSRF_COOKIE)
        if seed and 20 <= len(seed) <= 64:
            return seed, False
        return secrets.token_urlsafe(24), True

    def csrf_token(self, seed: str) -> str:
        return self._sign(b"csrf:" + seed.encode())

    def csrf_ok(self, request: Request, form_token: str | None) -> bool:
        seed = request.cookies.get(CSRF_COOKIE)
        if not seed or not form_token:
            return False
        return same_secret(self.csrf_token(seed), form_token)

    def set_csrf_cookie(self, response: Response, request: Request, seed: str) -> None:
        response.set_cookie(CSRF_COOKIE, seed, httponly=True, samesite="lax", secure=self.secure(request),
                            path="/")


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def form_value(form: Any, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""
