"""The three real clients, pointed at a running server by base URL only."""

from __future__ import annotations

import pytest

from tests.support.servers import ThreadServer


@pytest.fixture
def fb_sdk(server: ThreadServer, monkeypatch: pytest.MonkeyPatch):
    import facebook

    monkeypatch.setattr(facebook, "FACEBOOK_GRAPH_URL", server.url + "/")
    return facebook


def test_facebook_sdk(server: ThreadServer, fb_sdk) -> None:
    w = server.world()
    graph = fb_sdk.GraphAPI(version="3.1")
    app_token = graph.get_app_access_token(w.app_id, w.secret)
    assert app_token.startswith(w.app_id + "|EAA")
    user = fb_sdk.GraphAPI(access_token=w.user_token, version="3.1")
    extended = user.extend_access_token(w.app_id, w.secret)
    assert extended["expires_in"] == 60 * 86400
    long_graph = fb_sdk.GraphAPI(access_token=extended["access_token"], version="3.1")
    debug = long_graph.debug_access_token(extended["access_token"], w.app_id, w.secret)["data"]
    assert debug["is_valid"] and debug["type"] == "USER" and debug["user_id"] == w.user_id
    me = long_graph.get_object("me", fields="id,name")
    assert me == {"id": w.user_id, "name": "Tess Tester"}
    accounts = long_graph.get_connections("me", "accounts")
    assert accounts["data"][0]["id"] == w.page_id
    page = fb_sdk.GraphAPI(access_token=accounts["data"][0]["access_token"], version="3.1")
    assert page.get_object(w.page_id)["name"] == "Test Page"
    for i in range(3):
        long_graph.request(f"v3.1/{w.user_id}/accounts", post_args={"name": f"Extra {i}", "category": "Shop"})
    everything = list(long_graph.get_all_connections("me", "accounts", limit=2))
    assert len(everything) == 4
    with pytest.raises(fb_sdk.GraphAPIError) as exc:
        fb_sdk.GraphAPI(access_token="EAAbroken", version="3.1").get_object("me")
    assert exc.value.code == 190


def test_python_facebook_api(server: ThreadServer) -> None:
    from pyfacebook import GraphAPI
    from pyfacebook.exceptions import FacebookError

    w = server.world()
    base = dict(base_url=server.url + "/", access_token_url=server.url + "/oauth/access_token",
                sleep_on_rate_limit=False)
    api = GraphAPI(app_id=w.app_id, app_secret=w.secret, access_token=w.user_token, version="v25.0", **base)
    app_token = api.get_app_token()
    assert app_token["access_token"].startswith(w.app_id + "|EAA") and app_token["token_type"] == "bearer"
    long = api.exchange_long_lived_user_access_token()
    assert long["expires_in"] == 60 * 86400
    api_long = GraphAPI(app_id=w.app_id, app_secret=w.secret, access_token=long["access_token"], version="v25.0",
                        **base)
    page_token = api_long.exchange_page_access_token(page_id=w.page_id)
    info = api_long.debug_token(input_token=page_token, access_token=app_token["access_token"])["data"]
    assert info["type"] == "PAGE" and info["profile_id"] == w.page_id
    assert api_long.get_object("me", fields="id,name")["id"] == w.user_id  # with appsecret_proof on every call
    with pytest.raises(FacebookError) as exc:
        GraphAPI(app_id=w.app_id, app_secret="0" * 32, access_token=long["access_token"], version="v25.0",
                 **base).get_object("me")
    assert exc.value.code == 100  # a proof made with the wrong secret


def test_facebook_business_with_appsecret_proof(server: ThreadServer, monkeypatch: pytest.MonkeyPatch) -> None:
    from facebook_business.adobjects.page import Page
    from facebook_business.api import FacebookAdsApi
    from facebook_business.exceptions import FacebookRequestError
    from facebook_business.session import FacebookSession

    w = server.world()
    long = server.get("/oauth/access_token", grant_type="fb_exchange_token", client_id=w.app_id,
                      client_secret=w.secret, fb_exchange_token=w.user_token).json()["access_token"]
    page_token = server.get(f"/{w.page_id}", fields="access_token", access_token=long).json()["access_token"]
    monkeypatch.setattr(FacebookSession, "GRAPH", server.url)
    from pagetoken.authority import apps

    apps.configure(server.auth, w.app_id, require_proof=True)  # only a client that sends the proof gets in
    api = FacebookAdsApi.init(app_id=w.app_id, app_secret=w.secret, access_token=page_token, api_version="v25.0")
    page = Page(w.page_id, api=api).api_get(fields=["name", "category", "about"])
    assert page["name"] == "Test Page" and page["category"] == "Software"
    bad = FacebookAdsApi.init(app_id=w.app_id, app_secret="f" * 32, access_token=page_token, api_version="v25.0")
    with pytest.raises(FacebookRequestError) as exc:
        Page(w.page_id, api=bad).api_get(fields=["name"])
    assert exc.value.api_error_code() == 100
