"""Answers given again (graph/recall.py): the same read, asked again while nothing it was read from has
changed, gets its kept answer without running the call; and everything a call does besides its answer
(the rate limits, the impressions, fresh usage headers and trace IDs) still happens on every one.

Each test names what would go wrong if the kept answer skipped one of those, or outlived what it was
read from: a revocation (here and on another node), the token's expiry, a Page's change, a secret reset.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pagetoken.authority import apps, impressions, pages, posts, revoke
from pagetoken.authority.context import Authority
from pagetoken.core.keyring import KeyRing
from pagetoken.core.lifetimes import Lifetimes
from pagetoken.store.store import Store
from tests.support.changes import Heard
from tests.support.servers import ThreadServer, World


def page_token(server: ThreadServer, w: World) -> str:
    """The Page token of the world's user (from a short-lived user token: it ends within the hour)."""
    token = server.get(f"/{w.page_id}", fields="access_token", access_token=w.user_token).json()["access_token"]
    assert isinstance(token, str)
    return token


class Hits:
    """How many requests were given a kept answer (the call not run)."""

    def __init__(self, server: ThreadServer, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        recall = server.app.state.graph.recall
        real = recall.answer

        def counted(*args: Any, **kwargs: Any) -> Any:
            found = real(*args, **kwargs)
            self.count += found is not None
            return found

        monkeypatch.setattr(recall, "answer", counted)


def read(server: ThreadServer, w: World, token: str, fields: str = "id,name") -> httpx.Response:
    return server.get(f"/v25.0/{w.page_id}", fields=fields, access_token=token)


def test_the_same_read_is_answered_again_without_running_it(server: ThreadServer,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    w = server.world()
    token = page_token(server, w)
    hits = Hits(server, monkeypatch)
    answers = [read(server, w, token) for _ in range(4)]
    assert all(a.status_code == 200 for a in answers)
    assert {a.content for a in answers} == {json.dumps({"id": w.page_id, "name": "Test Page"},
                                                       separators=(",", ":")).encode()}
    assert hits.count == 3  # the first ran; the other three were given its answer
    kept = repr(list(server.auth.answer_cache._data.items()))
    assert "Test Page" in kept and token not in kept  # the cache holds the answer, never the token as sent
    # every answer is its own: a trace ID each, the Graph's headers, the version asked for
    assert len({a.headers["x-fb-trace-id"] for a in answers}) == 4
    for a in answers:
        assert a.headers["facebook-api-version"] == "v25.0" and a.headers["x-fb-rev"]
        assert a.headers["cache-control"].startswith("private, no-cache") and "x-pagetoken-worker" in a.headers
        assert {"x-app-usage", "x-page-usage", "x-business-use-case-usage"} <= set(a.headers)
    # another request is another read: other fields, the token in a header, another token
    assert read(server, w, token, "name").json() == {"name": "Test Page", "id": w.page_id}
    by_header = httpx.get(f"{server.url}/v25.0/{w.page_id}", params={"fields": "id,name"},
                          headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert by_header.json() == answers[0].json()
    forged = httpx.get(f"{server.url}/v25.0/{w.page_id}", params={"fields": "id,name"},
                       headers={"Authorization": f"Bearer {token[:-4]}AAAA"}, timeout=10)
    assert forged.status_code == 400 and forged.json()["error"]["code"] == 190
    assert hits.count == 3


def test_every_kept_answer_counts_for_the_rate_limits(auth: Authority, clock: Any,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # 200 calls an hour: this process may count two before it exchanges its counts with the others (a
    # round trip to the database, which a kept answer leaves to the full call), so about half are kept.
    monkeypatch.setenv("PAGETOKEN_RATE_APP_LIMIT", "200")
    server = ThreadServer(auth, clock).start()
    try:
        w = server.world()
        token = page_token(server, w)  # one call of the app's 200
        hits = Hits(server, monkeypatch)
        with httpx.Client(base_url=server.url, timeout=10) as client:
            seen = [client.get(f"/v25.0/{w.page_id}", params={"fields": "id,name", "access_token": token})
                    for _ in range(200)]
        assert hits.count >= 60
        assert [r.status_code for r in seen] == [200] * 199 + [400]
        assert seen[-1].json()["error"]["code"] == 4  # refused as the full call would be
        usage = [json.loads(r.headers["x-app-usage"])["call_count"] for r in seen]
        assert usage[:3] == [1, 1, 2] and usage[-2:] == [100, 100]  # fresh on each answer, kept or not
        # the refusal just read the shared counts: the next one is a kept answer's, refused from memory
        before = hits.count
        again = read(server, w, token)
        assert again.json()["error"]["code"] == 4 and hits.count == before + 1
        assert json.loads(again.headers["x-app-usage"])["call_count"] == 100
    finally:
        server.stop()


@pytest.mark.parametrize(("limit", "code"), [("PAGETOKEN_RATE_USER_LIMIT", 17), ("PAGETOKEN_RATE_PAGE_LIMIT", 32)])
def test_kept_answers_count_for_the_person_and_the_page_too(limit: str, code: int, auth: Authority, clock: Any,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(limit, "200")
    server = ThreadServer(auth, clock).start()
    try:
        w = server.world()
        token = page_token(server, w)
        hits = Hits(server, monkeypatch)
        with httpx.Client(base_url=server.url, timeout=10) as client:
            seen = [client.get(f"/v25.0/{w.page_id}", params={"fields": "id,name", "access_token": token})
                    for _ in range(205)]
        assert hits.count >= 60
        admitted = next(i for i, r in enumerate(seen) if r.status_code != 200)
        assert 195 <= admitted <= 200  # the calls made getting the token count too
        assert all(r.status_code == 400 and r.json()["error"]["code"] == code for r in seen[admitted:])
        for r in seen[:admitted]:  # the Page's two usage headers agree on every answer, kept or not
            page = json.loads(r.headers["x-page-usage"])
            business = json.loads(r.headers["x-business-use-case-usage"])[w.page_id][0]
            assert business["call_count"] == page["call_count"] and business["type"] == "pages"
        if code == 32:
            assert json.loads(seen[admitted - 1].headers["x-page-usage"])["call_count"] == 100
            regain = json.loads(seen[-1].headers["x-business-use-case-usage"])[w.page_id][0]
            assert regain["estimated_time_to_regain_access"] > 0
    finally:
        server.stop()


def test_every_kept_answer_is_an_impression(server: ThreadServer, monkeypatch: pytest.MonkeyPatch) -> None:
    w = server.world()
    token = page_token(server, w)
    log = impressions.log_for(server.auth)
    log.flush()
    hits = Hits(server, monkeypatch)
    for _ in range(5):
        assert read(server, w, token).status_code == 200
    assert hits.count == 4 and log.pending() == 5


def test_a_revocation_ends_the_kept_answer(server: ThreadServer) -> None:
    w = server.world()
    token = page_token(server, w)
    assert read(server, w, token).status_code == read(server, w, token).status_code == 200
    assert server.delete("/oauth/access_token", access_token=token).json() == {"success": True}
    refused = read(server, w, token)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == 190


def test_a_revocation_on_another_node_ends_the_kept_answer(server: ThreadServer, store_url: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    w = server.world()
    token = page_token(server, w)
    assert read(server, w, token).status_code == read(server, w, token).status_code == 200
    heard = Heard(server.auth.store, monkeypatch)
    other = Authority(Store.open(store_url), KeyRing(server.auth.keyring.keys), server.clock, Lifetimes())
    try:
        assert revoke.revoke_token(other, token)
    finally:
        other.close()
    heard.until(lambda: read(server, w, token).status_code == 400)
    assert read(server, w, token).json()["error"]["code"] == 190


def test_the_kept_answer_ends_with_its_token(server: ThreadServer) -> None:
    w = server.world()
    token = page_token(server, w)  # from a short-lived user token: it ends within the hour
    assert read(server, w, token).status_code == read(server, w, token).status_code == 200
    server.clock.advance(3601)
    expired = read(server, w, token).json()["error"]
    assert expired["code"] == 190 and expired["error_subcode"] == 463


def test_a_changed_page_and_a_secret_reset_end_the_kept_answer(server: ThreadServer) -> None:
    w = server.world()
    token = page_token(server, w)
    assert read(server, w, token, "name,about").json() == read(server, w, token, "name,about").json()
    pages.update_fields(server.auth, w.page_id, {"about": "Changed"})
    assert read(server, w, token, "name,about").json()["about"] == "Changed"
    proof = server.proof(token, w.secret)
    first = server.get(f"/{w.page_id}", fields="name", access_token=token, appsecret_proof=proof)
    assert first.status_code == 200
    apps.reset_secret(server.auth, w.app_id)
    again = server.get(f"/{w.page_id}", fields="name", access_token=token, appsecret_proof=proof)
    assert again.status_code == 400 and again.json()["error"]["code"] == 100  # the proof no longer matches


def test_reads_that_hold_other_calls_or_changing_counts_are_not_kept(server: ThreadServer,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    w = server.world()
    token = page_token(server, w)
    hits = Hits(server, monkeypatch)
    for fields in ("name,feed.limit(1)", "name,fan_count"):
        read(server, w, token, fields)
        read(server, w, token, fields)
    assert hits.count == 0
    # a new post shows in the next read of the feed inside the Page's fields
    posts.create(server.auth, w.page_id, "Fresh")
    assert read(server, w, token, "name,feed.limit(1)").json()["feed"]["data"][0]["message"] == "Fresh"


def test_debug_token_is_kept_until_its_tokens_change(server: ThreadServer) -> None:
    w = server.world()
    token = page_token(server, w)

    def inspect() -> dict[str, Any]:
        data: dict[str, Any] = server.get("/debug_token", input_token=token, access_token=w.app_token).json()["data"]
        return data

    assert inspect()["is_valid"] is True and inspect()["is_valid"] is True
    assert revoke.revoke_token(server.auth, token)
    assert inspect()["is_valid"] is False
    # and a token that ends: valid until then, then no longer, with no change to the store in between
    short = w.user_token
    first = server.get("/debug_token", input_token=short, access_token=w.app_token).json()["data"]
    assert first["is_valid"] is True
    server.clock.advance(first["expires_at"] - server.clock.now() + 1)
    assert server.get("/debug_token", input_token=short, access_token=w.app_token).json()["data"]["is_valid"] is False


@pytest.fixture
def no_cache(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("PAGETOKEN_CACHE_SECONDS", "0")
    yield


def test_nothing_is_kept_with_the_cache_off(no_cache: None, sqlite_auth: Authority, clock: Any,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    server = ThreadServer(sqlite_auth, clock).start()
    try:
        w = server.world()
        token = page_token(server, w)
        hits = Hits(server, monkeypatch)
        read(server, w, token)
        read(server, w, token)
        assert hits.count == 0
    finally:
        server.stop()
