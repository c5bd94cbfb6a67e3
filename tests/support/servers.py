"""Real servers for tests: in-process uvicorn on a free loopback port, or a `pagetoken serve` subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from pagetoken.authority import apps, issue, oauth, pages, users
from pagetoken.authority.context import Authority
from pagetoken.core.clock import ManualClock
from pagetoken.core.kinds import Source
from pagetoken.core.proof import appsecret_proof
from pagetoken.devtools import launch
from pagetoken.devtools.launch import free_port
from pagetoken.guards import HeaderTimeoutProtocol
from pagetoken.server import build_app


def listening_socket() -> socket.socket:
    """A loopback socket bound to a port the kernel chose, already listening: handed to the server as it
    is, so no other process can take the port between choosing it and serving on it. (IPPROTO_TCP named
    explicitly: asyncio sets TCP_NODELAY on accepted connections only then, else every answer waits ~40 ms.)"""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


def refused_url(path: str = "/") -> tuple[socket.socket, str]:
    """A URL on which connections are refused: a port this process holds bound but never listens on.
    Keep the socket open while the URL is in use."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock, f"http://127.0.0.1:{sock.getsockname()[1]}{path}"


@dataclass
class World:
    """An app, a user who installed it with some permissions, and a Page the user owns."""

    app_id: str
    secret: str
    app_token: str
    user_id: str
    password: str
    page_id: str
    user_token: str


class _Signalling(uvicorn.Server):
    """A uvicorn server that says when it has started (its lifespan ran, its sockets accept)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.up = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets=sockets)
        finally:
            self.up.set()


class InThread:
    """An ASGI app served by uvicorn in a thread of this process, on a free loopback port, with the HTTP
    protocol `pagetoken serve` uses (uvicorn settings such as `http=` may be given)."""

    def __init__(self, app: Any, **settings: Any) -> None:
        self.app = app
        self.sock = listening_socket()
        self.port = int(self.sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, **{"log_level": "warning", "access_log": False, "http": HeaderTimeoutProtocol,
                                        **settings})
        self.server = _Signalling(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def start(self) -> InThread:
        self.thread.start()
        if not self.server.up.wait(timeout=20) or not self.server.started:
            self.stop()
            raise RuntimeError(f"the server at {self.url} did not start")
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


class ThreadServer(InThread):
    """build_app(auth) served in a thread, so tests can move the authority's clock."""

    def __init__(self, auth: Authority, clock: ManualClock) -> None:
        self.auth = auth
        self.clock = clock
        super().__init__(build_app(auth))

    def start(self) -> ThreadServer:
        super().start()
        return self

    # ---- helpers to set the scene ----

    def world(self, permissions: str = "pages_show_list,pages_read_engagement,pages_manage_posts,read_insights",
              targets: list[str] | None = None) -> World:
        user, password = users.create(self.auth, "Tess Tester", f"tess{time.time_ns()}@example.com", "correct horse")
        app, secret = apps.create(self.auth, "Test App", owner_id=user.id,
                                  redirect_uris=["http://127.0.0.1:9/callback"])
        page = pages.create(self.auth, "Test Page", "Software", user.id)
        granted = oauth.scopes_or_error(permissions)
        issued = oauth.grant_and_token(self.auth, app, user.id, granted, [],
                                       targets if targets is None else targets, source=Source.DIALOG)
        return World(app.id, secret, issue.app_token(self.auth, app.id), user.id, password, page.id,
                     issued.access_token)

    def get(self, path: str, **params: Any) -> httpx.Response:
        return httpx.get(self.url + path, params=params, timeout=10)

    def post(self, path: str, **params: Any) -> httpx.Response:
        return httpx.post(self.url + path, data=params, timeout=10)

    def delete(self, path: str, **params: Any) -> httpx.Response:
        return httpx.delete(self.url + path, params=params, timeout=10)

    @staticmethod
    def proof(token: str, secret: str) -> str:
        return appsecret_proof(token, secret)


@dataclass
class ProcessServer:
    """`pagetoken serve` in a subprocess, its output captured to a log file."""

    data_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    db: str | None = None
    workers: int = 1
    serve_args: list[str] = field(default_factory=list)  # e.g. ["--dev"]

    def __post_init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.data_dir / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "pagetoken.cli", "--data-dir", str(self.data_dir)]
        if self.db:
            cmd += ["--db", self.db]
        return subprocess.run([*cmd, *args], capture_output=True, text=True, env=self._env(), check=check,
                              timeout=120)

    def _env(self) -> dict[str, str]:
        return {**os.environ, **self.env}

    def start(self) -> ProcessServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)

        def command(port: int) -> list[str]:
            cmd = [sys.executable, "-m", "pagetoken.cli", "--data-dir", str(self.data_dir)]
            if self.db:
                cmd += ["--db", self.db]
            return [*cmd, "serve", "--port", str(port), "--workers", str(self.workers), *self.serve_args]

        self.proc, self.port = launch.start_serve(command, self.log_path, self._env(), port=self.port)
        self.url = f"http://127.0.0.1:{self.port}"
        return self

    def stop(self) -> None:
        if self.proc:
            launch.stop(self.proc)


class LiveServer(ProcessServer):
    """`pagetoken serve` with short lifetimes and an app, for client and vault tests against the real thing."""

    app_id: str
    app_secret: str
    app_token: str

    def setup_app(self, name: str = "Live App") -> LiveServer:
        import json as _json

        created = _json.loads(self.cli("apps", "create", "--name", name, "--json").stdout)
        self.app_id, self.app_secret, self.app_token = created["id"], created["secret"], created["app_token"]
        return self

    def user_token(self, permissions: str = "pages_show_list,pages_read_engagement,pages_manage_posts",
                   with_page: bool = True) -> tuple[str, str]:
        """A test user who installed the app: (user_id, short-lived user token); with a Page of their own."""
        created = httpx.post(f"{self.url}/{self.app_id}/accounts/test-users", timeout=10,
                             data={"access_token": self.app_token, "installed": "true",
                                   "permissions": permissions}).json()
        if with_page:
            httpx.post(f"{self.url}/{created['id']}/accounts", timeout=10,
                       data={"access_token": created["access_token"], "name": "Live Page", "category": "Shop"})
        return created["id"], created["access_token"]

    def authority(self) -> Authority:
        """The server's own authority, opened on the same data directory (for server-side counts)."""
        from pagetoken.authority.context import Settings
        from pagetoken.core.lifetimes import Lifetimes

        return Authority.open(Settings(self.data_dir, self.db, Lifetimes.from_env({**os.environ, **self.env})))

    def exchanged_count(self, token: str) -> int | None:
        """How many times the server exchanged `token` (fb_exchange_token), counted in its database;
        None when the server never issued `token` (so 0 means "known, and never exchanged")."""
        auth = self.authority()
        try:
            return exchanged_count(auth, token)
        finally:
            auth.close()


def exchanged_count(auth: Authority, token: str) -> int | None:
    """The tokens made from `token` by fb_exchange_token; None for a token the authority never issued."""
    from sqlalchemy import func, select

    from pagetoken.store.tables import tokens

    with auth.store.read() as conn:
        parent = conn.execute(select(tokens.c.id).where(tokens.c.hash == auth.hash(token))).scalar()
        if parent is None:
            return None
        return int(conn.execute(select(func.count()).select_from(tokens).where(
            (tokens.c.parent_id == parent) & (tokens.c.how == "exchange"))).scalar_one())


def deliveries(auth: Authority, app_id: str) -> list[Any]:
    """The deauthorize delivery rows of an app, newest first (what the callback worker sees)."""
    from sqlalchemy import select

    from pagetoken.store.tables import deliveries as table

    with auth.store.read() as conn:
        return list(conn.execute(select(table).where(table.c.app_id == app_id).order_by(table.c.id.desc())))
