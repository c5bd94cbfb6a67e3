"""Rotation against a fake Graph on 127.0.0.1: exchange, store, revoke, re-derive; leases; reports."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

import pytest

from pagetoken.client import GraphClient, Notifier, RetryPolicy, Rotator, StaticKeys, Vault, verify_signature
from pagetoken.client.rotation import DAY, margin_for
from pagetoken.core import errors
from pagetoken.core.clock import ManualClock
from tests.support.servers import refused_url

from .conftest import Receiver
from .fakegraph import FakeGraph


def add_user(vault: Vault, client: GraphClient, fake: FakeGraph, name: str = "me", pages: bool = True,
             **kw: object) -> str:
    token = fake.user_token(**kw)  # type: ignore[arg-type]
    vault.put(name, token, client.debug_token(token))
    if pages:
        for page in client.page_tokens(token):
            vault.put(f"{name}:{page.page_id}", page.access_token, client.debug_token(page.access_token),
                      parent=name)
    return token


def test_margin_is_proportional() -> None:
    assert margin_for(60 * DAY) == 7 * DAY
    assert margin_for(3600) == pytest.approx(432)
    assert margin_for(0) == 7 * DAY
    assert margin_for(60 * DAY, margin=DAY) == DAY


def test_rotates_a_due_user_token_then_revokes_and_rederives(vault: Vault, client: GraphClient, fake: FakeGraph,
                                                            clock: ManualClock) -> None:
    old = add_user(vault, client, fake)
    old_pages = {n: vault.token(n) for n in ("me:111", "me:222")}
    rotator = Rotator(vault, client)
    assert rotator.due() == []
    clock.advance(52 * DAY)
    assert rotator.due() == []
    clock.advance(2 * DAY)
    assert [r.name for r in rotator.due()] == ["me"]  # the Page tokens go with their user token
    results = rotator.rotate_due()
    assert [(o.name, o.action) for o in results] == [("me", "rotated")]
    assert sorted((c.name, c.action) for c in results[0].children) == [("me:111", "derived"), ("me:222", "derived")]
    fresh = vault.token("me")
    assert fresh != old and fake.exchanges[old] == 1 and fake.revocations[old] == 1
    assert fake.tokens[old].revoked and not fake.tokens[fresh].revoked
    record = vault.get("me")
    assert record.expires_at == int(clock.now()) + fake.lifetime and record.generation == 2 and record.rotated_at
    for name, token in old_pages.items():
        assert vault.token(name) != token and fake.revocations[token] == 1
        assert fake.tokens[vault.token(name)].expires_at == record.expires_at
    assert rotator.rotate_due() == []
    assert rotator.rotate("me").action == "skipped"
    assert rotator.rotate("me", force=True).action == "rotated"


def test_a_page_token_alone_is_rederived_from_its_parent(vault: Vault, client: GraphClient, fake: FakeGraph,
                                                         clock: ManualClock) -> None:
    user = add_user(vault, client, fake, pages=False)
    page = client.page_token("111", user)
    info = client.debug_token(page.access_token)
    vault.put("me:111", page.access_token, info, parent="me")
    outcome = Rotator(vault, client).rotate("me:111", force=True)
    assert outcome.action == "derived" and vault.token("me:111") != page.access_token
    assert fake.exchanges[user] == 0 and fake.revocations[page.access_token] == 1


def test_two_workers_never_exchange_one_token_twice(db_url: str, key: bytes, fake: FakeGraph,
                                                     clock: ManualClock, client: GraphClient) -> None:
    """Three workers on one vault, on SQLite and on PostgreSQL."""
    vault_url = db_url
    setup = Vault(vault_url, StaticKeys([key]), clock)
    originals = [add_user(setup, client, fake, name=f"u{i}", pages=False) for i in range(12)]
    clock.advance(55 * DAY)
    fake.exchange_delay = 0.02
    results: list[list[str]] = []
    barrier = threading.Barrier(3)

    def worker() -> None:
        with Vault(vault_url, StaticKeys([key]), clock) as v, \
                GraphClient(fake.url, app_id=fake.app_id, app_secret=fake.secret) as c:
            barrier.wait()
            results.append([o.name for o in Rotator(v, c).rotate_due() if o.action == "rotated"])

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert all(fake.exchanges[t] == 1 for t in originals), fake.exchanges
    rotated = [n for r in results for n in r]
    assert sorted(rotated) == sorted(f"u{i}" for i in range(12))
    assert all(setup.get(f"u{i}").generation == 2 for i in range(12))
    setup.close()


@pytest.mark.parametrize(("error", "reason", "subcode"), [("app_removed", "app_removed", 458),
                                                          ("password_changed", "password_changed", 460),
                                                          ("data_access_expired", "data_access_expired", 493)])
def test_needs_reauth_is_reported_once_with_a_signed_webhook(vault: Vault, client: GraphClient, fake: FakeGraph,
                                                             clock: ManualClock, webhook: Receiver,
                                                             caplog: pytest.LogCaptureFixture,
                                                             error: str, reason: str, subcode: int) -> None:
    token = add_user(vault, client, fake)
    fake.tokens[token].error = error
    clock.advance(55 * DAY)
    rotator = Rotator(vault, client, notifier=Notifier(webhook.url, "hook-secret"))
    with caplog.at_level(logging.WARNING):
        first = rotator.rotate_due()
        second = rotator.rotate_due()
        third = rotator.rotate("me", force=True)
    assert [o.action for o in first] == ["needs_reauth"] and second == []
    assert third.action == "needs_reauth"  # forced once more: still reported only once
    assert fake.attempts[token] == 2 and fake.exchanges[token] == 0  # the first try and the forced one
    assert vault.get("me").status == "needs_reauth"
    assert {c.status for c in vault.children("me")} == {"needs_reauth"}
    assert len(webhook.received) == 1
    headers, body = webhook.received[0]
    assert verify_signature(body, headers["X-Pagetoken-Signature"], "hook-secret")
    assert not verify_signature(body, headers["X-Pagetoken-Signature"], "other-secret")
    payload = json.loads(body)
    assert payload["event"] == "token.needs_reauth" and payload["name"] == "me" and payload["reason"] == reason
    assert payload["error"]["code"] == 190 and payload["error"]["error_subcode"] == subcode
    assert sorted(payload["children"]) == ["me:111", "me:222"]
    assert token not in body.decode() and token not in caplog.text
    assert sum("token.needs_reauth" in r.getMessage() for r in caplog.records) == 1


def test_transient_failures_back_off(vault: Vault, client: GraphClient, fake: FakeGraph, clock: ManualClock) -> None:
    token = add_user(vault, client, fake, pages=False)
    clock.advance(55 * DAY)
    fake.fail_next = [(500, errors.ServiceUnavailable().body())] * 2  # the client's two attempts
    rotator = Rotator(vault, client, retry_base=60, retry_cap=3600)
    assert [o.action for o in rotator.rotate_due()] == ["failed"]
    record = vault.get("me")
    assert record.status == "error" and record.attempts == 1 and "Service temporarily unavailable" in record.last_error
    assert 30 <= record.next_attempt_at - clock.now() <= 60
    assert rotator.due() == []  # backing off
    clock.advance(61)
    fake.fail_next = [(500, errors.ServiceUnavailable().body())] * 2
    rotator.rotate_due()
    record = vault.get("me")
    assert record.attempts == 2 and 60 <= record.next_attempt_at - clock.now() <= 120
    clock.advance(121)
    assert [o.action for o in rotator.rotate_due()] == ["rotated"]
    record = vault.get("me")
    assert record.status == "active" and record.attempts == 0 and record.next_attempt_at is None
    assert fake.exchanges[token] == 1


def test_expired_and_revoked_tokens_leave_rotation(vault: Vault, client: GraphClient, fake: FakeGraph,
                                                   clock: ManualClock) -> None:
    add_user(vault, client, fake, name="late", pages=False)
    revoked = add_user(vault, client, fake, name="gone", pages=False)
    fake.tokens[revoked].revoked = True
    clock.advance(55 * DAY)
    rotator = Rotator(vault, client)
    assert {o.name: o.action for o in rotator.rotate_due()} == {"late": "rotated", "gone": "revoked"}
    clock.advance(61 * DAY)
    assert {o.name: o.action for o in rotator.rotate_due()} == {"late": "expired"}
    assert vault.get("late").status == "expired" and rotator.due() == []


def test_app_tokens_and_forever_tokens_are_never_due(vault: Vault, client: GraphClient, fake: FakeGraph,
                                                     clock: ManualClock) -> None:
    vault.put("app", fake.app_token, client.debug_token(fake.user_token()).__class__(
        True, "APP", fake.app_id, "App", "", "", (), 0, 0, 0))
    clock.advance(400 * DAY)
    assert Rotator(vault, client).due() == []


def test_a_lost_lease_does_not_store(vault: Vault, client: GraphClient, fake: FakeGraph, clock: ManualClock,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    token = add_user(vault, client, fake, pages=False)
    clock.advance(55 * DAY)
    rotator = Rotator(vault, client, lease_ttl=10)
    real = client.exchange_long_lived

    def slow(t: str):  # type: ignore[no-untyped-def]
        got = real(t)
        clock.advance(11)
        assert vault.acquire("me", "someone-else", 60)
        return got

    monkeypatch.setattr(client, "exchange_long_lived", slow)
    assert rotator.rotate("me").action == "skipped"
    assert vault.token("me") == token and vault.get("me").lease_owner == "someone-else"
    loose = [t for t, tok in fake.tokens.items() if tok.kind == "USER" and t != token]
    assert len(loose) == 1 and fake.revocations[loose[0]] == 1  # the unstored fresh token was revoked


def test_watch_stops_on_the_event(vault: Vault, client: GraphClient, fake: FakeGraph, clock: ManualClock) -> None:
    add_user(vault, client, fake, pages=False)
    clock.advance(55 * DAY)
    stop = threading.Event()
    seen: list[str] = []

    def on_result(o: object) -> None:
        seen.append(o.action)  # type: ignore[attr-defined]
        stop.set()

    t = threading.Thread(target=Rotator(vault, client).watch, args=(0.05, stop, on_result))
    t.start()
    t.join(timeout=10)
    assert not t.is_alive() and seen == ["rotated"]


def test_webhook_failures_are_logged_not_raised(caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    sleeps: list[float] = []
    held, url = refused_url("/hook")  # bound by this process and never listening: connections are refused
    n = Notifier(url, "s", attempts=2, timeout=0.5, sleep=sleeps.append)
    with caplog.at_level(logging.WARNING):
        assert n.notify("token.needs_reauth", {"name": "x"}) is False
    held.close()
    assert len(sleeps) == 1 and "webhook for token.needs_reauth failed" in caplog.text
    with pytest.raises(ValueError):
        Notifier("http://127.0.0.1:9/hook")


def test_rotation_uses_a_retrying_client(fake: FakeGraph) -> None:
    # A sanity check on the fixture the rotation tests rely on.
    with GraphClient(fake.url, app_id=fake.app_id, app_secret=fake.secret, retry=RetryPolicy(attempts=1)) as c:
        assert c.app_token().access_token == fake.app_token


@pytest.mark.parametrize("how", ["error", "invalid", "error_and_no_expires_in"])
def test_rotation_keeps_what_is_known_when_debug_token_fails(vault: Vault, client: GraphClient, fake: FakeGraph,
                                                             clock: ManualClock, how: str,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    """After the exchange, debug_token of the fresh token fails (an error, or an answer that says nothing):
    the fresh token is stored anyway, with the old row's facts and the exchange's lifetime."""
    token = add_user(vault, client, fake, pages=False)
    before = vault.get("me")
    clock.advance(55 * DAY)
    real_route, real_exchange = fake._route, fake._exchange

    def route(method: str, path: str, params: dict[str, str]) -> object:
        if path == "debug_token" and how.startswith("error"):
            raise errors.unknown_error()
        if path == "debug_token" and how == "invalid":
            return {"data": {"is_valid": False, "scopes": []}}
        return real_route(method, path, params)

    def exchange(old: str) -> object:
        answer = dict(real_exchange(old))
        if how == "error_and_no_expires_in":
            del answer["expires_in"]
        return answer

    monkeypatch.setattr(fake, "_route", route)
    monkeypatch.setattr(fake, "_exchange", exchange)
    with caplog.at_level(logging.WARNING):
        assert [o.action for o in Rotator(vault, client).rotate_due()] == ["rotated"]
    fresh = vault.get("me")
    assert vault.token("me") != token and fake.exchanges[token] == 1 and fake.revocations[token] == 1
    assert (fresh.kind, fresh.app_id, fresh.user_id, fresh.scopes) == (before.kind, before.app_id, before.user_id,
                                                                        before.scopes)
    assert fresh.issued_at == int(clock.now())
    if how == "error_and_no_expires_in":  # nothing says how long the fresh one lives: the old expiry stands
        assert fresh.expires_at == before.expires_at
    else:
        assert fresh.expires_at == int(clock.now()) + fake.lifetime  # from the exchange's expires_in
    if how.startswith("error"):
        assert "debug_token failed for the fresh me" in caplog.text
