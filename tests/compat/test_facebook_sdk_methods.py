"""Every facebook-sdk (3.1) method for tokens, Pages, posts, comments and likes, against pagetoken by base
URL only (`facebook.FACEBOOK_GRAPH_URL`)."""

from __future__ import annotations

from typing import Any

import pytest

from pagetoken.authority import apps, oauth
from tests.support.servers import ThreadServer

PERMISSIONS = "pages_show_list,pages_read_engagement,pages_manage_posts,pages_manage_engagement,read_insights"


@pytest.fixture
def fb(server: ThreadServer, monkeypatch: pytest.MonkeyPatch) -> Any:
    import facebook

    monkeypatch.setattr(facebook, "FACEBOOK_GRAPH_URL", server.url + "/")
    return facebook


def test_token_methods(server: ThreadServer, fb: Any) -> None:
    w = server.world(PERMISSIONS)
    graph = fb.GraphAPI(access_token=w.user_token, version="3.1")
    assert graph.get_version() == "3.1"  # read from the facebook-api-version header
    app_token = graph.get_app_access_token(w.app_id, w.secret)
    assert app_token == w.app_token and app_token.startswith(w.app_id + "|")
    assert graph.get_app_access_token(w.app_id, w.secret, offline=True) == f"{w.app_id}|{w.secret}"
    code = oauth.grant_and_code(server.auth, apps.require(server.auth, w.app_id), w.user_id,
                                "http://127.0.0.1:9/callback", ["pages_show_list"], [], None)
    from_code = graph.get_access_token_from_code(code, "http://127.0.0.1:9/callback", w.app_id, w.secret)
    assert from_code["token_type"] == "bearer" and from_code["expires_in"] == 3600
    with pytest.raises(fb.GraphAPIError) as used:
        graph.get_access_token_from_code(code, "http://127.0.0.1:9/callback", w.app_id, w.secret)
    assert used.value.code == 100 and used.value.message == "This authorization code has been used."
    extended = graph.extend_access_token(w.app_id, w.secret)
    assert extended["expires_in"] == 60 * 86400
    debug = graph.debug_access_token(extended["access_token"], w.app_id, w.secret)["data"]
    assert debug["is_valid"] and debug["type"] == "USER" and debug["user_id"] == w.user_id
    app_debug = graph.debug_access_token(app_token, w.app_id, w.secret)["data"]
    assert app_debug == {"app_id": w.app_id, "type": "APP", "application": "Test App", "is_valid": True,
                         "scopes": []}
    assert "pages_manage_posts" in graph.get_permissions(w.user_id)
    url = graph.get_auth_url(w.app_id, "http://127.0.0.1:9/callback", ["pages_show_list"])
    assert "client_id=" + w.app_id in url
    with pytest.raises(fb.GraphAPIError) as bad:
        fb.GraphAPI(access_token="EAAbroken", version="3.1").get_object("me")
    assert bad.value.code == 190 and bad.value.type == "OAuthException"


def test_object_methods(server: ThreadServer, fb: Any) -> None:
    w = server.world(PERMISSIONS)
    user = fb.GraphAPI(access_token=w.user_token, version="3.1")
    assert user.get_object("me", fields="id,name") == {"id": w.user_id, "name": "Tess Tester"}
    both = user.get_objects([w.user_id, w.page_id], fields="id,name")
    assert both == {w.user_id: {"id": w.user_id, "name": "Tess Tester"},
                    w.page_id: {"id": w.page_id, "name": "Test Page"}}
    with pytest.raises(fb.GraphAPIError):  # "If any of the IDs are invalid, we raise an exception."
        user.get_objects([w.page_id, "999999999"])
    long = fb.GraphAPI(access_token=user.extend_access_token(w.app_id, w.secret)["access_token"], version="3.1")
    page_token = long.get_connections("me", "accounts")["data"][0]["access_token"]  # extended tier
    page = fb.GraphAPI(access_token=page_token, version="3.1")
    for i in range(5):
        page.put_object(w.page_id, "feed", message=f"post {i}")
        server.clock.advance(1)
    messages = [p["message"] for p in page.get_all_connections(w.page_id, "feed", limit=2)]
    assert messages == [f"post {i}" for i in range(4, -1, -1)]
    post_id = page.get_connections(w.page_id, "posts", limit=1)["data"][0]["id"]
    comment = page.put_comment(post_id, "First!")
    assert comment["id"].startswith(post_id.split("_")[1] + "_")  # POSTID_COMMENTID
    assert page.put_like(post_id) == {"success": True}
    likes = page.get_connections(post_id, "likes")
    assert [like["id"] for like in likes["data"]] == [w.page_id]
    comments = list(page.get_all_connections(post_id, "comments"))
    assert [c["message"] for c in comments] == ["First!"]
    assert page.delete_object(comment["id"]) == {"success": True}
    assert page.delete_object(post_id) == {"success": True}
    with pytest.raises(fb.GraphAPIError) as gone:
        page.get_object(post_id)
    assert gone.value.code == 100
