"""ASGI middleware that guards every request before any handler reads it.

`BodyLimit` counts the request body while it streams in and stops at the limit, whatever the
framing (Content-Length or chunked) and whatever the content type (JSON, form, each multipart part
is part of the body), so no upload makes the server hold more than the limit in memory.
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pagetoken.core import errors

MAX_BODY = 5 * 1024 * 1024
TOO_LARGE = "the request body is larger than 5 MB"


class BodyTooLarge(errors.BadParameter):
    """Raised from `receive` once the body passes the limit; answered as a Graph 100."""

    def __init__(self) -> None:
        super().__init__(TOO_LARGE)


async def send_graph_error(send: Send, exc: errors.GraphError) -> None:
    body = json.dumps(exc.body(), separators=(",", ":")).encode()
    headers = [(b"content-type", b"application/json; charset=UTF-8"),
               (b"content-length", str(len(body)).encode()), (b"connection", b"close"),
               *((k.lower().encode(), v.encode()) for k, v in exc.headers.items())]
    await send({"type": "http.response.start", "status": exc.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Refuse request bodies larger than `limit` bytes, counted as they arrive."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.strip().isdigit() and int(value) > self.limit:
                await send_graph_error(send, BodyTooLarge())
                return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge()
            return message

        async def watched(message: MutableMapping[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge as exc:
            if started:
                raise
            await send_graph_error(send, exc)
