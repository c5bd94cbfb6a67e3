"""A loopback HTTP receiver for callbacks, webhooks and OAuth redirects: records every request."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    answered: int  # the status the receiver answered with

    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode())


class Receiver:
    """Listens on 127.0.0.1; answers `status` with `reply` to every request.

    With `hold()` every answer waits until `release()` (so a test can keep a request in flight without
    sleeping); `arrived` is set when a request has come in, and `wait_until(...)` waits for any state.
    """

    def __init__(self, path: str = "/hook", reply: bytes = b"{}", content_type: str = "application/json") -> None:
        self.status = 200
        self.gate = threading.Event()
        self.gate.set()
        self.arrived = threading.Event()
        self.changed = threading.Condition()  # notified whenever a request arrives or is answered
        self.answered = 0  # requests fully answered
        self.requests: list[Received] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("content-length", "0") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                status = outer.status
                with outer.changed:
                    outer.requests.append(Received(self.command, parts.path, parse_qs(parts.query),
                                                   {k.lower(): v for k, v in self.headers.items()}, body, status))
                    outer.changed.notify_all()
                outer.arrived.set()
                outer.gate.wait(timeout=60)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)
                with outer.changed:
                    outer.answered += 1
                    outer.changed.notify_all()

            do_GET = do_POST = _handle  # noqa: N815 - the stdlib's names

            def log_message(self, *_args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"
        self.path = path
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def wait_until(self, condition: Callable[[], bool], timeout: float = 15.0) -> None:
        """Return once `condition()` holds, re-checked at every request and answer; fail past `timeout`
        (a bound against a hang, not a measure of time)."""
        with self.changed:
            assert self.changed.wait_for(condition, timeout=timeout), "the receiver never saw it"

    def hold(self) -> None:
        self.gate.clear()

    def release(self) -> None:
        self.gate.set()

    def on(self, path: str | None = None) -> list[Received]:
        """The requests to `path` (the receiver's own path by default)."""
        wanted = path or self.path
        return [r for r in self.requests if r.path == wanted]

    def close(self) -> None:
        self.release()
        self.httpd.shutdown()
        self.httpd.server_close()
