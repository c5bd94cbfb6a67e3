"""python-facebook-api (pyfacebook) against pagetoken by base URL only: its GraphAPI token and object
methods, and the FacebookApi resources for users, Pages, posts and comments."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.servers import ThreadServer

PERMISSIONS = "pages_show_list,pages_read_engagement,pages_manage_posts,pages_manage_engagement,read_insights"


def _base(server: ThreadServer) -> dict[str, Any]:
    return dict(base_url=server.url + "/", access_token_url=server.url + "/oauth/access_token",
                sleep_on_rate_limit=False)


def test_graph_api_token_and_object_methods(server: ThreadServer) -> None:
    from pyfacebook import GraphAPI
    from pyfacebook.exceptions import FacebookError

    w = server.world(PERMISSIONS)
    api = GraphAPI(app_id=w.app_id, app_secret=w.secret, access_token=w.user_token, version="v25.0",
                   **_base(server))
    app_token = api.get_app_token()
    assert app_token == {"access_token": w.app_token, "token_type": "bearer"}
    long = api.exchange_long_lived_user_access_token()["access_token"]
    long_api = GraphAPI(app_id=w.app_id, app_secret=w.secret, access_token=long, version="v25.0", **_base(server))
    page_token = long_api.exchange_page_access_token(page_id=w.page_id)
    debug = long_api.debug_token(input_token=page_token, access_token=app_token["access_token"])["data"]
    assert debug["type"] == "PAGE" and debug["profile_id"] == w.page_id
    assert long_api.get_object("me", fields="id,name") == {"id": w.user_id, "name": "Tess Tester"}
    assert set(long_api.get_objects(ids=f"{w.user_id},{w.page_id}", fields="id")) == {w.user_id, w.page_id}
    page_api = GraphAPI(app_id=w.app_id, app_secret=w.secret, access_token=page_token, version="v25.0",
                        **_base(server))
    for i in range(4):
        page_api.post_object(w.page_id, "feed", data={"message": f"post {i}"})
        server.clock.advance(1)
    first = page_api.get_connection(w.page_id, "feed", limit=2)
    assert len(first["data"]) == 2 and first["paging"]["next"]
    everything = page_api.get_full_connections(w.page_id, "feed", count=None, limit=2)
    assert [p["message"] for p in everything["data"]] == ["post 3", "post 2", "post 1", "post 0"]
    post_id = everything["data"][0]["id"]
    assert page_api.delete_object(post_id) == {"success": True}
    url, state = api.get_authorization_url(redirect_uri="http://127.0.0.1:9/callback", scope=["pages_show_list"])
    assert state and "client_id=" + w.app_id in url
    with pytest.raises(FacebookError) as bad:
        GraphAPI(access_token="EAAbroken", version="v25.0", **_base(server)).get_object("me")
    assert bad.value.code == 190


def test_facebook_api_resources(server: ThreadServer) -> None:
    from pyfacebook import FacebookApi, GraphAPI

    w = server.world(PERMISSIONS)
    long = GraphAPI(app_id=w.app_id, app_secret=w.secret, access_token=w.user_token, version="v25.0",
                    **_base(server)).exchange_long_lived_user_access_token()["access_token"]
    user_api = FacebookApi(app_id=w.app_id, app_secret=w.secret, access_token=long, version="v25.0", **_base(server))
    me = user_api.user.get_info(user_id="me", fields="id,name")
    assert (me.id, me.name) == (w.user_id, "Tess Tester")
    accounts = user_api.user.get_accounts(user_id="me", fields="id,name,access_token,category", return_json=True)
    assert [a["id"] for a in accounts["data"]] == [w.page_id]
    page_token = accounts["data"][0]["access_token"]
    api = FacebookApi(app_id=w.app_id, app_secret=w.secret, access_token=page_token, version="v25.0",
                      **_base(server))
    page = api.page.get_info(page_id=w.page_id, fields="id,name,category,about")
    assert (page.id, page.name, page.category) == (w.page_id, "Test Page", "Software")
    assert set(api.page.get_batch(ids=[w.page_id], fields="id,name")) == {w.page_id}
    post_id = api.post_object(w.page_id, "feed", data={"message": "Fresh bread"})["id"]
    posts = api.page.get_posts(object_id=w.page_id, fields="id,message,created_time")
    assert [p.id for p in posts.data] == [post_id]
    assert api.post.get_info(post_id=post_id, fields="id,message").message == "Fresh bread"
    assert set(api.post.get_batch(ids=[post_id], fields="id")) == {post_id}
    made = api.comment.create(object_id=post_id, message="Thanks for coming", return_json=True)
    comment_id = made["id"]
    assert api.comment.get_info(comment_id=comment_id, fields="id,message").message == "Thanks for coming"
    assert set(api.comment.get_batch(ids=[comment_id], fields="id")) == {comment_id}
    assert api.comment.update(comment_id=comment_id, message="Thanks!", return_json=True) == {"success": True}
    assert api.comment.get_info(comment_id=comment_id, fields="message").message == "Thanks!"
    assert api.comment.delete(comment_id=comment_id) == {"success": True}
