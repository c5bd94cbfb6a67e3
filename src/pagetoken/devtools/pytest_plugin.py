"""The pytest plugin installing pagetoken registers (entry point `pytest11`): the `pagetoken` fixture.

    def test_expired_token_is_refused(pagetoken):
        user = pagetoken.user(permissions=["pages_show_list"])
        pagetoken.advance(7200)
        err = requests.get(f"{pagetoken.url}/me", params={"access_token": user.access_token}).json()["error"]
        assert (err["code"], err["error_subcode"]) == (190, 463)

The first test that asks for the fixture starts one `pagetoken serve --dev` on a free loopback port
for the session (nothing starts otherwise); every test gets it reset (empty, clock at zero offset,
no faults). With `PAGETOKEN_TEST_URL` set, the fixture drives that server instead (started by CI as
`pagetoken serve --dev`; `PAGETOKEN_CONTROL_TOKEN` if it has one).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from . import launch

DEFAULT_PERMISSIONS = ("pages_show_list", "pages_read_engagement")
# Where the developer's own pagetoken keeps its data, and dev settings: the test server has its own.
_NOT_INHERITED = {"PAGETOKEN_DB", "PAGETOKEN_DATA_DIR", "PAGETOKEN_MASTER_KEY", "PAGETOKEN_TEST_URL",
                  "PAGETOKEN_CONTROL_TOKEN", "PAGETOKEN_DEV", "PAGETOKEN_WORKERS", "PAGETOKEN_PUBLIC_URL"}


@dataclass(frozen=True)
class App:
    id: str
    secret: str
    token: str
    name: str


@dataclass(frozen=True)
class User:
    id: str
    access_token: str | None
    name: str
    email: str
    password: str


@dataclass(frozen=True)
class Page:
    id: str
    name: str


class ControlError(RuntimeError):
    """The control API refused a call; `error` is its Graph-shaped error object."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error.get("message", "control call failed"))
        self.error = error


def _id(obj: Any) -> str | None:
    return None if obj is None else str(getattr(obj, "id", obj))


class PageToken:
    """A `serve --dev` server and the calls a test makes of it."""

    def __init__(self, url: str, control_token: str | None = None) -> None:
        self.url = url.rstrip("/")
        headers = {"Authorization": f"Bearer {control_token}"} if control_token else {}
        self.http = httpx.Client(base_url=self.url, headers=headers, timeout=30)
        self._default_app: App | None = None

    def control(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        """Any control API call (`/_pagetoken/PATH`), answered as JSON."""
        r = self.http.request(method, f"/_pagetoken{path}", json=body, params=params or None)
        data = r.json()
        if r.status_code != 200:
            raise ControlError(data.get("error", {}) if isinstance(data, dict) else {"message": r.text})
        return data

    # ---- the scene ----

    def app(self, name: str | None = None, **settings: Any) -> App:
        """A new app (settings: require_proof, redirect_uris, deauthorize_url)."""
        made = self.control("POST", "/apps", {"name": name, **settings})
        return App(made["id"], made["secret"], made["app_token"], made["name"])

    @property
    def default_app(self) -> App:
        """The app `user()` and `token()` use when given none (made on first use in each test)."""
        if self._default_app is None:
            self._default_app = self.app("Test App")
        return self._default_app

    def user(self, app: App | str | None = None, permissions: Any = DEFAULT_PERMISSIONS,
             name: str | None = None) -> User:
        """A test user who installed `app` with `permissions`; `.access_token` is short-lived (1 h)."""
        perms = [permissions] if isinstance(permissions, str) else list(permissions)
        made = self.control("POST", "/users", {"app_id": _id(app) or self.default_app.id, "name": name,
                                               "permissions": perms})
        return User(made["id"], made.get("access_token"), made["name"], made["email"], made["password"])

    def page(self, owner: User | str, name: str | None = None, category: str = "Brand") -> Page:
        """A Page whose owner holds every task."""
        made = self.control("POST", "/pages", {"owner": _id(owner), "name": name, "category": category})
        return Page(made["id"], made["name"])

    def token(self, kind: str, app: App | str | None = None, user: User | str | None = None,
              page: Page | str | None = None, scopes: Any = None) -> str:
        """A token of `kind` (user_short, user_long, page, app), made as the long way makes it."""
        body = {"kind": kind, "app_id": _id(app) or self.default_app.id, "user_id": _id(user),
                "page_id": _id(page), "scopes": [scopes] if isinstance(scopes, str) else scopes}
        return str(self.control("POST", "/tokens", {k: v for k, v in body.items() if v is not None})["access_token"])

    # ---- time, faults, what happened ----

    def advance(self, seconds: float) -> float:
        """Move the server's clock on; returns the server's new time."""
        return float(self.control("POST", "/clock", {"advance": seconds})["now"])

    def set_time(self, epoch: float) -> float:
        return float(self.control("POST", "/clock", {"set": epoch})["now"])

    def now(self) -> float:
        return float(self.control("GET", "/clock")["now"])

    def fail_next(self, path: str | None = None, code: int = 2, subcode: int | None = None, times: int = 1,
                  message: str | None = None, **match: Any) -> dict[str, Any]:
        """The next `times` Graph calls matching `path` (and method=, app=, token=) answer error `code`."""
        if "app" in match:
            match["app_id"] = _id(match.pop("app"))
        if path is not None:
            match["path"] = path
        error: dict[str, Any] = {"code": code}
        if subcode is not None:
            error["error_subcode"] = subcode
        if message is not None:
            error["message"] = message
        return dict(self.control("POST", "/faults", {"match": match, "error": error, "times": times}))

    def clear_faults(self) -> None:
        self.control("DELETE", "/faults")

    def requests(self, limit: int = 50) -> list[dict[str, Any]]:
        """The last Graph calls, newest first: time, method, path, app_id, status, code."""
        return list(self.control("GET", "/requests", limit=limit)["data"])

    def reset(self) -> None:
        self.control("POST", "/reset")
        self._default_app = None

    def state(self) -> dict[str, Any]:
        return dict(self.control("GET", "/state"))

    def load(self, state: dict[str, Any]) -> dict[str, Any]:
        """Import a state (from `state()`) or a fixture of apps, users and Pages."""
        return dict(self.control("PUT", "/state", state))


class _Server:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="pagetoken-test-"))
        env = {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED}
        try:
            self.proc, port = launch.start_serve(
                lambda port: [sys.executable, "-m", "pagetoken.cli", "--data-dir", str(self.dir), "serve", "--dev",
                              "--port", str(port), "--log-level", "warning"], self.dir / "server.log", env)
        except RuntimeError:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise
        self.url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        launch.stop(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def pagetoken_server() -> Iterator[str]:
    """The URL of the session's `serve --dev` server (started on first use, or PAGETOKEN_TEST_URL)."""
    given = os.environ.get("PAGETOKEN_TEST_URL")
    if given:
        yield given
        return
    server = _Server()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def pagetoken(pagetoken_server: str) -> Iterator[PageToken]:
    """A fresh pagetoken for this test: reset, with `.url`, `.app()`, `.user()`, `.page()`, `.token()`,
    `.advance()`, `.fail_next()` and `.requests()`."""
    handle = PageToken(pagetoken_server, os.environ.get("PAGETOKEN_CONTROL_TOKEN") or None)
    handle.reset()
    try:
        yield handle
    finally:
        handle.http.close()
