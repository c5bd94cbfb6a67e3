"""Deauthorize URLs cannot reach into the server's own network (SSRF), unless the operator allows it."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pagetoken.authority import apps, egress
from pagetoken.authority.context import Authority
from tests.support.receiver import Receiver
from tests.support.servers import ThreadServer, deliveries

from .helpers import scene


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:5432/", "http://localhost/x", "http://169.254.169.254/latest/meta-data/",
    "http://[::1]:5432/", "http://10.1.2.3/", "http://192.168.0.1/", "http://[::ffff:127.0.0.1]/",
    "http://0.0.0.0/", "http://100.64.0.1/", "http://[fe80::1]/", "http://224.0.0.1/", "ftp://example.com/",
])
def test_non_public_destinations_are_refused(url: str) -> None:
    with pytest.raises(egress.Refused):
        egress.pin(url)


def test_the_operator_may_allow_private_destinations() -> None:
    target = egress.pin("http://localhost:8080/deauth?x=1", allow_private=True)
    assert target.url.host in ("127.0.0.1", "::1") and target.url.port == 8080
    assert target.headers == {"Host": "localhost:8080"}


def test_the_address_checked_is_the_address_connected_to(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])  # a rebinding DNS server: public first, loopback next

    def fake_getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in next(answers)]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    target = egress.pin("https://rebind.example/deauth")
    assert str(target.url) == "https://93.184.216.34/deauth"
    assert target.headers == {"Host": "rebind.example"} and target.extensions == {"sni_hostname": "rebind.example"}
    with pytest.raises(egress.Refused):
        egress.pin("https://rebind.example/deauth")


def test_a_name_with_any_private_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, port, *a, **k: [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port))])
    with pytest.raises(egress.Refused, match="10.0.0.7"):
        egress.pin("http://mixed.example/")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver("/deauthorize")
    yield r
    r.close()


def test_a_server_never_posts_to_a_loopback_deauthorize_url(server: ThreadServer, receiver: Receiver,
                                                            rounds: Callable[[Authority], None]) -> None:
    s = scene(server.auth)
    apps.configure(s.auth, s.app_id, deauthorize_url=receiver.url)
    token = s.user_token(s.owner_id, ["pages_show_list"])
    assert server.delete(f"/{s.owner_id}/permissions", access_token=token).json() == {"success": True}
    rounds(server.auth)  # a whole round of the callback worker since the removal
    row = deliveries(s.auth, s.app_id)[0]
    assert row.attempts == 1 and "not a public address" in row.last_error
    assert receiver.requests == []
