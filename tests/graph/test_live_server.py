"""The live-server fixture the client and vault tests build on: shortened lifetimes, server-side counts."""

from __future__ import annotations

import httpx

from pagetoken.core.tokens import new_token
from tests.support.servers import LiveServer


def test_live_server_has_short_lifetimes_and_counts_exchanges(live_server_on: LiveServer) -> None:
    live_server = live_server_on
    _uid, token = live_server.user_token()
    r = httpx.get(f"{live_server.url}/oauth/access_token", params={
        "grant_type": "fb_exchange_token", "client_id": live_server.app_id, "client_secret": live_server.app_secret,
        "fb_exchange_token": token}).json()
    assert r["expires_in"] == 86400
    assert live_server.exchanged_count(token) == 1
    assert live_server.exchanged_count(r["access_token"]) == 0  # issued, never exchanged
    assert live_server.exchanged_count(new_token()) is None  # never issued: not a 0
    debug = httpx.get(f"{live_server.url}/debug_token", params={"input_token": token,
                                                                "access_token": live_server.app_token}).json()
    assert debug["data"]["expires_at"] - debug["data"]["issued_at"] == 3600
