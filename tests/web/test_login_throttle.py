"""Login throttling that a success does not reset, that slows attackers without locking out the owner,
and password checks that never stall the server."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest

from pagetoken.authority import users
from pagetoken.core.clock import ManualClock
from pagetoken.core.limits import Limits
from pagetoken.web.throttle import LoginThrottle

from ..support.servers import ThreadServer
from .conftest import csrf


def attempt(client: httpx.Client, email: str, password: str, ip: str = "127.0.0.1") -> httpx.Response:
    client.cookies.delete("pt_session")
    token = csrf(client.get("/login").text)
    return client.post("/login", headers={"X-Forwarded-For": ip},
                       data={"email": email, "password": password, "csrf_token": token})


def throttle_of(server: ThreadServer) -> LoginThrottle:
    throttle: LoginThrottle = server.app.state.web.throttle
    return throttle


def test_a_success_does_not_reset_the_count_per_ip(server: ThreadServer) -> None:
    users.create(server.auth, "Tom", "tom@example.com", "right password")
    users.create(server.auth, "Ann", "ann@example.com", "her password")
    throttle_of(server).limits.login_ip_limit = 4
    client = httpx.Client(base_url=server.url, follow_redirects=False, timeout=10)
    assert attempt(client, "ann@example.com", "guess", "10.1.1.1").status_code == 401
    assert attempt(client, "tom@example.com", "right password", "10.1.1.1").status_code == 303
    assert attempt(client, "bob@example.com", "guess", "10.1.1.1").status_code == 401
    assert attempt(client, "tom@example.com", "right password", "10.1.1.1").status_code == 303
    r = attempt(client, "ann@example.com", "her password", "10.1.1.1")
    assert r.status_code == 429 and "Try again in" in r.text
    assert attempt(client, "ann@example.com", "her password", "10.1.1.2").status_code == 303
    server.clock.advance(301)
    assert attempt(client, "ann@example.com", "her password", "10.1.1.1").status_code == 303


def test_failures_from_one_ip_do_not_lock_the_owner_out(server: ThreadServer) -> None:
    users.create(server.auth, "Tom", "tom@example.com", "right password")
    client = httpx.Client(base_url=server.url, follow_redirects=False, timeout=10)
    for _ in range(5):
        assert attempt(client, "tom@example.com", "wrong", "10.6.6.6").status_code == 401
    assert attempt(client, "tom@example.com", "right password", "10.6.6.6").status_code == 429
    assert attempt(client, "tom@example.com", "right password", "10.0.0.1").status_code == 303


def test_spraying_one_email_from_many_ips_slows_the_attacker_not_the_owner(server: ThreadServer) -> None:
    users.create(server.auth, "Tom", "tom@example.com", "right password")
    throttle_of(server).limits.login_email_free = 3
    client = httpx.Client(base_url=server.url, follow_redirects=False, timeout=10)
    assert attempt(client, "tom@example.com", "right password", "10.0.0.1").status_code == 303
    for n in range(3):
        assert attempt(client, "tom@example.com", "wrong", f"10.9.0.{n}").status_code == 401
    r = attempt(client, "tom@example.com", "wrong", "10.9.1.1")
    assert r.status_code == 429 and "Try again in" in r.text
    server.clock.advance(2)
    assert attempt(client, "tom@example.com", "wrong", "10.9.1.1").status_code == 401
    assert attempt(client, "tom@example.com", "right password", "10.0.0.1").status_code == 303


def test_the_email_delay_doubles_and_is_capped() -> None:
    clock = ManualClock(1_000.0)
    throttle = LoginThrottle(clock.now, Limits(login_email_free=2, login_email_max_delay=60))
    waits = []
    for n in range(12):
        wait = throttle.retry_after("a@x", f"10.0.0.{n}")
        waits.append(wait)
        clock.advance(wait)
        throttle.attempted(f"10.0.0.{n}")
        throttle.failed("a@x", f"10.0.0.{n}")
    assert waits[:3] == [0, 0, 2] and waits[3] >= waits[2] and max(waits) <= 61
    assert throttle.retry_after("a@x", "10.0.0.200") > 0
    throttle.succeeded("a@x", "10.0.0.99")
    assert throttle.retry_after("a@x", "10.0.0.99") == 0  # an IP that logged in before is not slowed


def test_password_checks_run_off_the_loop_at_most_one_per_core(server: ThreadServer,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    hasher = server.app.state.web.hasher
    hasher.limit = 2
    inside = 0
    most = 0
    threads: list[threading.Thread] = []
    lock = threading.Lock()
    full = threading.Event()
    release = threading.Event()

    def slow_check(*_args: Any) -> None:
        nonlocal inside, most
        threads.append(threading.current_thread())
        with lock:
            inside += 1
            most = max(most, inside)
            if inside >= hasher.limit:
                full.set()
        release.wait(10)
        with lock:
            inside -= 1

    monkeypatch.setattr(users, "authenticate", slow_check)
    client = httpx.Client(base_url=server.url, follow_redirects=False, timeout=20)
    token = csrf(client.get("/login").text)
    cookies = dict(client.cookies)
    statuses: list[int] = []

    def one(n: int) -> None:
        r = httpx.post(f"{server.url}/login", cookies=cookies, timeout=20, headers={"X-Forwarded-For": f"10.2.0.{n}"},
                       data={"email": f"u{n}@example.com", "password": "x", "csrf_token": token})
        statuses.append(r.status_code)

    callers = [threading.Thread(target=one, args=(n,)) for n in range(5)]
    for t in callers:
        t.start()
    assert full.wait(10)
    assert server.get("/healthz").status_code == 200  # the loop still answers while every slot hashes
    release.set()
    for t in callers:
        t.join(20)
    assert statuses == [401] * 5
    assert most <= 2
    assert server.thread not in threads
