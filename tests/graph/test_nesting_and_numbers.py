"""Nesting too deep and numbers out of range are 100s naming the parameter, never a 500 (SPEC §3)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pagetoken.graph.params import depth, load_json

from ..conftest import BACKENDS, backend_url
from ..support.servers import ThreadServer, World

PERMISSIONS = ("pages_show_list,pages_read_engagement,pages_manage_posts,read_insights,pages_manage_metadata,"
               "pages_manage_roles,pages_messaging,read_page_mailboxes")


def deep_list(n: int) -> str:
    return "[" * n + "]" * n


def deep_object(n: int) -> str:
    return '{"a":' * n + "1" + "}" * n


@pytest.fixture(scope="module", params=BACKENDS)
def scene(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[tuple[ThreadServer, World, str]]:
    """One server per backend: every case goes the whole way (token, node, checks) before its parameter."""
    from pagetoken.authority.context import Authority
    from pagetoken.core.clock import ManualClock
    from pagetoken.core.keyring import KeyRing, new_key
    from pagetoken.core.lifetimes import Lifetimes
    from pagetoken.store.store import Store

    clock = ManualClock(1_800_000_000.0)
    url = backend_url(request, request.param, tmp_path_factory.mktemp("nest"), migrated=True)
    auth = Authority(Store.open(url), KeyRing([new_key()]), clock, Lifetimes())
    server = ThreadServer(auth, clock).start()
    world = server.world(PERMISSIONS)
    page_token = server.get(f"/{world.page_id}", fields="access_token", access_token=world.user_token).json()
    yield server, world, page_token["access_token"]
    server.stop()
    auth.close()


CASES: list[tuple[str, str, str, dict[str, str], str]] = [
    # (id, method, path template, params, the parameter the message must name)
    ("batch", "POST", "/", {"batch": "[" * 1000}, "batch"),
    ("batch-deep", "POST", "/", {"batch": deep_list(3000)}, "batch"),
    ("batch-headers", "POST", "/", {"batch": json.dumps([{"method": "GET", "relative_url": "me",
                                                          "headers": [{"name": json.loads(deep_object(40))}]}])},
     "batch"),
    ("batch-headers-shape", "POST", "/", {"batch": json.dumps([{"method": "GET", "relative_url": "me",
                                                                "headers": {"name": "x"}}])}, "headers"),
    ("fields", "GET", "/me", {"fields": "a{" * 900 + "id" + "}" * 900}, "fields"),
    ("fields-40", "GET", "/me", {"fields": "a{" * 40 + "id" + "}" * 40}, "fields"),
    ("permissions", "POST", "/{app}/accounts/test-users", {"permissions": deep_list(3000)}, "permissions"),
    ("permissions-40", "POST", "/{app}/accounts/test-users", {"permissions": deep_list(40)}, "permissions"),
    ("tasks", "POST", "/{page}/roles", {"user": "1", "tasks": deep_list(3000)}, "tasks"),
    ("metric", "GET", "/{page}/insights", {"metric": deep_list(3000)}, "metric"),
    ("subscribed_fields", "POST", "/{page}/subscribed_apps", {"subscribed_fields": deep_list(3000)},
     "subscribed_fields"),
    ("user", "POST", "/{page}/roles", {"user": deep_object(3000), "tasks": "MANAGE"}, "user"),
    ("recipient", "POST", "/{page}/messages", {"recipient": deep_object(3000), "message": "hi"}, "recipient"),
    ("message", "POST", "/{page}/messages", {"recipient": '{"id":"1"}', "message": deep_object(3000)}, "message"),
    ("since-until", "GET", "/{page}/insights", {"metric": "page_impressions", "since": "1e400", "until": "nan"},
     "since"),
    ("until", "GET", "/{page}/insights", {"metric": "page_impressions", "until": "nan"}, "until"),
    ("since-inf", "GET", "/{page}/insights", {"metric": "page_impressions", "since": "-inf"}, "since"),
]


@pytest.mark.parametrize(("method", "path", "params", "name"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_deep_nesting_and_wild_numbers_are_100s(scene: tuple[ThreadServer, World, str], method: str, path: str,
                                                params: dict[str, str], name: str) -> None:
    server, world, page_token = scene
    token = world.app_token if "{app}" in path else world.user_token
    url = server.url + path.format(app=world.app_id, page=world.page_id)
    params = {**params, "access_token": token}
    r = httpx.request(method, url, timeout=20, **({"params": params} if method == "GET" else {"data": params}))
    if r.status_code == 200 and path == "/":  # a request of the batch was refused, on its own
        r = httpx.Response(r.json()[0]["code"], content=r.json()[0]["body"])
    assert r.status_code == 400, r.text[:300]
    error = r.json()["error"]
    assert error["code"] == 100 and name in error["message"], error


@pytest.mark.parametrize("body", [
    '{"fields": ' + deep_list(3000) + "}", '{"message": ' + deep_object(40) + "}", '{"limit": 1e400}',
    '{"limit": NaN}', '{"limit": -Infinity}',
])
def test_json_bodies_too_deep_or_out_of_range_are_100s(scene: tuple[ThreadServer, World, str], body: str) -> None:
    server, world, _page_token = scene
    r = httpx.post(f"{server.url}/me", params={"access_token": world.user_token}, content=body,
                   headers={"content-type": "application/json"}, timeout=20)
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == 100 and "JSON request body" in error["message"], error


def test_depth_counts_without_recursion() -> None:
    value: Any = []
    for _ in range(100_000):
        value = [value]
    assert depth(value) > 32 and depth({"a": [1, {"b": 2}]}) == 3 and depth("x") == 0
    assert load_json('{"a": [1, 2.5, {"b": null}]}', "x") == {"a": [1, 2.5, {"b": None}]}
