"""Request bodies are counted while they stream in and refused past 5 MB, whatever their framing."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from pagetoken.authority.context import Authority
from pagetoken.server import build_app

CHUNK = 1024 * 1024
SENT_AT_MOST = 30  # 30 MB offered; a server that reads it all before answering consumes every chunk


def drive(app: Any, path: str, content_type: str, first: bytes = b"", headers: list[tuple[bytes, bytes]] = ()
          ) -> tuple[int, dict[str, Any], int]:
    """POST an endless (here: 30 MB) chunked body to the ASGI app; (status, JSON answer, chunks consumed)."""
    consumed = 0
    out: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal consumed
        consumed += 1
        if consumed > SENT_AT_MOST:
            return {"type": "http.request", "body": b"", "more_body": False}
        body = first if consumed == 1 and first else b"a" * CHUNK
        return {"type": "http.request", "body": body, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        out.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"127.0.0.1"), (b"content-type", content_type.encode()),
                         (b"transfer-encoding", b"chunked"), *headers],
             "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 80)}
    asyncio.run(app(scope, receive, send))
    start = next(m for m in out if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in out if m["type"] == "http.response.body")
    return start["status"], json.loads(body) if body.startswith(b"{") else {}, consumed


@pytest.mark.parametrize(("path", "ctype", "first"), [
    ("/me", "application/json", b'{"message": "'),
    ("/me", "application/x-www-form-urlencoded", b"message="),
    ("/me", "multipart/form-data; boundary=XyZ",
     b'--XyZ\r\nContent-Disposition: form-data; name="message"\r\n\r\n'),
    ("/me", "multipart/form-data; boundary=XyZ",
     b'--XyZ\r\nContent-Disposition: form-data; name="source"; filename="a.bin"\r\n\r\n'),
    ("/login", "application/x-www-form-urlencoded", b"email="),
    ("/", "application/x-www-form-urlencoded", b"batch="),
])
def test_a_chunked_body_stops_at_the_limit(sqlite_auth: Authority, path: str, ctype: str, first: bytes) -> None:
    status, answer, consumed = drive(build_app(sqlite_auth), path, ctype, first)
    assert status == 400
    if path != "/login":  # the web forms' own parser may stop sooner, at its 1 MB field limit
        assert answer["error"]["code"] == 100 and "5 MB" in answer["error"]["message"]
    assert consumed <= 6  # stopped just past 5 MB, not after the whole upload


def test_a_declared_length_over_the_limit_is_refused_unread(sqlite_auth: Authority) -> None:
    status, answer, consumed = drive(build_app(sqlite_auth), "/me", "application/json",
                                     headers=[(b"content-length", str(800 * CHUNK).encode())])
    assert status == 400 and answer["error"]["code"] == 100 and consumed == 0
