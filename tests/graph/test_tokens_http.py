"""HTTP tests of the token lifecycle against a real server (SQLite and PostgreSQL)."""

from __future__ import annotations

from tests.support.servers import ThreadServer


def err(resp) -> dict:
    body = resp.json()
    assert "error" in body, body
    return body["error"]


def test_app_token_user_token_extend_and_page_tokens(any_server: ThreadServer) -> None:
    s = any_server
    w = s.world()
    r = s.get("/v25.0/oauth/access_token", grant_type="client_credentials", client_id=w.app_id,
              client_secret=w.secret)
    assert r.status_code == 200 and r.json()["token_type"] == "bearer"
    assert "expires_in" not in r.json()
    me = s.get("/me", access_token=w.user_token).json()
    assert me == {"id": w.user_id, "name": "Tess Tester"}
    r = s.get("/oauth/access_token", grant_type="fb_exchange_token", client_id=w.app_id, client_secret=w.secret,
              fb_exchange_token=w.user_token)
    long_token = r.json()["access_token"]
    assert r.json()["expires_in"] == 60 * 24 * 3600
    accounts = s.get("/me/accounts", access_token=long_token).json()["data"]
    assert [a["id"] for a in accounts] == [w.page_id]
    debug = s.get("/debug_token", input_token=accounts[0]["access_token"], access_token=w.app_token).json()["data"]
    assert debug["type"] == "PAGE" and debug["profile_id"] == w.page_id and debug["is_valid"] is True
    assert "pages_manage_posts" in debug["scopes"]
    short_accounts = s.get("/me/accounts", access_token=w.user_token).json()["data"]
    debug = s.get("/debug_token", input_token=short_accounts[0]["access_token"],
                  access_token=w.app_token).json()["data"]
    assert "pages_manage_posts" not in debug["scopes"]  # the tier rule
    assert "pages_read_engagement" in debug["scopes"]


def test_expiry_is_463(any_server: ThreadServer) -> None:
    s = any_server
    w = s.world()
    s.clock.advance(3601)
    e = err(s.get("/me", access_token=w.user_token))
    assert (e["code"], e["error_subcode"]) == (190, 463)
    e = err(s.get("/oauth/access_token", grant_type="fb_exchange_token", client_id=w.app_id,
                  client_secret=w.secret, fb_exchange_token=w.user_token))
    assert (e["code"], e["error_subcode"]) == (190, 463)
