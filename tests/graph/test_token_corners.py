"""Corners of /debug_token and DELETE /oauth/access_token, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from pagetoken.authority import apps, issue
from tests.support.servers import ThreadServer


def test_debug_token_of_another_apps_token_tells_nothing_about_it(any_server: ThreadServer) -> None:
    s = any_server
    w = s.world()
    other, _secret = apps.create(s.auth, "Other App", owner_id=w.user_id)
    other_token = issue.app_token(s.auth, other.id)
    data = s.get("/debug_token", input_token=w.user_token, access_token=other_token).json()["data"]
    assert data == {"is_valid": False, "scopes": [], "error": {
        "code": 190, "message": "The App_id in the input_token did not match the Viewing App"}}
    mine = s.get("/debug_token", input_token=w.user_token, access_token=w.app_token).json()["data"]
    assert mine["is_valid"] is True and mine["user_id"] == w.user_id  # the token itself is fine


def test_debug_token_needs_an_input_token(any_server: ThreadServer) -> None:
    w = any_server.world()
    r = any_server.get("/debug_token", access_token=w.app_token)
    assert r.status_code == 400
    assert r.json()["error"]["code"] == 100 and "input_token" in r.json()["error"]["message"]


def err(r: Any) -> dict[str, Any]:
    return dict(r.json()["error"])


def test_revoking_needs_a_token(any_server: ThreadServer) -> None:
    r = any_server.delete("/oauth/access_token")
    assert r.status_code == 400 and err(r)["code"] == 2500 and "active access token" in err(r)["message"]


def test_an_appid_secret_pair_cannot_be_revoked(any_server: ThreadServer) -> None:
    s = any_server
    w = s.world()
    r = s.delete("/oauth/access_token", access_token=f"{w.app_id}|{w.secret}")
    assert r.status_code == 400
    assert "reset the app secret" in err(r)["message"]
    assert s.get("/debug_token", input_token=w.user_token, access_token=f"{w.app_id}|{w.secret}").json()["data"][
        "is_valid"] is True  # the pair still works
