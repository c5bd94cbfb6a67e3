"""Batch requests (SPEC §2) and rate limits with their usage headers (SPEC §3, §6)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pagetoken.graph.ratelimit import Limits, RateLimiter
from tests.support.servers import ThreadServer

from .helpers import EVERYTHING, Scene, scene

USAGE_KEYS = {"call_count", "total_time", "total_cputime"}


def _batch(srv: ThreadServer, requests: list[dict[str, object]], **params: str) -> httpx.Response:
    return httpx.post(srv.url + "/v25.0/", data={"batch": json.dumps(requests), **params}, timeout=10)


def test_batch_answers_in_order_with_its_own_or_the_batch_token(module_server: ThreadServer) -> None:
    srv, s = module_server, scene(module_server.auth)
    token = s.page_token(s.owner_id, EVERYTHING.split(","))
    basic = s.page_token(s.owner_id, EVERYTHING.split(","), long_lived=False)
    r = _batch(srv, [
        {"method": "POST", "relative_url": f"{s.page_id}/feed", "body": "message=from+a+batch"},
        {"method": "GET", "relative_url": f"v25.0/{s.page_id}/feed?fields=message"},
        {"method": "POST", "relative_url": f"{s.page_id}/feed", "body": f"message=basic&access_token={basic}"},
        {"method": "GET", "relative_url": "nonexistent_thing"},
        {"method": "GET", "relative_url": "me", "body": {"fields": "id,name"}},
    ], access_token=token)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    answers = r.json()
    assert [a["code"] for a in answers] == [200, 200, 400, 400, 200]
    for a in answers:
        assert isinstance(a["body"], str)
        names = {h["name"] for h in a["headers"]}
        assert {"Content-Type", "X-App-Usage"} <= names
    post_id = json.loads(answers[0]["body"])["id"]
    assert json.loads(answers[1]["body"])["data"][0] == {"id": post_id, "message": "from a batch"}
    assert json.loads(answers[2]["body"])["error"]["code"] == 200  # its own (basic) token
    assert json.loads(answers[3]["body"])["error"]["code"] == 100
    assert json.loads(answers[4]["body"])["id"] == s.page_id


def test_batch_limits_and_errors(module_server: ThreadServer) -> None:
    srv, s = module_server, scene(module_server.auth)
    token = s.page_token(s.owner_id, EVERYTHING.split(","))
    too_many = _batch(srv, [{"method": "GET", "relative_url": "me"}] * 51, access_token=token)
    assert too_many.status_code == 400 and too_many.json()["error"]["code"] == 100
    assert httpx.post(srv.url + "/", data={"batch": "not json"}, timeout=10).json()["error"]["code"] == 100
    fifty = _batch(srv, [{"method": "GET", "relative_url": "me"}] * 50, access_token=token)
    assert len(fifty.json()) == 50
    no_token = _batch(srv, [{"method": "GET", "relative_url": "me"}])
    assert json.loads(no_token.json()[0]["body"])["error"]["code"] == 2500
    bare = _batch(srv, [{"method": "DELETE", "relative_url": f"{s.post()}"}], access_token=token,
                  include_headers="false")
    assert bare.json() == [{"code": 200, "body": '{"success":true}'}]


@pytest.fixture
def limited(server: ThreadServer) -> Iterator[tuple[ThreadServer, RateLimiter, Scene]]:
    limiter: RateLimiter = server.app.state.ratelimit
    limiter.limits = Limits(window=60, app=1000, user=1000, page=1000)
    yield server, limiter, scene(server.auth)


def test_usage_headers_on_every_answer(limited: tuple[ThreadServer, RateLimiter, Scene]) -> None:
    srv, limiter, s = limited
    limiter.limits = Limits(window=60, app=10, user=1000, page=4)
    token = s.page_token(s.owner_id, EVERYTHING.split(","))
    r = srv.get(f"/{s.page_id}/feed", access_token=token)
    app_usage = json.loads(r.headers["x-app-usage"])
    page_usage = json.loads(r.headers["x-page-usage"])
    assert set(app_usage) == USAGE_KEYS and set(page_usage) == USAGE_KEYS
    assert app_usage["call_count"] == 10 and page_usage["call_count"] == 25
    assert all(isinstance(v, int) for v in (*app_usage.values(), *page_usage.values()))
    bad = srv.get("/me", access_token="EAAnonsense")
    assert json.loads(bad.headers["x-app-usage"]) == {"call_count": 0, "total_time": 0, "total_cputime": 0}
    me = srv.get("/me", access_token=s.user_token(s.owner_id, ["pages_show_list"]))
    assert "x-app-usage" in me.headers and "x-page-usage" not in me.headers
    assert "x-business-use-case-usage" not in me.headers  # only Page-token calls carry it
    business = json.loads(r.headers["x-business-use-case-usage"])
    assert list(business) == [s.page_id] and business[s.page_id][0]["type"] == "pages"
    assert set(business[s.page_id][0]) == {"type", "call_count", "total_cputime", "total_time",
                                           "estimated_time_to_regain_access"}


def test_page_limit_is_32_and_the_window_slides(limited: tuple[ThreadServer, RateLimiter, Scene]) -> None:
    srv, limiter, s = limited
    limiter.limits = Limits(window=60, app=1000, user=1000, page=3)
    token = s.page_token(s.owner_id, EVERYTHING.split(","))
    for _ in range(3):
        assert srv.get(f"/{s.page_id}/feed", access_token=token).status_code == 200
    r = srv.get(f"/{s.page_id}/feed", access_token=token)
    e = r.json()["error"]
    assert (e["code"], e["is_transient"]) == (32, True) and e["message"].startswith("(#32) ")
    assert json.loads(r.headers["x-page-usage"])["call_count"] == 100
    business = json.loads(r.headers["x-business-use-case-usage"])
    assert business == {s.page_id: [{"type": "pages", "call_count": 100, "total_cputime": business[s.page_id][0][
        "total_cputime"], "total_time": business[s.page_id][0]["total_time"], "estimated_time_to_regain_access": 2}]}
    # 61 s: a call counts for the window and one slot (a sixtieth of it)
    srv.clock.advance(60)
    assert srv.get(f"/{s.page_id}/feed", access_token=token).json()["error"]["code"] == 32
    srv.clock.advance(1)
    assert srv.get(f"/{s.page_id}/feed", access_token=token).status_code == 200


def test_app_limit_is_4_and_user_limit_is_17(limited: tuple[ThreadServer, RateLimiter, Scene]) -> None:
    srv, limiter, s = limited
    user_token = s.user_token(s.owner_id, ["pages_show_list"])
    limiter.limits = Limits(window=60, app=1000, user=2, page=1000)
    srv.get("/me", access_token=user_token)
    srv.get("/me", access_token=user_token)
    assert srv.get("/me", access_token=user_token).json()["error"]["code"] == 17
    limiter.limits = Limits(window=60, app=2, user=1000, page=1000)
    e = srv.get("/me", access_token=user_token).json()["error"]
    assert e["code"] == 4 and e["message"] == "(#4) Application request limit reached"
    srv.clock.advance(120)
    assert srv.get("/me", access_token=user_token).status_code == 200


def test_batch_requests_count_one_by_one(limited: tuple[ThreadServer, RateLimiter, Scene]) -> None:
    srv, limiter, s = limited
    limiter.limits = Limits(window=60, app=1000, user=1000, page=2)
    token = s.page_token(s.owner_id, EVERYTHING.split(","))
    answers = _batch(srv, [{"method": "GET", "relative_url": f"{s.page_id}/feed"}] * 3, access_token=token).json()
    assert [json.loads(a["body"]).get("error", {}).get("code") for a in answers] == [None, None, 32]


def test_limits_from_env() -> None:
    limits = Limits.from_env({"PAGETOKEN_RATE_WINDOW_SECONDS": "10", "PAGETOKEN_RATE_APP_LIMIT": "5",
                              "PAGETOKEN_RATE_USER_LIMIT": "3", "PAGETOKEN_RATE_PAGE_LIMIT": "2"})
    assert (limits.window, limits.app, limits.user, limits.page) == (10, 5, 3, 2)
    with pytest.raises(ValueError):
        Limits.from_env({"PAGETOKEN_RATE_APP_LIMIT": "-1"})


def test_the_limits_are_whole_whatever_the_number_of_workers() -> None:
    """The counts are shared by every process, so no process enforces a share of a limit any more."""
    one = Limits.from_env({"PAGETOKEN_RATE_APP_LIMIT": "100", "PAGETOKEN_RATE_USER_LIMIT": "10.5"})
    four = Limits.from_env({"PAGETOKEN_RATE_APP_LIMIT": "100", "PAGETOKEN_RATE_USER_LIMIT": "10.5",
                            "PAGETOKEN_WORKERS": "4"})
    assert (one.app, one.user, one.page) == (100, 11, 10000) and one == four


def _error(r: httpx.Response) -> tuple[int, int, str]:
    """(HTTP status, Graph code, message without its "(#code) " prefix)."""
    e = r.json()["error"]
    prefix = f"(#{e['code']}) "
    assert e["message"].startswith(prefix)
    return r.status_code, e["code"], e["message"][len(prefix):]


@pytest.mark.parametrize(("batch", "message"), [
    ("{}", "batch must be a non-empty JSON array of requests"),
    ("[]", "batch must be a non-empty JSON array of requests"),
    ("[1]", "each batch request must be an object with a relative_url"),
    ('[{"method": "GET"}]', "each batch request must be an object with a relative_url"),
    ('[{"relative_url": 7}]', "each batch request must be an object with a relative_url"),
])
def test_a_malformed_batch_is_refused_whole(module_server: ThreadServer, batch: str, message: str) -> None:
    r = httpx.post(module_server.url + "/v25.0/", data={"batch": batch}, timeout=10)
    assert _error(r) == (400, 100, message)


def test_a_malformed_request_in_a_batch_fails_alone(module_server: ThreadServer) -> None:
    srv, s = module_server, scene(module_server.auth)
    token = s.page_token(s.owner_id, EVERYTHING.split(","))
    answers = _batch(srv, [
        {"method": "GET", "relative_url": "me", "body": 5},
        {"method": "PATCH", "relative_url": "me"},
        {"method": "GET", "relative_url": "me", "body": "method=trace"},
        {"method": "GET", "relative_url": "?fields=id"},
        {"method": "GET", "relative_url": "me", "body": {"fields": "id"}},
    ], access_token=token, include_headers="false").json()
    errors = [json.loads(a["body"]).get("error", {}) for a in answers]
    assert [a["code"] for a in answers] == [400, 400, 400, 400, 200]
    assert [e.get("code") for e in errors[:4]] == [100] * 4
    assert errors[0]["message"] == "(#100) a batch request's body must be a form-encoded string or an object"
    assert errors[1]["message"].endswith("not 'PATCH'") and errors[2]["message"].endswith("not 'TRACE'")
    assert "batches do not nest" in errors[3]["message"]
    assert json.loads(answers[4]["body"]) == {"id": s.page_id}


def test_a_body_over_5_mb_is_refused_before_it_is_read(module_server: ThreadServer) -> None:
    s = scene(module_server.auth)
    token = s.page_token(s.owner_id, EVERYTHING.split(","))
    big = "x" * (5 * 1024 * 1024 + 1)
    r = httpx.post(f"{module_server.url}/v25.0/{s.page_id}/feed", timeout=30,
                   data={"access_token": token, "message": big})
    assert _error(r) == (400, 100, "the request body is larger than 5 MB")
    just_under = httpx.post(f"{module_server.url}/v25.0/{s.page_id}/feed", timeout=30,
                            data={"access_token": token, "message": "y" * 1000})
    assert just_under.status_code == 200 and "id" in just_under.json()


@pytest.mark.parametrize(("ctype", "body", "message"), [
    ("multipart/form-data; boundary=XYZ", b"--XYZ\r\nContent-Disposition: form-data\r\n\r\nno name\r\n--XYZ--\r\n",
     "the request body could not be parsed"),
    ("multipart/form-data", b"--XYZ\r\n\r\nno boundary given\r\n", "the request body could not be parsed"),
    ("application/json", b"{not json", "the JSON request body is not valid JSON"),
    ("application/json", b"[1, 2]", "a JSON body must be an object of parameters"),
])
def test_malformed_bodies_answer_a_graph_error(module_server: ThreadServer, ctype: str, body: bytes,
                                               message: str) -> None:
    s = scene(module_server.auth)
    token = s.page_token(s.owner_id, EVERYTHING.split(","))
    r = httpx.post(f"{module_server.url}/v25.0/{s.page_id}/feed", params={"access_token": token}, content=body,
                   headers={"Content-Type": ctype}, timeout=10)
    assert _error(r) == (400, 100, message)


def test_multipart_fields_and_files_are_parameters(module_server: ThreadServer) -> None:
    s = scene(module_server.auth)
    token = s.page_token(s.owner_id, EVERYTHING.split(","))
    r = httpx.post(f"{module_server.url}/v25.0/{s.page_id}/feed", data={"access_token": token},
                   files={"message": ("m.txt", b"sent as a file part", "text/plain")}, timeout=10)
    assert r.status_code == 200, r.text
    post = httpx.get(f"{module_server.url}/v25.0/{r.json()['id']}", params={"access_token": token}, timeout=10)
    assert post.json()["message"] == "sent as a file part"


def test_a_batch_with_a_dead_token_or_a_crashing_request_answers_each_request(
        server: ThreadServer, monkeypatch: pytest.MonkeyPatch) -> None:
    s = scene(server.auth)
    token = s.page_token(s.owner_id, EVERYTHING.split(","))
    dead = _batch(server, [{"method": "GET", "relative_url": "me"}], access_token="EAA" + "x" * 60,
                  include_headers="false").json()
    assert dead[0]["code"] == 400 and json.loads(dead[0]["body"])["error"]["code"] == 190  # its own token error

    endpoint = server.app.state.graph
    real_run = endpoint.run

    def crash_on_feed(call: Any, raw: Any) -> Any:
        if call.path.endswith("/feed"):
            raise RuntimeError("a bug")
        return real_run(call, raw)

    monkeypatch.setattr(endpoint, "run", crash_on_feed)
    answers = _batch(server, [{"method": "GET", "relative_url": f"{s.page_id}/feed"},
                              {"method": "GET", "relative_url": "me"}], access_token=token,
                     include_headers="false").json()
    assert answers[0]["code"] == 500 and json.loads(answers[0]["body"])["error"]["code"] == 1  # an unknown error
    assert answers[1] == {"code": 200, "body": json.dumps({"id": s.page_id, "name": json.loads(
        answers[1]["body"])["name"]}, separators=(",", ":"))}
