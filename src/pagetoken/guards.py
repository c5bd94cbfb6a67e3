"""What guards every request before any handler reads it.

`declared_too_large` and `bounded` (applied to every request by `server.Front`) count the request
body while it streams in and stop at the limit, whatever the framing (Content-Length or chunked) and
whatever the content type (JSON, form, each multipart part is part of the body), so no upload makes
the server hold more than the limit in memory.
`HeaderTimeoutProtocol` (uvicorn's HTTP/1.1 protocol on httptools, h11 where httptools is missing)
closes connections that take too long to send their request head and refuses heads over 16 KB.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
from typing import Any

from starlette.types import Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - httptools missing
    HttpToolsProtocol = None  # type: ignore[assignment,misc]

from pagetoken.core import errors

MAX_BODY = 5 * 1024 * 1024
TOO_LARGE = "the request body is larger than 5 MB"


class BodyTooLarge(errors.BadParameter):
    """Raised from `receive` once the body passes the limit; answered as a Graph 100."""

    def __init__(self) -> None:
        super().__init__(TOO_LARGE)


def _error_body(exc: errors.ApiError) -> bytes:
    return json.dumps(exc.body(), separators=(",", ":")).encode()


async def send_graph_error(send: Send, exc: errors.ApiError, *extra: tuple[bytes, bytes]) -> None:
    body = _error_body(exc)
    headers = [(b"content-type", b"application/json; charset=UTF-8"),
               (b"content-length", str(len(body)).encode()), (b"connection", b"close"),
               *((k.lower().encode(), v.encode()) for k, v in exc.headers.items()), *extra]
    await send({"type": "http.response.start", "status": exc.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def declared_too_large(scope: Scope, limit: int = MAX_BODY) -> bool:
    """Whether the request says (Content-Length) that its body is over `limit` bytes."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length" and value.strip().isdigit() and int(value) > limit:
            return True
    return False


def bounded(receive: Receive, limit: int = MAX_BODY) -> Receive:
    """`receive`, counting the body as it arrives: BodyTooLarge once it passes `limit` bytes, whatever
    the framing (Content-Length or chunked) and the content type."""
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge()
        return message

    return counted


HEADER_TIMEOUT_ENV = "PAGETOKEN_HEADER_TIMEOUT_SECONDS"
HEADER_TIMEOUT = 10.0
# The largest request head (request line and headers) read: h11's own bound, kept for httptools too.
MAX_HEAD = 16 * 1024


def raw_graph_error(status: int, reason: str, exc: errors.ApiError) -> bytes:
    """A whole HTTP/1.1 answer carrying a Graph error, that closes the connection: for what the protocol
    refuses before any request reaches the app."""
    body = _error_body(exc)
    return (f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json; charset=UTF-8\r\n"
            f"connection: close\r\ncontent-length: {len(body)}\r\n\r\n").encode() + body


class HeadGuard:
    """What pagetoken adds to uvicorn's HTTP/1.1 protocols (mixed into both, below):

    - a deadline on reading request heads: a connection that has not sent a whole request head
      `header_timeout` seconds after it opened (or after its previous response) is closed, so slow,
      unfinished requests cannot hold connections forever;
    - a bound on a request head's size (`MAX_HEAD`, answered 431): h11 has its own, httptools none;
    - a Graph error, not plain text, for a request the parser refuses;
    - TCP_NODELAY on every connection."""

    header_timeout: float | None = None  # seconds; None: env PAGETOKEN_HEADER_TIMEOUT_SECONDS, else 10
    # provided by the uvicorn protocol this is mixed into
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    cycle: Any

    def connection_made(self, transport: asyncio.Transport) -> None:
        self._header_timer: asyncio.TimerHandle | None = None
        self._head_bytes = 0
        if self.header_timeout is None:
            raw = os.environ.get(HEADER_TIMEOUT_ENV, "").strip()
            self.header_timeout = float(raw) if raw.replace(".", "", 1).isdigit() else HEADER_TIMEOUT
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            # uvicorn's multi-worker listener is made with protocol 0, and asyncio sets TCP_NODELAY only
            # on sockets that name IPPROTO_TCP: without this, every answer waited ~40 ms for an ACK.
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)  # type: ignore[misc]
        self._arm()

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self.header_timeout or HEADER_TIMEOUT, self._too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _waiting_for_headers(self) -> bool:
        return self.cycle is None or bool(self.cycle.response_complete)

    def data_received(self, data: bytes) -> None:
        waiting = self._waiting_for_headers()
        if waiting and self._header_timer is None:
            self._arm()
        super().data_received(data)  # type: ignore[misc]
        if not self._waiting_for_headers():
            self._disarm()
            self._head_bytes = 0
        elif waiting and not self.transport.is_closing():
            # still no whole head: what has come so far is head (a body is only read once its head is)
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEAD:
                self.transport.write(raw_graph_error(431, "Request Header Fields Too Large", errors.BadParameter(
                    f"the request head is larger than {MAX_HEAD // 1024} KB")))
                self.transport.close()

    def send_400_response(self, msg: str) -> None:
        """What the parser refuses (a control character in the path, a broken request line) is answered
        as a Graph error too, not as uvicorn's plain text."""
        self.transport.write(raw_graph_error(400, "Bad Request", errors.BadParameter(msg)))
        self.transport.close()

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        self._head_bytes = 0
        if self._waiting_for_headers() and not self.transport.is_closing():
            self._arm()  # the next request head is due within the deadline too (slow or part-sent)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)  # type: ignore[misc]

    def _too_slow(self) -> None:
        self._header_timer = None
        if self._waiting_for_headers() and not self.transport.is_closing():
            self.transport.close()


class HeaderTimeoutH11(HeadGuard, H11Protocol):  # type: ignore[misc]  # (uvicorn narrows the transport)
    """uvicorn's pure-Python HTTP/1.1 protocol (h11) with the guards above."""


if HttpToolsProtocol is not None:
    class HeaderTimeoutProtocol(HeadGuard, HttpToolsProtocol):  # type: ignore[misc]
        """uvicorn's HTTP/1.1 protocol on httptools (llhttp, in C) with the guards above: about half the
        CPU of h11 per answer, most of it saved in writing the Graph API's dozen response headers."""
else:  # pragma: no cover - httptools is a dependency; h11 is the fallback where it cannot be installed
    class HeaderTimeoutProtocol(HeadGuard, H11Protocol):  # type: ignore[no-redef,misc]
        """uvicorn's h11 protocol with the guards above (httptools is not installed)."""
