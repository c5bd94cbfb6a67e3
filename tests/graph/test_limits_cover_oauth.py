"""`/oauth/access_token` and `debug_token` count against the app's rate limit; debug_token honours
"require appsecret_proof"."""

from __future__ import annotations

from pagetoken.authority import apps

from ..support.servers import ThreadServer


def test_minting_app_tokens_stops_at_the_apps_limit(server: ThreadServer) -> None:
    w = server.world()
    server.app.state.ratelimit.limits.app = 3
    for _ in range(3):
        r = server.get("/oauth/access_token", grant_type="client_credentials", client_id=w.app_id,
                       client_secret=w.secret)
        assert r.status_code == 200 and "X-App-Usage" in r.headers
    r = server.get("/oauth/access_token", grant_type="client_credentials", client_id=w.app_id, client_secret=w.secret)
    assert r.json()["error"]["code"] == 4


def test_a_wrong_secret_does_not_spend_the_apps_limit(server: ThreadServer) -> None:
    w = server.world()
    server.app.state.ratelimit.limits.app = 2
    for _ in range(5):
        r = server.get("/oauth/access_token", grant_type="client_credentials", client_id=w.app_id,
                       client_secret="0" * 32)
        assert r.json()["error"]["code"] in (1, 100)
    assert server.get("/oauth/access_token", grant_type="client_credentials", client_id=w.app_id,
                      client_secret=w.secret).status_code == 200


def test_debug_token_and_exchanges_count_against_the_app(server: ThreadServer) -> None:
    w = server.world()
    server.app.state.ratelimit.limits.app = 3
    assert "data" in server.get("/debug_token", input_token=w.user_token, access_token=w.app_token).json()
    assert "access_token" in server.get("/oauth/access_token", grant_type="fb_exchange_token", client_id=w.app_id,
                                        client_secret=w.secret, fb_exchange_token=w.user_token).json()
    assert "data" in server.get("/debug_token", input_token=w.user_token, access_token=w.app_token).json()
    r = server.get("/debug_token", input_token=w.user_token, access_token=w.app_token)
    assert r.json()["error"]["code"] == 4


def test_debug_token_requires_the_proof_when_the_app_does(server: ThreadServer) -> None:
    w = server.world()
    apps.configure(server.auth, w.app_id, require_proof=True)
    r = server.get("/debug_token", input_token=w.user_token, access_token=w.app_token)
    assert r.json()["error"]["message"].startswith("API calls from the server require an appsecret_proof")
    r = server.get("/debug_token", input_token=w.user_token, access_token=w.app_token,
                   appsecret_proof=server.proof(w.app_token, w.secret))
    assert r.json()["data"]["is_valid"] is True
    r = server.get("/debug_token", input_token=w.user_token, access_token=w.app_token, appsecret_proof="0" * 64)
    assert r.json()["error"]["message"].startswith("Invalid appsecret_proof")
