"""Every call of the control API over HTTP, on SQLite and on PostgreSQL (SPEC §11)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from pagetoken.authority.context import Authority
from pagetoken.core.clock import ManualClock
from pagetoken.core.keyring import KeyRing, new_key
from pagetoken.core.lifetimes import Lifetimes
from pagetoken.devtools.control import DevOptions
from pagetoken.store.store import Store

from .conftest import DevServer

DAY = 86400
SECRET = "0123456789abcdef" * 2


def scene(dev: DevServer, permissions: list[str] | None = None) -> tuple[dict[str, Any], dict[str, Any], str]:
    """An app, a test user who installed it, and a Page the user owns: (app, user, page_id)."""
    app = dev.control("POST", "/apps", {"name": "Scheduler"})
    user = dev.control("POST", "/users", {"app_id": app["id"], "name": "Ada",
                                          "permissions": permissions or ["pages_show_list", "pages_read_engagement"]})
    page = dev.control("POST", "/pages", {"owner": user["id"], "name": "Bakery"})
    return app, user, page["id"]


def error_of(r: httpx.Response) -> tuple[int, int | None]:
    err = r.json()["error"]
    return err["code"], err.get("error_subcode")


def mint(dev: DevServer, kind: str, app_id: str, **more: Any) -> str:
    return str(dev.control("POST", "/tokens", {"kind": kind, "app_id": app_id, **more})["access_token"])


def test_clock_moves_expiry_and_data_access(dev: DevServer) -> None:
    app, user, _ = scene(dev)
    start = dev.control("GET", "/clock")
    assert start["offset"] == 0
    short = mint(dev, "user_short", app["id"], user_id=user["id"])
    long = mint(dev, "user_long", app["id"], user_id=user["id"])
    assert dev.graph("GET", "/me", access_token=short).status_code == 200
    moved = dev.control("POST", "/clock", {"advance": 7200})
    assert moved["offset"] == 7200 and moved["now"] == pytest.approx(start["now"] + 7200)
    assert error_of(dev.graph("GET", "/me", access_token=short)) == (190, 463)
    assert dev.graph("GET", "/me", access_token=long).status_code == 200
    dev.control("POST", "/clock", {"advance": 61 * DAY})
    assert error_of(dev.graph("GET", "/me", access_token=long)) == (190, 463)
    fresh = mint(dev, "user_long", app["id"], user_id=user["id"])  # consented 61 days ago: data access runs out
    dev.control("POST", "/clock", {"advance": 30 * DAY})
    assert error_of(dev.graph("GET", "/me", access_token=fresh)) == (190, 493)
    target = start["now"] + 400 * DAY
    assert dev.control("POST", "/clock", {"set": target})["now"] == pytest.approx(target)
    assert dev.control("GET", "/clock")["now"] == pytest.approx(target)
    debug = dev.graph("GET", "/debug_token", input_token=mint(dev, "app", app["id"]),
                      access_token=app["app_token"]).json()["data"]
    assert debug["is_valid"] is True


def test_clock_moves_debug_token_times(dev: DevServer) -> None:
    app, user, _ = scene(dev)
    dev.control("POST", "/clock", {"advance": 10 * DAY})
    now = dev.control("GET", "/clock")["now"]
    token = mint(dev, "user_short", app["id"], user_id=user["id"])
    data = dev.graph("GET", "/debug_token", input_token=token, access_token=app["app_token"]).json()["data"]
    assert data["issued_at"] == int(now) and data["expires_at"] == int(now) + 3600


@pytest.mark.parametrize("body", [{}, {"advance": 1, "set": 2}, {"advance": "2h"}, {"set": -5}, {"advance": True}])
def test_clock_refuses_bad_bodies(dev: DevServer, body: dict[str, Any]) -> None:
    r = dev.http.post("/_pagetoken/clock", json=body)
    assert r.status_code == 400 and r.json()["error"]["code"] == 100


def test_faults_answer_the_next_n_matching_calls_with_the_real_message(dev: DevServer) -> None:
    app, user, page_id = scene(dev)
    token = user["access_token"]
    fault = dev.control("POST", "/faults", {"match": {"path": "/v19.0/me"}, "error": {"code": 4}, "times": 2})
    assert fault["times"] == 2 and dev.control("GET", "/faults")["data"][0]["id"] == fault["id"]
    assert dev.graph("GET", f"/{page_id}", access_token=token).status_code == 200  # another path
    for _ in range(2):
        r = dev.graph("GET", "/me", access_token=token)
        assert r.status_code == 400
        assert r.json()["error"]["message"] == "(#4) Application request limit reached"
        assert r.json()["error"]["is_transient"] is True
    assert dev.graph("GET", "/me", access_token=token).status_code == 200
    assert dev.control("GET", "/faults")["data"] == []
    dev.control("POST", "/faults", {"match": {}, "error": {"code": 190, "error_subcode": 460}})
    r = dev.graph("GET", f"/{page_id}", access_token=token)
    assert error_of(r) == (190, 460) and r.json()["error"]["message"].startswith(
        "Error validating access token: The session has been invalidated because the user changed their password")
    assert "invalid_token" in r.headers["www-authenticate"]
    dev.control("POST", "/faults", {"match": {"path": "me"}, "error": {"code": 2, "message": "Try later"}})
    r = dev.graph("GET", "/me", access_token=token)
    assert r.status_code == 500 and r.json()["error"]["message"] == "Try later"


def test_faults_match_method_app_and_token(dev: DevServer) -> None:
    app, user, page_id = scene(dev, ["pages_show_list", "pages_read_engagement", "pages_manage_posts"])
    other = dev.control("POST", "/apps", {"name": "Other"})
    other_user = dev.control("POST", "/users", {"app_id": other["id"], "permissions": ["pages_show_list"]})
    page_token = mint(dev, "page", app["id"], user_id=user["id"], page_id=page_id)
    dev.control("POST", "/faults", {"match": {"method": "POST", "path": "*/feed"}, "error": {"code": 368}})
    assert dev.graph("GET", f"/{page_id}/feed", access_token=page_token).status_code == 200
    r = dev.graph("POST", f"/{page_id}/feed", access_token=page_token, message="hi")
    assert error_of(r) == (368, None)
    assert dev.graph("POST", f"/{page_id}/feed", access_token=page_token, message="hi").status_code == 200
    dev.control("POST", "/faults", {"match": {"app_id": other["id"]}, "error": {"code": 17}, "times": 5})
    assert dev.graph("GET", "/me", access_token=user["access_token"]).status_code == 200
    assert error_of(dev.graph("GET", "/me", access_token=other_user["access_token"])) == (17, None)
    # client_id names the app of an /oauth/access_token call
    r = dev.graph("GET", "/oauth/access_token", grant_type="client_credentials", client_id=other["id"],
                  client_secret=other["secret"])
    assert error_of(r) == (17, None)
    dev.control("DELETE", "/faults")
    dev.control("POST", "/faults", {"match": {"token": user["access_token"]}, "error": {"code": 190,
                                                                                        "error_subcode": 463}})
    assert dev.graph("GET", "/me", access_token=other_user["access_token"]).status_code == 200
    r = dev.graph("GET", "/me", access_token=user["access_token"])
    assert error_of(r) == (190, 463) and "Session has expired on" in r.json()["error"]["message"]
    listed = json.dumps(dev.control("GET", "/faults"))
    assert user["access_token"] not in listed


def test_faults_apply_to_batch_requests_and_delete_clears(dev: DevServer) -> None:
    app, user, page_id = scene(dev)
    dev.control("POST", "/faults", {"match": {"path": "me"}, "error": {"code": 2}, "times": 3})
    batch = json.dumps([{"method": "GET", "relative_url": "me"}, {"method": "GET", "relative_url": page_id}])
    answers = dev.http.post("/", data={"access_token": user["access_token"], "batch": batch}).json()
    assert [a["code"] for a in answers] == [500, 200]
    assert dev.control("DELETE", "/faults") == {"success": True, "cleared": 1}
    assert dev.graph("GET", "/me", access_token=user["access_token"]).status_code == 200


@pytest.mark.parametrize("body", [{"error": {}}, {"match": {"colour": "red"}, "error": {"code": 4}},
                                  {"error": {"code": 4}, "times": 0}, {"error": {"code": "4"}}])
def test_faults_refuse_bad_bodies(dev: DevServer, body: dict[str, Any]) -> None:
    r = dev.http.post("/_pagetoken/faults", json=body)
    assert r.status_code == 400 and r.json()["error"]["code"] == 100


def test_minted_tokens_are_tokens_like_any_other(dev: DevServer) -> None:
    app, user, page_id = scene(dev)
    debug = {}
    for kind, extra in [("app", {}), ("user_short", {"user_id": user["id"]}), ("user_long", {"user_id": user["id"]}),
                        ("page", {"user_id": user["id"], "page_id": page_id})]:
        made = dev.control("POST", "/tokens", {"kind": kind, "app_id": app["id"], **extra})
        debug[kind] = dev.graph("GET", "/debug_token", input_token=made["access_token"],
                                access_token=app["app_token"]).json()["data"]
        assert debug[kind]["is_valid"] is True, kind
    assert debug["app"]["type"] == "APP"
    assert debug["user_short"]["type"] == "USER" and debug["user_short"]["expires_at"] - \
        debug["user_short"]["issued_at"] == 3600
    assert debug["user_long"]["expires_at"] - debug["user_long"]["issued_at"] == 60 * DAY
    assert debug["page"]["type"] == "PAGE" and debug["page"]["profile_id"] == page_id
    # scopes are granted first, and recorded as the user's consent
    made = mint(dev, "user_short", app["id"], user_id=user["id"], scopes=["pages_show_list", "read_insights"])
    perms = dev.graph("GET", "/me/permissions", access_token=made).json()["data"]
    assert {"permission": "read_insights", "status": "granted"} in perms
    accounts = dev.graph("GET", "/me/accounts", access_token=made).json()["data"]
    assert [a["id"] for a in accounts] == [page_id]


def test_minting_refuses_what_the_long_way_refuses(dev: DevServer) -> None:
    app, user, page_id = scene(dev)
    stranger = dev.control("POST", "/users", {"name": "Stranger"})
    strangers_page = dev.control("POST", "/pages", {"owner": stranger["id"]})["id"]
    cases = [({"kind": "root", "app_id": app["id"]}, 100), ({"kind": "user_short", "app_id": app["id"]}, 100),
             ({"kind": "user_short", "app_id": "999"}, 100), ({"kind": "page", "app_id": app["id"]}, 100),
             ({"kind": "page", "app_id": app["id"], "page_id": strangers_page}, 10),  # it granted the app nothing
             ({"kind": "page", "app_id": app["id"], "user_id": stranger["id"], "page_id": page_id}, 10),
             ({"kind": "user_short", "app_id": app["id"], "user_id": user["id"], "scopes": ["root"]}, 100),
             ({"kind": "app", "app": app["id"]}, 100)]
    for body, code in cases:
        r = dev.http.post("/_pagetoken/tokens", json=body)
        assert r.status_code == 400 and r.json()["error"]["code"] == code, (body, r.text)


def test_reset_empties_everything_but_the_keys(dev: DevServer) -> None:
    app, user, page_id = scene(dev)
    before = dev.control("GET", "/state")
    dev.control("POST", "/clock", {"advance": 100})
    dev.control("POST", "/faults", {"error": {"code": 2}})
    assert dev.control("POST", "/reset") == {"success": True}
    assert dev.control("GET", "/faults")["data"] == [] and dev.control("GET", "/requests")["data"] == []
    assert error_of(dev.graph("GET", "/me", access_token=user["access_token"])) == (190, None)
    assert error_of(dev.graph("GET", f"/{page_id}", access_token=app["app_token"])) == (190, None)
    after = dev.control("GET", "/state")
    assert all(rows == [] for rows in after["tables"].values())
    assert after["token_key"] == before["token_key"]
    assert dev.control("GET", "/clock")["offset"] == 0


def test_state_exports_no_secret_and_imports_working_tokens(dev: DevServer) -> None:
    app, user, page_id = scene(dev, ["pages_show_list", "pages_read_engagement", "pages_manage_posts"])
    page_token = mint(dev, "page", app["id"], user_id=user["id"], page_id=page_id)
    post = dev.graph("POST", f"/{page_id}/feed", access_token=page_token, message="Fresh bread").json()["id"]
    state = dev.control("GET", "/state")
    text = json.dumps(state)
    assert state["format"] == "pagetoken-state" and state["version"] == 1
    for secret in (app["secret"], app["app_token"], user["access_token"], page_token, user["password"]):
        assert secret not in text
    assert {"apps", "users", "pages", "page_roles", "grants", "tokens", "posts"} <= set(state["tables"])
    dev.control("POST", "/reset")
    loaded = dev.http.put("/_pagetoken/state", json=state).json()
    assert loaded["success"] is True and loaded["rows"]["posts"] == 1
    assert dev.graph("GET", f"/{post}", access_token=page_token).json()["message"] == "Fresh bread"
    assert dev.graph("GET", "/me", access_token=user["access_token"]).json()["id"] == user["id"]
    r = dev.graph("GET", "/oauth/access_token", grant_type="client_credentials", client_id=app["id"],
                  client_secret=app["secret"])
    assert r.status_code == 200
    # new rows after an import do not collide with imported ones
    assert dev.graph("POST", f"/{page_id}/feed", access_token=page_token, message="More").status_code == 200
    assert mint(dev, "app", app["id"])


def test_state_import_refuses_what_it_cannot_restore(dev: DevServer, tmp_path: Any) -> None:
    scene(dev)
    state = dev.control("GET", "/state")
    other = Authority(Store.open(f"sqlite:///{tmp_path / 'other.db'}"), KeyRing([new_key()]), ManualClock(),
                      Lifetimes())
    elsewhere = DevServer(other, DevOptions()).start()
    try:
        r = elsewhere.http.put("/_pagetoken/state", json=state)
        assert r.status_code == 400 and "token key" in r.json()["error"]["message"]
        state["tables"]["tokens"] = []
        state["token_key"] = elsewhere.control("GET", "/state")["token_key"]
        r = elsewhere.http.put("/_pagetoken/state", json=state)
        assert r.status_code == 400 and "master key" in r.json()["error"]["message"]
        for bad in ({"format": "x"}, {"format": "pagetoken-state", "version": 9, "tables": {}},
                    {"format": "pagetoken-state", "version": 1, "tables": {"secrets": []}}):
            assert elsewhere.http.put("/_pagetoken/state", json=bad).status_code == 400
    finally:
        elsewhere.stop()
        other.close()


def test_state_put_takes_a_fixture(dev: DevServer) -> None:
    fixture = {"apps": [{"name": "Sched", "id": "1234567890", "secret": SECRET}],
               "users": [{"name": "Ada", "id": "2000000001", "apps": {"Sched": ["pages_show_list"]}}],
               "pages": [{"name": "Bakery", "id": "3000000001", "owner": "Ada"}]}
    out = dev.http.put("/_pagetoken/state", json=fixture).json()
    assert [a["id"] for a in out["apps"]] == ["1234567890"] and out["pages"][0]["id"] == "3000000001"
    token = mint(dev, "user_short", "1234567890", user_id="2000000001")
    assert dev.graph("GET", "/me/accounts", access_token=token).json()["data"][0]["id"] == "3000000001"
    assert dev.graph("GET", "/1234567890", access_token="1234567890|" + SECRET).status_code == 200
    bad = dev.http.put("/_pagetoken/state", json={"apps": [{"name": "X", "secret": "not hex"}]})
    assert bad.status_code == 400 and "32 lowercase hex" in bad.json()["error"]["message"]
    again = dev.http.put("/_pagetoken/state", json=fixture)
    assert again.status_code == 400 and "exists already" in again.json()["error"]["message"]


def test_requests_lists_the_last_calls_with_tokens_masked(dev: DevServer) -> None:
    app, user, page_id = scene(dev)
    dev.graph("GET", "/me", access_token=user["access_token"])
    dev.graph("GET", "/nowhere/at/all", access_token=user["access_token"])
    dev.graph("GET", f"/{user['access_token']}", access_token=user["access_token"])
    calls = dev.control("GET", "/requests", params={"limit": 3})["data"]
    assert [(c["method"], c["status"]) for c in calls][1:] == [("GET", 400), ("GET", 200)]
    assert calls[2]["path"] == "/me" and calls[2]["app_id"] == app["id"] and calls[2]["code"] is None
    assert calls[1]["code"] in (100, 2500) and calls[0]["time"] >= calls[2]["time"]
    assert user["access_token"] not in json.dumps(calls)
    assert len(dev.control("GET", "/requests", params={"limit": 1})["data"]) == 1
    assert dev.http.get("/_pagetoken/requests", params={"limit": "0"}).status_code == 400


def test_a_control_token_is_required_when_set(db_url: str, clock: ManualClock) -> None:
    auth = Authority(Store.open(db_url), KeyRing([new_key()]), clock, Lifetimes())
    srv = DevServer(auth, DevOptions(control_token="let-me-in")).start()
    try:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic let-me-in"}):
            r = srv.http.get("/_pagetoken/clock", headers=headers)
            assert r.status_code == 401 and r.json()["error"]["code"] == 190
        r = srv.http.post("/_pagetoken/reset", headers={"Authorization": "Bearer let-me-in"})
        assert r.json() == {"success": True}
    finally:
        srv.stop()
        auth.close()


def test_clock_rolls_rate_windows_and_insights_periods(monkeypatch: pytest.MonkeyPatch, store_url: str) -> None:
    monkeypatch.setenv("PAGETOKEN_RATE_APP_LIMIT", "3")
    auth = Authority(Store.open(store_url), KeyRing([new_key()]),
                     ManualClock(1_800_000_000.0), Lifetimes())
    srv = DevServer(auth).start()
    try:
        app, user, page_id = scene(srv, ["pages_show_list", "read_insights"])
        page_token = mint(srv, "page", app["id"], user_id=user["id"], page_id=page_id)

        def end_time() -> str:
            r = srv.graph("GET", f"/{page_id}/insights", access_token=page_token, metric="page_impressions",
                          period="day")
            return str(r.json()["data"][0]["values"][-1]["end_time"])

        before = end_time()
        srv.graph("GET", "/me", access_token=user["access_token"])
        srv.graph("GET", "/me", access_token=user["access_token"])
        assert error_of(srv.graph("GET", "/me", access_token=user["access_token"])) == (4, None)
        srv.control("POST", "/clock", {"advance": 3 * DAY})
        assert end_time() > before  # the window rolled over (the app may call again) and the periods moved
    finally:
        srv.stop()
        auth.close()


def test_an_injected_error_has_the_shape_of_its_code(dev: DevServer) -> None:
    app, user, _ = scene(dev)
    dev.control("POST", "/faults", {"error": {"code": 100, "error_subcode": 33}})
    dev.control("POST", "/faults", {"error": {"code": 190, "error_subcode": 999}})
    dev.control("POST", "/faults", {"error": {"code": 80001, "message": "Too many calls to this Page account"}})
    first = dev.graph("GET", "/me", access_token=user["access_token"])
    assert first.json()["error"]["type"] == "GraphMethodException" and error_of(first) == (100, 33)
    assert first.json()["error"]["message"].startswith("Unsupported get request.")
    second = dev.graph("GET", "/me", access_token=user["access_token"])
    assert error_of(second) == (190, 999) and "invalid_token" in second.headers["www-authenticate"]
    third = dev.graph("GET", "/me", access_token=user["access_token"])
    assert error_of(third) == (80001, None)
    assert third.json()["error"]["message"] == "Too many calls to this Page account"
