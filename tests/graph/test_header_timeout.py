"""A connection that never finishes its request head is closed after the header deadline, and a head
over 16 KB is refused, on both of uvicorn's HTTP/1.1 protocols (httptools, the one served; h11, the
fallback where httptools cannot be installed)."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator

import httpx
import pytest

from pagetoken.authority import apps, oauth, users
from pagetoken.authority.context import Authority
from pagetoken.guards import MAX_HEAD, HeaderTimeoutH11, HeaderTimeoutProtocol
from pagetoken.server import build_app

from ..support.servers import InThread


class Quick(HeaderTimeoutProtocol):
    header_timeout = 0.3


class QuickH11(HeaderTimeoutH11):
    header_timeout = 0.3


def test_httptools_is_the_protocol_served() -> None:
    assert HeaderTimeoutProtocol.__mro__[2].__name__ == "HttpToolsProtocol"


@pytest.fixture(params=[Quick, QuickH11], ids=["httptools", "h11"])
def url(auth: Authority, request: pytest.FixtureRequest) -> Iterator[tuple[str, int]]:
    server = InThread(build_app(auth), http=request.param, timeout_keep_alive=30).start()
    yield "127.0.0.1", server.port
    server.stop()


@pytest.fixture
def others_answered(auth: Authority, url: tuple[str, int]) -> Callable[[], None]:
    """`others_answered()`: a whole Graph call on another connection (its token read from the store) is
    answered while the slow one is held open: a stalled client never holds up the rest."""
    user, _ = users.create(auth, "Ana", None, "password123")
    app, _ = apps.create(auth, "App")
    token = oauth.grant_and_token(auth, app, user.id, ["pages_show_list"], [], None).access_token

    def check() -> None:
        r = httpx.get(f"http://{url[0]}:{url[1]}/me", params={"access_token": token}, timeout=10)
        assert r.status_code == 200 and r.json()["id"] == user.id

    return check


def _closed_by_server(sock: socket.socket) -> bool:
    sock.settimeout(10)
    try:
        return sock.recv(1024) == b""
    except TimeoutError:
        return False


def test_a_half_sent_request_head_is_cut_off(url: tuple[str, int], others_answered: Callable[[], None]) -> None:
    with socket.create_connection(url) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        others_answered()
        assert _closed_by_server(sock)


def test_an_idle_connection_that_never_sends_is_cut_off(url: tuple[str, int],
                                                       others_answered: Callable[[], None]) -> None:
    with socket.create_connection(url) as sock:
        others_answered()
        assert _closed_by_server(sock)


def test_a_slow_next_request_on_a_kept_alive_connection_is_cut_off(url: tuple[str, int],
                                                                   others_answered: Callable[[], None]) -> None:
    with socket.create_connection(url) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.settimeout(10)
        first = b""
        while not first.endswith(b'{"status":"ok"}'):  # the whole first answer, head and body
            chunk = sock.recv(4096)
            assert chunk, first
            first += chunk
        assert first.startswith(b"HTTP/1.1 200")
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHo")
        others_answered()
        assert _closed_by_server(sock)



def _answer(sock: socket.socket) -> bytes:
    sock.settimeout(10)
    got = b""
    while chunk := sock.recv(65536):
        got += chunk
    return got


def test_a_request_head_over_16_kb_is_refused(url: tuple[str, int], others_answered: Callable[[], None]) -> None:
    with socket.create_connection(url) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        for _ in range(MAX_HEAD // 1000 + 1):  # in pieces, as a slow client would send them
            sock.sendall(b"X-Filler: " + b"a" * 1000 + b"\r\n")
        others_answered()
        answer = _answer(sock)  # the server answers, then closes
    assert answer.split(b" ", 2)[1] in (b"431", b"400"), answer[:80]  # (h11 answers its own 400 first)


def test_a_request_head_under_16_kb_and_a_large_body_are_served(url: tuple[str, int]) -> None:
    with socket.create_connection(url) as sock:
        body = b"x" * 100_000  # comes with its head: only the head counts toward the bound
        sock.sendall(b"POST /me HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Big: " + b"a" * 12_000 +
                     b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        answer = _answer(sock)
    # the app read it all and answered (a Graph error: no token)
    assert answer.startswith(b"HTTP/1.1 400 ") and answer.endswith(b"}") and b"x-fb-rev" in answer, answer[:200]
    assert b'"code":2500' in answer


def test_a_request_the_parser_refuses_gets_a_graph_error(url: tuple[str, int]) -> None:
    with socket.create_connection(url) as sock:
        sock.sendall(b"GET /me\x08/feed HTTP/1.1\r\nHost: x\r\n\r\n")  # a control character in the path
        answer = _answer(sock)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ") and b"application/json" in head, answer[:200]
    error = json.loads(body)["error"]
    assert error["code"] == 100 and error["type"] == "OAuthException"
