"""GraphClient against the real Graph API's URL shape (respx): nothing in it is pagetoken-specific."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from pagetoken.client import (
    AsyncGraphClient,
    GraphClient,
    GraphError,
    NetworkError,
    ObjectNotFound,
    PermissionDenied,
    RateLimited,
    RetryPolicy,
    TokenExpired,
    TransientError,
)
from pagetoken.core import errors
from pagetoken.core.proof import appsecret_proof
from pagetoken.core.tokens import new_token
from tests.support import aio

BASE = "https://graph.facebook.com/v25.0"
APP_ID = "1234567890"
SECRET = "0123456789abcdef0123456789abcdef"


def error(err: errors.ApiError, **headers: str) -> httpx.Response:
    return httpx.Response(err.status, json=err.body(), headers={**err.headers, **headers})


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def graph(sleeps: Sleeps) -> Any:
    with GraphClient(version="v25.0", app_id=APP_ID, app_secret=SECRET, sleep=sleeps,
                     retry=RetryPolicy(attempts=3, base=0.5, cap=4.0)) as c:
        yield c


def query(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.url.query.decode()).items()}


@respx.mock
def test_get_adds_token_and_proof(graph: GraphClient) -> None:
    token = new_token()
    route = respx.get(f"{BASE}/me").respond(json={"id": "1", "name": "Tess"})
    assert graph.get("me", token, fields="id,name") == {"id": "1", "name": "Tess"}
    q = query(route.calls.last.request)
    assert q == {"fields": "id,name", "access_token": token, "appsecret_proof": appsecret_proof(token, SECRET)}


@respx.mock
def test_post_sends_a_form_body_and_encodes_lists_and_bools(graph: GraphClient) -> None:
    token = new_token()
    route = respx.post(f"{BASE}/111/feed").respond(json={"id": "111_1"})
    assert graph.post("111/feed", token, message="hi", published=False, targeting={"geo": ["FR"]}) == {"id": "111_1"}
    request = route.calls.last.request
    assert request.url.query == b""
    form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
    assert form["published"] == "false" and json.loads(form["targeting"]) == {"geo": ["FR"]}
    assert form["appsecret_proof"] == appsecret_proof(token, SECRET)


@respx.mock
def test_without_a_secret_no_proof_and_without_a_version_no_prefix() -> None:
    token = new_token()
    route = respx.get("https://graph.facebook.com/me").respond(json={"id": "1"})
    with GraphClient(access_token=token) as c:
        c.get("me")
    assert query(route.calls.last.request) == {"access_token": token}


@respx.mock
def test_true_becomes_success(graph: GraphClient) -> None:
    respx.delete(f"{BASE}/111_1").respond(json=True)
    assert graph.delete("111_1", new_token()) == {"success": True}


@respx.mock
def test_debug_token_uses_the_app_token(graph: GraphClient) -> None:
    token = new_token()
    route = respx.get(f"{BASE}/debug_token").respond(json={"data": {
        "app_id": APP_ID, "type": "PAGE", "application": "App", "is_valid": True, "issued_at": 10,
        "expires_at": 0, "data_access_expires_at": 99, "scopes": ["pages_show_list"], "user_id": "7",
        "profile_id": "111"}})
    info = graph.debug_token(token)
    assert info.is_valid and info.type == "PAGE" and info.page_id == "111" and info.expires_at == 0
    q = query(route.calls.last.request)
    assert q["input_token"] == token and q["access_token"] == f"{APP_ID}|{SECRET}"
    assert q["appsecret_proof"] == appsecret_proof(f"{APP_ID}|{SECRET}", SECRET)


@respx.mock
def test_debug_token_of_an_invalid_token(graph: GraphClient) -> None:
    respx.get(f"{BASE}/debug_token").respond(json={"data": {
        "is_valid": False, "scopes": [], "error": {"code": 190, "subcode": 463, "message": "expired"}}})
    info = graph.debug_token(new_token())
    assert not info.is_valid and isinstance(info.error, TokenExpired)


@respx.mock
def test_exchange_app_token_and_revoke(graph: GraphClient) -> None:
    short, long_ = new_token(), new_token()
    exchange = respx.get(f"{BASE}/oauth/access_token", params={"grant_type": "fb_exchange_token"}).respond(
        json={"access_token": long_, "token_type": "bearer", "expires_in": 5183999})
    app = respx.get(f"{BASE}/oauth/access_token", params={"grant_type": "client_credentials"}).respond(
        json={"access_token": f"{APP_ID}|{SECRET}", "token_type": "bearer"})
    revoke = respx.delete(f"{BASE}/oauth/access_token").respond(json={"success": True})
    got = graph.exchange_long_lived(short)
    assert got.access_token == long_ and got.expires_in == 5183999 and long_ not in repr(got)
    q = query(exchange.calls.last.request)
    assert q == {"grant_type": "fb_exchange_token", "client_id": APP_ID, "client_secret": SECRET,
                 "fb_exchange_token": short}
    assert graph.app_token().expires_in is None and app.called
    assert graph.revoke(long_) is True
    assert query(revoke.calls.last.request)["access_token"] == long_


@respx.mock
def test_page_tokens_follow_every_page(graph: GraphClient) -> None:
    user = new_token()
    t1, t2 = new_token(), new_token()
    nxt = f"{BASE}/me/accounts?access_token={user}&limit=1&after=c1"
    route = respx.get(f"{BASE}/me/accounts")
    route.side_effect = [
        httpx.Response(200, json={"data": [{"id": "111", "name": "One", "access_token": t1, "tasks": ["MANAGE"]}],
                                  "paging": {"cursors": {"before": "c0", "after": "c1"}, "next": nxt}}),
        httpx.Response(200, json={"data": [{"id": "222", "name": "Two", "access_token": t2}],
                                  "paging": {"cursors": {"before": "c1", "after": "c2"}}}),
    ]
    pages = graph.page_tokens(user)
    assert [(p.page_id, p.access_token) for p in pages] == [("111", t1), ("222", t2)]
    assert t1 not in repr(pages)
    second = query(route.calls[1].request)
    assert second["after"] == "c1" and second["access_token"] == user
    assert second["appsecret_proof"] == appsecret_proof(user, SECRET)


@respx.mock
def test_paginate_and_the_other_host_refusal(graph: GraphClient) -> None:
    token = new_token()
    route = respx.get(f"{BASE}/111/feed")
    route.side_effect = [
        httpx.Response(200, json={"data": [1, 2], "paging": {"cursors": {"after": "x"},
                                                             "next": f"{BASE}/111/feed?after=x"}}),
        httpx.Response(200, json={"data": [3], "paging": {"cursors": {"after": "y"}}}),
    ]
    assert list(graph.paginate("111/feed", token, limit=2)) == [1, 2, 3]
    respx.get(f"{BASE}/222/feed").respond(json={"data": [1], "paging": {
        "cursors": {"after": "x"}, "next": "https://evil.example/steal?after=x"}})
    with pytest.raises(ValueError, match="another host"):
        list(graph.paginate("222/feed", token))


@respx.mock
def test_page_token_for_one_page(graph: GraphClient) -> None:
    user, page = new_token(), new_token()
    route = respx.get(f"{BASE}/111").respond(json={"id": "111", "name": "One", "access_token": page})
    got = graph.page_token("111", user)
    assert got.access_token == page and query(route.calls.last.request)["fields"].startswith("id,name,access_token")


@respx.mock
def test_transient_errors_are_retried_with_backoff(graph: GraphClient, sleeps: Sleeps) -> None:
    route = respx.get(f"{BASE}/me")
    route.side_effect = [error(errors.ServiceUnavailable()), httpx.Response(502, text="<html>"),
                         httpx.Response(200, json={"id": "1"})]
    assert graph.get("me", new_token()) == {"id": "1"}
    assert route.call_count == 3 and len(sleeps) == 2
    assert 0.25 <= sleeps[0] <= 0.5 and 0.5 <= sleeps[1] <= 1.0


@respx.mock
def test_transient_errors_give_up_after_the_attempts(graph: GraphClient) -> None:
    route = respx.get(f"{BASE}/me").mock(return_value=error(errors.UnknownError()))
    with pytest.raises(TransientError):
        graph.get("me", new_token())
    assert route.call_count == 3


@respx.mock
@pytest.mark.parametrize("err", [errors.TokenExpired("a", "b"), errors.MissingPermission("pages_manage_posts"),
                                 errors.MissingTask("MANAGE"), errors.BadParameter("x"), errors.ObjectMissing("1"),
                                 errors.AppNotAuthorized("1", "2")])
def test_never_retried(graph: GraphClient, sleeps: Sleeps, err: errors.ApiError) -> None:
    route = respx.get(f"{BASE}/me").mock(return_value=error(err))
    with pytest.raises(GraphError) as caught:
        graph.get("me", new_token())
    assert route.call_count == 1 and sleeps == []
    assert caught.value.code == err.code


@respx.mock
def test_typed_errors_come_out(graph: GraphClient) -> None:
    respx.get(f"{BASE}/111").mock(return_value=error(errors.ObjectMissing("111")))
    respx.post(f"{BASE}/111/feed").mock(return_value=error(errors.MissingPermission("pages_manage_posts")))
    with pytest.raises(ObjectNotFound):
        graph.get("111", new_token())
    with pytest.raises(PermissionDenied) as denied:
        graph.post("111/feed", new_token(), message="x")
    assert denied.value.needed == ("pages_manage_posts",)


@respx.mock
def test_network_errors(graph: GraphClient, sleeps: Sleeps) -> None:
    route = respx.get(f"{BASE}/me")
    route.side_effect = [httpx.ConnectError("refused"), httpx.Response(200, json={"id": "1"})]
    assert graph.get("me", new_token()) == {"id": "1"} and len(sleeps) == 1
    post = respx.post(f"{BASE}/111/feed").mock(side_effect=httpx.ReadTimeout("lost"))
    with pytest.raises(NetworkError):
        graph.post("111/feed", new_token(), message="not twice")
    assert post.call_count == 1  # the post may have been made: never sent again
    refused = respx.post(f"{BASE}/222/feed").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(NetworkError):
        graph.post("222/feed", new_token(), message="never sent")
    assert refused.call_count == 3


@respx.mock
def test_rate_limits(graph: GraphClient, sleeps: Sleeps) -> None:
    route = respx.get(f"{BASE}/me")
    route.side_effect = [error(errors.AppRateLimited(), **{"Retry-After": "2"}), httpx.Response(200, json={})]
    graph.get("me", new_token())
    assert sleeps == [2.0]
    respx.get(f"{BASE}/111").mock(return_value=error(errors.PageRateLimited()))
    with pytest.raises(RateLimited) as caught:
        graph.get("111", new_token())
    assert caught.value.retry_after is None
    respx.get(f"{BASE}/222").mock(return_value=error(errors.UserRateLimited(), **{"Retry-After": "3600"}))
    with pytest.raises(RateLimited) as long_wait:
        graph.get("222", new_token())
    assert long_wait.value.retry_after == 3600


@respx.mock
def test_usage_headers_are_exposed_and_slow_the_next_call(graph: GraphClient, sleeps: Sleeps) -> None:
    usage = {"X-App-Usage": json.dumps({"call_count": 96, "total_time": 10, "total_cputime": 5}),
             "X-Business-Use-Case-Usage": json.dumps({"42": [{"type": "pages", "call_count": 20, "total_time": 1,
                                                               "total_cputime": 1,
                                                               "estimated_time_to_regain_access": 0}]})}
    respx.get(f"{BASE}/me").respond(json={"id": "1"}, headers=usage)
    graph.get("me", new_token())
    assert graph.last_usage.app["call_count"] == 96 and graph.last_usage.call_count == 96
    assert graph.last_usage.business["42"][0]["type"] == "pages"
    assert sleeps == []
    graph.get("me", new_token())
    assert len(sleeps) == 1 and 29 <= sleeps[0] <= 30


@respx.mock
def test_odd_bodies(graph: GraphClient) -> None:
    respx.get(f"{BASE}/oauth/access_token").respond(text="access_token=abc&expires=60")
    assert graph.exchange_long_lived(new_token()).expires_in == 60
    respx.get(f"{BASE}/me").respond(text="<html>hi</html>")
    with pytest.raises(Exception, match="not JSON"):
        graph.get("me", new_token())
    respx.get(f"{BASE}/x").respond(200, json=errors.TokenExpired("a", "b").body())
    with pytest.raises(TokenExpired):
        graph.get("x", new_token())


@respx.mock
def test_no_token_in_the_logs(graph: GraphClient, caplog: pytest.LogCaptureFixture) -> None:
    token = new_token()
    respx.get(f"{BASE}/me").mock(side_effect=[httpx.ConnectError(f"boom {token}"), httpx.Response(200, json={})])
    with caplog.at_level(logging.DEBUG):
        graph.get("me", token)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "GET /v25.0/me" in text and token[:6] in text
    assert token not in text and SECRET not in text


def test_version_must_look_like_one() -> None:
    with pytest.raises(ValueError):
        GraphClient(version="25")


@respx.mock
def test_async_client_is_the_same_client() -> None:
    token = new_token()
    seen: list[float] = []

    async def fake_sleep(s: float) -> None:
        seen.append(s)

    route = respx.get(f"{BASE}/me")
    route.side_effect = [error(errors.ServiceUnavailable()), httpx.Response(200, json={"id": "1"})]
    respx.get(f"{BASE}/111").mock(return_value=error(errors.TokenExpired("a", "b")))
    feed = respx.get(f"{BASE}/111/feed")
    feed.side_effect = [
        httpx.Response(200, json={"data": [1], "paging": {"cursors": {"after": "x"},
                                                          "next": f"{BASE}/111/feed?after=x"}}),
        httpx.Response(200, json={"data": [2], "paging": {"cursors": {}}}),
    ]
    respx.delete(f"{BASE}/oauth/access_token").respond(json={"success": True})

    async def main() -> None:
        async with AsyncGraphClient(version="v25.0", app_id=APP_ID, app_secret=SECRET, sleep=fake_sleep,
                                    retry=RetryPolicy(attempts=2, base=0.1, cap=0.1, jitter=False)) as c:
            assert await c.get("me", token) == {"id": "1"}
            with pytest.raises(TokenExpired):
                await c.get("111", token)
            assert [i async for i in c.paginate("111/feed", token)] == [1, 2]
            assert await c.revoke(token) is True

    aio.run(main())
    assert seen == [0.1]
    assert query(route.calls.last.request)["appsecret_proof"] == appsecret_proof(token, SECRET)
