"""The Explorer's debug view shows only the viewer's own tokens and those of apps they develop."""

from __future__ import annotations

import httpx

from pagetoken.authority import revoke, users

from ..support.servers import ThreadServer
from .conftest import csrf, http_login


def debug(client: httpx.Client, token: str) -> dict:
    r = client.post("/explorer/debug", headers={"Accept": "application/json"},
                    data={"token": token, "csrf_token": csrf(client.get("/explorer").text)})
    return dict(r.json())


def test_another_users_token_shows_nothing(server: ThreadServer) -> None:
    owner = server.world()
    users.create(server.auth, "Eve", "eve@example.com", "eve's password")
    eve = http_login(server, "eve@example.com", "eve's password")
    for token in (owner.user_token, owner.app_token):
        shown = debug(eve, token)
        # Nothing about it beyond the token Eve pasted (an app token names its app: APPID|…).
        told = str(shown["debug"])
        assert owner.app_id not in told and owner.user_id not in told
        assert shown["debug"]["is_valid"] is False and "not yours" in shown["debug"]["error"]["message"]
    revoke.revoke_token(server.auth, owner.user_token)  # a dead token of someone else's says nothing either
    shown = debug(eve, owner.user_token)
    assert owner.app_id not in str(shown) and "not yours" in shown["debug"]["error"]["message"]
    assert "Invalid OAuth" in debug(eve, "EAAnotatoken")["debug"]["error"]["message"]


def test_the_owner_and_the_apps_developer_see_the_details(server: ThreadServer) -> None:
    w = server.world()
    email = users.get(server.auth, w.user_id).email  # type: ignore[union-attr]
    mine = http_login(server, str(email), w.password)
    shown = debug(mine, w.user_token)
    assert shown["debug"]["is_valid"] is True and shown["debug"]["user_id"] == w.user_id
    assert debug(mine, w.app_token)["debug"]["app_id"] == w.app_id


def test_a_developer_of_the_app_sees_its_tokens(server: ThreadServer) -> None:
    from pagetoken.authority import apps

    w = server.world()
    dev, _password = users.create(server.auth, "Dev", "dev@example.com", "dev's password")
    assert apps.add_developer(server.auth, w.app_id, dev.id)
    shown = debug(http_login(server, "dev@example.com", "dev's password"), w.user_token)
    assert shown["debug"]["is_valid"] is True and shown["debug"]["app_id"] == w.app_id
