"""A call whose state is all in memory runs on the event loop, with no thread hop; one that needs the
database runs in a worker thread, and is still counted once by the rate limits."""

from __future__ import annotations

from typing import Any

import pytest

from pagetoken.authority import grants
from pagetoken.graph import http
from pagetoken.graph.ratelimit import Limits, RateLimiter
from tests.pageapi.helpers import scene
from tests.support.servers import ThreadServer


def thread_hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths of the calls that went on to a worker thread, from now on."""
    hops: list[str] = []
    real = http.run_in_threadpool

    async def counted(func: Any, *args: Any) -> Any:
        hops.append(args[0].path)
        return await real(func, *args)

    monkeypatch.setattr(http, "run_in_threadpool", counted)
    return hops


def test_in_memory_calls_stay_on_the_loop_and_count_once(server: ThreadServer,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    s = scene(server.auth)
    token = s.page_token(s.owner_id, ["pages_read_engagement"])
    limiter: RateLimiter = server.app.state.ratelimit
    # Limits far enough that no call here must exchange counts first (that needs the database: see
    # tests/authority/test_ratecounts.py): a process holds back up to a hundredth of each limit.
    limiter.limits = Limits(window=60, app=600, user=1000, page=1000)
    hops = thread_hops(monkeypatch)
    read = {"fields": "id,name", "access_token": token}
    assert server.get(f"/{s.page_id}", **read).status_code == 200  # call 1 warms the caches
    hops.clear()
    for _ in range(3):  # calls 2-4
        assert server.get(f"/{s.page_id}", **read).status_code == 200
    assert hops == []  # all in memory: no thread hop
    assert server.get(f"/{s.page_id}/feed", access_token=token).status_code == 200  # call 5
    assert hops == [f"{s.page_id}/feed"]  # the feed reads the database: tried on the loop, then one hop
    assert server.get(f"/{s.page_id}", **read).status_code == 200  # call 6: the feed counted once
    assert limiter.counts.tally(("app", s.app_id), 60).calls == 6
    limiter.limits.app = 6
    assert server.get(f"/{s.page_id}", **read).json()["error"]["code"] == 4  # call 7 is over the limit


def test_debug_token_and_permission_checks_stay_on_the_loop_once_warm(server: ThreadServer,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """debug_token (of a user token and of a Page token) and an operation that checks a permission and a
    Page task read grants and roles: from memory too, once warm, and again after a change."""
    s = scene(server.auth)
    user_token = s.long_user_token(s.owner_id, ["pages_show_list", "pages_read_engagement"])
    page_token = s.page_token(s.owner_id, ["pages_read_engagement"])
    app_token = f"{s.app_id}|{s.secret}"
    hops = thread_hops(monkeypatch)

    def calls() -> list[int]:
        return [server.get("/debug_token", input_token=user_token, access_token=app_token).status_code,
                server.get("/debug_token", input_token=page_token, access_token=app_token).status_code,
                server.get(f"/{s.page_id}/roles", access_token=page_token).status_code]

    assert calls() == [200, 200, 200]  # warms the caches
    hops.clear()
    assert calls() == [200, 200, 200]
    assert hops == [f"{s.page_id}/roles"]  # the roles list itself is read from the database; its checks are not
    grants.remove_permission(server.auth, s.owner_id, s.app_id, "pages_show_list")
    debugged = server.get("/debug_token", input_token=user_token, access_token=app_token).json()["data"]
    assert "pages_show_list" not in debugged["scopes"] and "pages_read_engagement" in debugged["scopes"]


def test_calls_that_always_write_go_to_a_thread_without_an_attempt_on_the_loop(
        server: ThreadServer, monkeypatch: pytest.MonkeyPatch) -> None:
    s = scene(server.auth)
    user_token = s.long_user_token(s.owner_id, ["pages_show_list", "pages_manage_posts"])
    page_token = s.page_token(s.owner_id, ["pages_manage_posts", "pages_read_engagement"])
    runs: list[tuple[str, bool]] = []
    endpoint = server.app.state.graph
    real = endpoint.run

    def run(call: Any, raw: Any, on_loop: bool = False) -> Any:
        runs.append((call.path, on_loop))
        return real(call, raw, on_loop)

    monkeypatch.setattr(endpoint, "run", run)
    exchange = {"grant_type": "fb_exchange_token", "client_id": s.app_id, "client_secret": s.secret,
                "fb_exchange_token": user_token}
    assert "access_token" in server.get("/oauth/access_token", **exchange).json()
    page = {"grant_type": "client_credentials", "client_id": s.app_id, "client_secret": s.secret,
            "page_id": s.page_id}
    assert "access_token" in server.get("/oauth/access_token", **page).json()
    assert "id" in server.post(f"/{s.page_id}/feed", message="hi", access_token=page_token).json()
    assert runs == [("oauth/access_token", False), ("oauth/access_token", False), (f"{s.page_id}/feed", False)]
    runs.clear()
    app = {"grant_type": "client_credentials", "client_id": s.app_id, "client_secret": s.secret}
    for _ in range(2):  # the app's own token is derived and remembered: on the loop once warm
        assert "access_token" in server.get("/oauth/access_token", **app).json()
    assert runs[-1] == ("oauth/access_token", True)
