"""Deauthorize callbacks (SPEC §7): a loopback receiver checks every signed_request it gets."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pagetoken.authority import apps, callbacks, egress
from pagetoken.authority.context import Authority
from pagetoken.core.clock import ManualClock
from pagetoken.core.keyring import KeyRing, new_key
from pagetoken.core.lifetimes import Lifetimes
from pagetoken.core.proof import parse_signed_request
from pagetoken.store.store import Store
from tests.support.receiver import Receiver as BaseReceiver
from tests.support.servers import ProcessServer, ThreadServer, deliveries

from .helpers import Scene, person, scene


class Receiver(BaseReceiver):
    """An app's deauthorize endpoint: every attempt, and the signed_requests it accepted."""

    @property
    def attempts(self) -> int:
        return len(self.requests)

    @property
    def received(self) -> list[str]:
        return [r.form()["signed_request"][0] for r in self.requests if r.answered == 200]


@pytest.fixture(autouse=True)
def allow_loopback_callbacks(monkeypatch: pytest.MonkeyPatch) -> None:
    """The receiver runs on loopback, which a server refuses unless the operator allows it."""
    monkeypatch.setenv(egress.ALLOW_PRIVATE_ENV, "1")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver("/deauthorize")
    yield r
    r.close()


def _remove_app(srv: ThreadServer, s: Scene) -> None:
    """The user removes the app; their token stops working at once."""
    token = s.user_token(s.owner_id, ["pages_show_list"])
    r = srv.delete(f"/{s.owner_id}/permissions", access_token=token)
    assert r.json() == {"success": True}
    assert srv.get("/me", access_token=token).json()["error"]["error_subcode"] == 458


def _check(signed: str, secret: str, user_id: str) -> dict[str, Any]:
    payload = parse_signed_request(signed, secret)
    assert payload is not None, "the signature does not verify"
    assert payload["algorithm"] == "HMAC-SHA256" and payload["user_id"] == user_id
    assert isinstance(payload["issued_at"], int)
    return payload


def test_deauthorize_callback_is_signed_and_retried_with_backoff(server: ThreadServer, receiver: Receiver,
                                                                  rounds: Callable[[Authority], None]) -> None:
    s = scene(server.auth)
    apps.configure(s.auth, s.app_id, deauthorize_url=receiver.url)
    receiver.status = 500
    _remove_app(server, s)
    receiver.wait_until(lambda: receiver.attempts == 1)
    rounds(server.auth)  # the worker has written down how that attempt went
    row = deliveries(s.auth, s.app_id)[0]
    assert row.status == "pending" and row.last_error == "HTTP 500"
    assert row.next_attempt_at == pytest.approx(server.clock.now() + 2.0)
    rounds(server.auth)
    assert receiver.attempts == 1  # not before its time: the worker looked, and the clock has not moved
    server.clock.advance(1.9)
    rounds(server.auth)
    assert receiver.attempts == 1
    server.clock.advance(0.1)
    receiver.wait_until(lambda: receiver.attempts == 2)
    rounds(server.auth)
    assert deliveries(s.auth, s.app_id)[0].attempts == 2
    assert deliveries(s.auth, s.app_id)[0].next_attempt_at == pytest.approx(server.clock.now() + 4.0)
    receiver.status = 200
    server.clock.advance(4.0)
    receiver.wait_until(lambda: len(receiver.received) == 1)
    _check(receiver.received[0], s.secret, s.owner_id)
    rounds(server.auth)
    assert deliveries(s.auth, s.app_id)[0].status == "delivered"


def test_a_slow_receiver_never_blocks_the_revocation(server: ThreadServer, receiver: Receiver) -> None:
    s = scene(server.auth)
    apps.configure(s.auth, s.app_id, deauthorize_url=receiver.url)
    receiver.hold()  # the receiver keeps every request in flight until released
    _remove_app(server, s)  # answered (and the token refused) while no delivery has finished
    assert receiver.answered == 0
    assert receiver.arrived.wait(timeout=10)  # the delivery is under way, and still stuck
    assert receiver.answered == 0 and server.get("/healthz").status_code == 200
    receiver.release()
    receiver.wait_until(lambda: len(receiver.received) == 1)


def test_no_deauthorize_url_no_delivery(server: ThreadServer) -> None:
    s = scene(server.auth)
    _remove_app(server, s)
    assert deliveries(s.auth, s.app_id) == []


def test_pending_deliveries_survive_a_restart(db_url: str, receiver: Receiver,
                                               rounds: Callable[[Authority], None]) -> None:
    url, key, clock = db_url, new_key(), ManualClock(1_800_000_000.0)
    first = Authority(Store.open(url), KeyRing([key]), clock, Lifetimes())
    srv = ThreadServer(first, clock).start()
    s = scene(first)
    apps.configure(first, s.app_id, deauthorize_url=receiver.url)
    receiver.status = 503
    _remove_app(srv, s)
    receiver.wait_until(lambda: receiver.attempts >= 1)
    rounds(first)
    assert deliveries(first, s.app_id)[0].attempts >= 1
    srv.stop()
    first.close()
    assert receiver.received == []

    receiver.status = 200
    clock.advance(60)
    second = Authority(Store.open(url), KeyRing([key]), clock, Lifetimes())
    again = ThreadServer(second, clock).start()
    try:
        receiver.wait_until(lambda: len(receiver.received) == 1)
        _check(receiver.received[0], s.secret, s.owner_id)
        rounds(second)
        assert deliveries(second, s.app_id)[0].status == "delivered"
    finally:
        again.stop()
        second.close()


def test_backoff_doubles_up_to_an_hour() -> None:
    assert [callbacks.backoff(n, 2.0) for n in (1, 2, 3, 4)] == [2.0, 4.0, 8.0, 16.0]
    assert callbacks.backoff(40, 2.0) == 3600.0


def test_a_real_server_process_delivers_after_it_restarts(process_server_factory: type[ProcessServer],
                                                          tmp_path: Path, receiver: Receiver, db_url: str) -> None:
    import json

    import httpx

    # retry at once (no backoff to wait for), and never give up while the test runs
    env = {"PAGETOKEN_CALLBACK_BACKOFF_SECONDS": "0", "PAGETOKEN_CALLBACK_POLL_SECONDS": "0.1",
           "PAGETOKEN_CALLBACK_MAX_ATTEMPTS": "100000",
           egress.ALLOW_PRIVATE_ENV: "1"}
    db = None if db_url.startswith("sqlite") else db_url  # SQLite: the data dir's own file
    first = process_server_factory(tmp_path / "data", env=env, db=db)
    app = json.loads(first.cli("apps", "create", "--name", "Deauth", "--json").stdout)
    first.cli("apps", "set", app["id"], "--deauthorize-url", receiver.url)
    first.start()
    user = httpx.post(f"{first.url}/{app['id']}/accounts/test-users",
                      data={"access_token": app["app_token"], "installed": "true"}).json()
    receiver.status = 503
    removed = httpx.delete(f"{first.url}/{user['id']}/permissions", params={"access_token": app["app_token"]})
    assert removed.json() == {"success": True}
    receiver.wait_until(lambda: receiver.attempts >= 1)
    first.stop()  # the receiver never accepted it: the delivery is still pending in the database
    assert receiver.received == []
    receiver.status = 200
    second = process_server_factory(tmp_path / "data", env=env, db=db).start()
    receiver.wait_until(lambda: len(receiver.received) == 1, timeout=30)
    _check(receiver.received[0], app["secret"], user["id"])
    second.stop()


def test_two_servers_contend_for_each_delivery_and_send_it_once(db_url: str, receiver: Receiver,
                                                                 clock: ManualClock,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Two servers' callback workers (each its own Authority and connection pool, as two processes have) read
    the same due deliveries before either claims one: every delivery is sent exactly once."""
    import httpx

    from pagetoken.authority import grants

    key = new_key()
    first = Authority(Store.open(db_url), KeyRing([key]), clock, Lifetimes())
    second = Authority(Store.open(db_url), KeyRing([key]), clock, Lifetimes())
    s = scene(first)
    apps.configure(first, s.app_id, deauthorize_url=receiver.url)
    removed = []
    for i in range(8):
        uid = person(first, f"Remover {i}")
        s.user_token(uid, ["pages_show_list"])
        assert grants.remove_app(first, uid, s.app_id)
        removed.append(uid)
    both_read = threading.Barrier(2, timeout=30)
    real_claim = callbacks._claim
    waited: set[int] = set()

    def claim_after_both_read(auth: Authority, delivery_id: int, now: float) -> bool:
        if threading.get_ident() not in waited:  # each worker's first claim waits for the other's read
            waited.add(threading.get_ident())
            both_read.wait()
        return real_claim(auth, delivery_id, now)

    monkeypatch.setattr(callbacks, "_claim", claim_after_both_read)
    sent = [0, 0]

    def worker(i: int, auth: Authority) -> None:
        with httpx.Client(timeout=10) as client:
            sent[i] = callbacks.deliver_due(auth, client, 2.0, 25, allow_private=True)  # the receiver is on loopback

    threads = [threading.Thread(target=worker, args=(i, a)) for i, a in enumerate((first, second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    try:
        assert sum(sent) == 8 and len(waited) == 2
        payloads = [parse_signed_request(signed, s.secret) for signed in receiver.received]
        assert sorted(p["user_id"] for p in payloads if p) == sorted(removed)  # each once, none twice
        assert [r.status for r in deliveries(first, s.app_id)] == ["delivered"] * 8
    finally:
        first.close()
        second.close()
