"""Request bodies are counted while they stream in and refused past 5 MB, whatever their framing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pagetoken.authority import apps, oauth, users
from pagetoken.authority.context import Authority
from pagetoken.server import build_app
from tests.support import aio

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
    aio.run(app(scope, receive, send))
    start = next(m for m in out if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in out if m["type"] == "http.response.body")
    return start["status"], json.loads(body) if body.startswith(b"{") else {}, consumed


def deliver(app: Any, path: str, content_type: str, body: bytes) -> tuple[int, dict[str, Any]]:
    """POST a whole body of known size (sent in 1 MB chunks, with its Content-Length); (status, JSON answer)."""
    chunks = [body[i:i + CHUNK] for i in range(0, len(body), CHUNK)] or [b""]
    out: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        chunk = chunks.pop(0) if chunks else b""
        return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}

    async def send(message: dict[str, Any]) -> None:
        out.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"127.0.0.1"), (b"content-type", content_type.encode()),
                         (b"content-length", str(len(body)).encode())],
             "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 80)}
    aio.run(app(scope, receive, send))
    start = next(m for m in out if m["type"] == "http.response.start")
    answer = b"".join(m.get("body", b"") for m in out if m["type"] == "http.response.body")
    return start["status"], json.loads(answer)


UNDER = 4 * CHUNK  # well under the 5 MB limit


def under_the_limit(ctype: str, first: bytes, token: str, path: str) -> bytes:
    """A body of the same framing, just under the limit, that asks the Graph for `/me` (or a batch of it)."""
    pad = b"a" * UNDER
    if path == "/":
        return b"batch=" + b'[{"method": "GET", "relative_url": "me"}]' + b"&access_token=" + token.encode() + \
            b"&pad=" + pad
    if ctype == "application/json":
        return first + pad + b'", "method": "GET", "access_token": "' + token.encode() + b'"}'
    if ctype.startswith("multipart/"):
        field = b'--XyZ\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
        return (first + pad + b"\r\n" + field % (b"method", b"GET") + field % (b"access_token", token.encode())
                + b"--XyZ--\r\n")
    return first + pad + b"&method=GET&access_token=" + token.encode()


def user_token(auth: Authority) -> tuple[str, str]:
    user, _ = users.create(auth, "Ana", None, "password123")
    app, _ = apps.create(auth, "App")
    return user.id, oauth.grant_and_token(auth, app, user.id, ["pages_show_list"], [], None).access_token


@pytest.mark.parametrize(("path", "ctype", "first"), [
    ("/me", "application/json", b'{"message": "'),
    ("/me", "application/x-www-form-urlencoded", b"message="),
    ("/me", "multipart/form-data; boundary=XyZ",
     b'--XyZ\r\nContent-Disposition: form-data; name="message"\r\n\r\n'),
    ("/me", "multipart/form-data; boundary=XyZ",
     b'--XyZ\r\nContent-Disposition: form-data; name="source"; filename="a.bin"\r\n\r\n'),
    ("/", "application/x-www-form-urlencoded", b"batch="),
])
def test_a_chunked_body_stops_at_the_limit(auth: Authority, path: str, ctype: str, first: bytes) -> None:
    app = build_app(auth)
    status, answer, consumed = drive(app, path, ctype, first)
    assert status == 400
    assert answer["error"]["code"] == 100 and "5 MB" in answer["error"]["message"]
    assert consumed <= 6  # stopped just past 5 MB, not after the whole upload
    user_id, token = user_token(auth)  # while a body under the limit goes through, token and all
    status, answer = deliver(app, path, ctype, under_the_limit(ctype, first, token, path))
    assert status == 200, answer
    me = json.loads(answer[0]["body"]) if path == "/" else answer
    assert me["id"] == user_id


def test_a_login_form_stops_at_the_limit(sqlite_auth: Authority) -> None:
    """The web forms' own parser may stop sooner, at its 1 MB field limit: a 400 either way."""
    status, _answer, consumed = drive(build_app(sqlite_auth), "/login", "application/x-www-form-urlencoded",
                                      b"email=")
    assert status == 400 and consumed <= 6


def test_a_declared_length_over_the_limit_is_refused_unread(auth: Authority) -> None:
    app = build_app(auth)
    status, answer, consumed = drive(app, "/me", "application/json",
                                     headers=[(b"content-length", str(800 * CHUNK).encode())])
    assert status == 400 and answer["error"]["code"] == 100 and consumed == 0
    user_id, token = user_token(auth)
    status, answer = deliver(app, "/me", "application/json",
                             b'{"method": "GET", "access_token": "' + token.encode() + b'"}')
    assert (status, answer["id"]) == (200, user_id)
