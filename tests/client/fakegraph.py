"""A small stand-in for the Graph API's token endpoints on 127.0.0.1, for rotation and CLI tests.

It answers the real Graph API's shapes and error rows (built with `pagetoken.core.errors`), checks
appsecret_proof, mints tokens in the real format, and counts exchanges and revocations per token
so tests can prove each token was exchanged exactly once.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pagetoken.core import errors
from pagetoken.core.clock import Clock, SystemClock
from pagetoken.core.proof import appsecret_proof
from pagetoken.core.tokens import new_app_secret, new_token

LONG = 60 * 86400


@dataclass
class Tok:
    kind: str
    user_id: str = ""
    page_id: str = ""
    scopes: tuple[str, ...] = ("pages_show_list", "pages_read_engagement")
    issued_at: int = 0
    expires_at: int = 0
    data_access_expires_at: int = 0
    revoked: bool = False
    error: str | None = None  # "app_removed", "password_changed", "data_access_expired"


@dataclass
class FakeGraph:
    clock: Clock = field(default_factory=SystemClock)
    app_id: str = "1234567890"
    secret: str = field(default_factory=new_app_secret)
    lifetime: int = LONG
    require_proof: bool = True
    pages: dict[str, str] = field(default_factory=lambda: {"111": "Page One", "222": "Page Two"})
    tokens: dict[str, Tok] = field(default_factory=dict)
    exchanges: Counter[str] = field(default_factory=Counter)
    revocations: Counter[str] = field(default_factory=Counter)
    attempts: Counter[str] = field(default_factory=Counter)  # exchange requests, failed ones included
    fail_next: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    exchange_delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    # ---- scene ----

    def user_token(self, user_id: str = "9001", lifetime: int | None = None, **kw: Any) -> str:
        now = int(self.clock.now())
        tok = new_token()
        life = self.lifetime if lifetime is None else lifetime
        self.tokens[tok] = Tok("USER", user_id, "", issued_at=now, expires_at=now + life,
                               data_access_expires_at=now + 90 * 86400, **kw)
        return tok

    @property
    def app_token(self) -> str:
        return f"{self.app_id}|{self.secret}"

    # ---- serving ----

    def start(self) -> FakeGraph:
        graph = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                params = dict(parse_qsl(parts.query))
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    params.update(parse_qsl(self.rfile.read(length).decode()))
                path = re.sub(r"^/v\d+\.\d+", "", parts.path).strip("/")
                status, body, headers = graph.handle(self.command, path, params)
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.send_header("X-App-Usage", '{"call_count":1,"total_time":1,"total_cputime":1}')
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_POST = do_DELETE = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # ---- the Graph ----

    def handle(self, method: str, path: str, params: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        try:
            with self.lock:
                if self.fail_next:
                    status, body = self.fail_next.pop(0)
                    return status, body, {}
            return 200, self._route(method, path, params), {}
        except errors.ApiError as exc:
            return exc.status, exc.body(), exc.headers

    def _check(self, token: str, params: dict[str, str]) -> Tok:
        if token == self.app_token:
            return Tok("APP")
        tok = self.tokens.get(token)
        if tok is None:
            raise errors.InvalidToken()
        if "appsecret_proof" in params:
            if params["appsecret_proof"] != appsecret_proof(token, self.secret):
                raise errors.ProofInvalid()
        elif self.require_proof:
            raise errors.ProofRequired()
        if tok.revoked:
            raise errors.SessionInvalidated()
        if tok.error == "app_removed":
            raise errors.AppNotAuthorized(tok.user_id, self.app_id)
        if tok.error == "password_changed":
            raise errors.PasswordChanged()
        if tok.error == "data_access_expired":
            raise errors.DataAccessExpired()
        if tok.expires_at and tok.expires_at <= self.clock.now():
            raise errors.TokenExpired("then", "now")
        return tok

    def _route(self, method: str, path: str, params: dict[str, str]) -> Any:
        if path == "debug_token":
            if params.get("access_token") != self.app_token:
                raise errors.AppTokenRequired()
            return {"data": self._debug(params.get("input_token", ""))}
        if path == "oauth/access_token":
            if method == "DELETE":
                tok = self._check(params.get("access_token", ""), params)
                tok.revoked = True
                with self.lock:
                    self.revocations[params["access_token"]] += 1
                return {"success": True}
            if (params.get("client_id"), params.get("client_secret")) != (self.app_id, self.secret):
                raise errors.BadParameter("Error validating client secret.")
            if params.get("grant_type") == "client_credentials":
                return {"access_token": self.app_token, "token_type": "bearer"}
            return self._exchange(params.get("fb_exchange_token", ""))
        token = params.get("access_token", "")
        tok = self._check(token, params)
        if path == "me/accounts":
            return {"data": [self._page(pid, tok) for pid in self.pages],
                    "paging": {"cursors": {"before": "b", "after": "a"}}}
        if path in self.pages:
            return self._page(path, tok)
        raise errors.UnknownPath(path)

    def _exchange(self, old: str) -> Any:
        import time

        if self.exchange_delay:
            time.sleep(self.exchange_delay)
        with self.lock:
            self.attempts[old] += 1
        tok = self.tokens.get(old)
        if tok is None:
            raise errors.InvalidToken()
        self._check(old, {"appsecret_proof": appsecret_proof(old, self.secret)})
        with self.lock:
            self.exchanges[old] += 1
        now = int(self.clock.now())
        fresh = new_token()
        self.tokens[fresh] = Tok(tok.kind, tok.user_id, tok.page_id, tok.scopes, now, now + self.lifetime,
                                 tok.data_access_expires_at)
        return {"access_token": fresh, "token_type": "bearer", "expires_in": self.lifetime}

    def _page(self, page_id: str, user: Tok) -> dict[str, Any]:
        fresh = new_token()
        self.tokens[fresh] = Tok("PAGE", user.user_id, page_id, user.scopes, int(self.clock.now()),
                                 user.expires_at, user.data_access_expires_at)
        return {"id": page_id, "name": self.pages[page_id], "access_token": fresh, "category": "Software",
                "tasks": ["MANAGE"]}

    def _debug(self, token: str) -> dict[str, Any]:
        tok = self.tokens.get(token)
        if tok is None:
            return {"is_valid": False, "scopes": [], "error": {"code": 190, "message": "Invalid OAuth access token"}}
        data = {"app_id": self.app_id, "type": tok.kind, "application": "Fake App", "is_valid": not tok.revoked,
                "issued_at": tok.issued_at, "expires_at": tok.expires_at,
                "data_access_expires_at": tok.data_access_expires_at, "scopes": list(tok.scopes),
                "user_id": tok.user_id}
        if tok.page_id:
            data["profile_id"] = tok.page_id
        return data
