"""Shapes of the feed, post, comment and like endpoints against SPEC §6 and §10."""

from __future__ import annotations

import re

import httpx

from pagetoken.authority import likes
from tests.support.servers import ThreadServer

from .helpers import BASIC, EVERYTHING, err, scene

POST_ID = re.compile(r"^(\d+)_(\d+)$")


def test_publish_read_edit_delete_a_post(module_server: ThreadServer) -> None:
    srv, s = module_server, scene(module_server.auth)
    token = s.page_token(s.owner_id, EVERYTHING.split(","))
    r = srv.post(f"/v25.0/{s.page_id}/feed", message="Fresh bread", link="https://example.com/bread",
                 access_token=token)
    assert r.headers["content-type"].startswith("application/json")
    post_id = r.json()["id"]
    assert list(r.json()) == ["id"]
    match = POST_ID.match(post_id)
    assert match and match.group(1) == s.page_id
    obj = srv.get(f"/{post_id}", fields="message,link,from,is_published,created_time", access_token=token).json()
    assert obj["message"] == "Fresh bread" and obj["link"] == "https://example.com/bread"
    assert obj["from"] == {"name": srv.get(f"/{s.page_id}", access_token=token).json()["name"], "id": s.page_id}
    assert obj["is_published"] is True and obj["created_time"].endswith("+0000")
    assert srv.post(f"/{post_id}", message="Fresher bread", access_token=token).json() == {"success": True}
    assert srv.get(f"/{post_id}", access_token=token).json()["message"] == "Fresher bread"
    assert srv.delete(f"/{post_id}", access_token=token).json() == {"success": True}
    e = err(srv.get(f"/{post_id}", access_token=token))
    assert (e["code"], e["error_subcode"]) == (100, 33)


def test_unpublished_posts_stay_off_the_feed(module_server: ThreadServer) -> None:
    srv, s = module_server, scene(module_server.auth)
    token = s.page_token(s.owner_id, EVERYTHING.split(","))
    post_id = srv.post(f"/{s.page_id}/feed", message="draft", published="false", access_token=token).json()["id"]
    assert srv.get(f"/{s.page_id}/feed", access_token=token).json()["data"] == []
    assert srv.get(f"/{post_id}", fields="is_published", access_token=token).json()["is_published"] is False
    e = err(srv.post(f"/{s.page_id}/feed", access_token=token))
    assert e["code"] == 100 and e["message"].startswith("(#100) ")
    assert err(srv.post(f"/{s.page_id}/feed", link="javascript:alert(1)", access_token=token))["code"] == 100


def test_feed_pages_with_cursors_and_absolute_next(module_server: ThreadServer) -> None:
    srv, s = module_server, scene(module_server.auth)
    token = s.page_token(s.owner_id, EVERYTHING.split(","))
    for i in range(5):
        s.post(f"post {i}")
        srv.clock.advance(1)
    first = srv.get(f"/v25.0/{s.page_id}/feed", limit=2, summary="true", access_token=token).json()
    assert [p["message"] for p in first["data"]] == ["post 4", "post 3"]
    assert first["summary"] == {"total_count": 5}
    assert set(first["paging"]["cursors"]) == {"before", "after"}
    assert first["paging"]["next"].startswith(srv.url + "/v25.0/") and "access_token=" in first["paging"]["next"]
    seen = [p["message"] for p in first["data"]]
    url = first["paging"]["next"]
    while url:
        page = httpx.get(url, timeout=10).json()
        seen += [p["message"] for p in page["data"]]
        url = page["paging"].get("next")
    assert seen == [f"post {i}" for i in range(4, -1, -1)]
    posts_edge = srv.get(f"/{s.page_id}/posts", fields="message", access_token=token).json()
    assert len(posts_edge["data"]) == 5 and set(posts_edge["data"][0]) == {"id", "message"}


def test_unknown_field_is_100(module_server: ThreadServer) -> None:
    srv, s = module_server, scene(module_server.auth)
    token = s.page_token(s.owner_id, EVERYTHING.split(","))
    e = err(srv.get(f"/{s.post()}", fields="message,secret_sauce", access_token=token))
    assert e["code"] == 100 and "secret_sauce" in e["message"]


def test_visitors_content_needs_pages_read_user_content(module_server: ThreadServer) -> None:
    srv, s = module_server, scene(module_server.auth)
    own = s.post("ours")
    srv.clock.advance(1)
    theirs = s.visitor_post("a visitor wrote this")
    comment = s.visitor_comment(own, "visitor comment")
    without = s.page_token(s.owner_id, ["pages_read_engagement"])
    with_it = s.page_token(s.owner_id, ["pages_read_engagement", "pages_read_user_content"])
    assert [p["id"] for p in srv.get(f"/{s.page_id}/feed", access_token=without).json()["data"]] == [own]
    assert [p["id"] for p in srv.get(f"/{s.page_id}/feed", access_token=with_it).json()["data"]] == [theirs, own]
    assert srv.get(f"/{s.page_id}/visitor_posts", access_token=with_it).json()["data"][0]["id"] == theirs
    assert err(srv.get(f"/{s.page_id}/visitor_posts", access_token=without))["code"] == 200
    assert err(srv.get(f"/{theirs}", access_token=without))["code"] == 200
    hidden_author = srv.get(f"/{comment}", access_token=without).json()
    assert "from" not in hidden_author and hidden_author["message"] == "visitor comment"
    assert srv.get(f"/{comment}", access_token=with_it).json()["from"]["name"] == "Cy Commenter"


def test_comments_replies_hide_and_delete(module_server: ThreadServer) -> None:
    srv, s = module_server, scene(module_server.auth)
    token = s.page_token(s.owner_id, EVERYTHING.split(","))
    post_id = s.post()
    visitor = s.visitor_comment(post_id, "Is it gluten free?")
    srv.clock.advance(1)
    r = srv.post(f"/{post_id}/comments", message="Welcome!", access_token=token)
    page_comment = r.json()["id"]
    assert page_comment.split("_")[0] == post_id.split("_")[1]  # POSTID_COMMENTID
    reply = srv.post(f"/{visitor}/comments", message="Yes it is", access_token=token).json()["id"]
    srv.clock.advance(1)
    deeper = srv.post(f"/{reply}/comments", message="Really", access_token=token).json()["id"]
    listing = srv.get(f"/{post_id}/comments", summary="true", access_token=token).json()
    assert [c["id"] for c in listing["data"]] == [visitor, page_comment]
    assert listing["summary"]["total_count"] == 2
    assert set(listing["data"][0]) == {"id", "created_time", "from", "message"}
    replies = srv.get(f"/{visitor}/comments", access_token=token).json()["data"]
    assert [c["id"] for c in replies] == [reply, deeper]  # a reply to a reply joins the thread
    stream = srv.get(f"/{post_id}/comments", filter="stream", access_token=token).json()["data"]
    assert len(stream) == 4
    assert srv.post(f"/{visitor}", is_hidden="true", access_token=token).json() == {"success": True}
    assert srv.get(f"/{visitor}", fields="is_hidden", access_token=token).json()["is_hidden"] is True
    assert srv.post(f"/{visitor}", is_hidden="false", access_token=token).json() == {"success": True}
    assert err(srv.post(f"/{page_comment}", is_hidden="true", access_token=token))["code"] == 100
    assert srv.post(f"/{page_comment}", message="Welcome, all!", access_token=token).json() == {"success": True}
    assert err(srv.post(f"/{visitor}", message="rewrite", access_token=token))["code"] == 100
    assert srv.post(f"/{visitor}", method="DELETE", access_token=token).json() == {"success": True}
    assert err(srv.get(f"/{reply}", access_token=token))["error_subcode"] == 33
    post = srv.get(f"/{post_id}", fields="comments.summary(true){message}", access_token=token).json()
    assert post["comments"] == {"data": [{"id": page_comment, "message": "Welcome, all!"}],
                                "summary": {"total_count": 1}}


def test_likes(module_server: ThreadServer) -> None:
    srv, s = module_server, scene(module_server.auth)
    token = s.page_token(s.owner_id, EVERYTHING.split(","))
    post_id = s.post()
    assert srv.post(f"/{post_id}/likes", access_token=token).json() == {"success": True}
    likes.like(s.auth, s.page_id, post_id, post_id, s.member(["ANALYZE"], "Lee Liker"), "user")
    listing = srv.get(f"/{post_id}/likes", summary="true", access_token=token).json()
    assert listing["summary"] == {"total_count": 2}
    assert {x["name"] for x in listing["data"]} == {"Lee Liker", srv.get(f"/{s.page_id}", access_token=token)
                                                    .json()["name"]}
    assert srv.delete(f"/{post_id}/likes", access_token=token).json() == {"success": True}
    assert srv.get(f"/{post_id}/likes", summary="true", access_token=token).json()["summary"]["total_count"] == 1


def test_page_fields_and_update(module_server: ThreadServer) -> None:
    srv, s = module_server, scene(module_server.auth)
    token = s.page_token(s.owner_id, EVERYTHING.split(","))
    r = srv.post(f"/{s.page_id}", about="Bakery", description="Bread", phone="+1 555 0100",
                 website="https://bakery.example", access_token=token)
    assert r.json() == {"success": True}
    page = srv.get(f"/{s.page_id}", fields="about,description,phone,website,fan_count", access_token=token).json()
    assert page == {"id": s.page_id, "about": "Bakery", "description": "Bread", "phone": "+1 555 0100",
                    "website": "https://bakery.example", "fan_count": 0}
    basic = s.page_token(s.owner_id, BASIC.split(","), long_lived=False)
    assert err(srv.post(f"/{s.page_id}", about="x", access_token=basic))["code"] == 200


def test_the_page_api_on_sqlite_and_postgresql(any_server: ThreadServer) -> None:
    srv, s = any_server, scene(any_server.auth)
    token = s.page_token(s.owner_id, EVERYTHING.split(","))
    post_id = srv.post(f"/{s.page_id}/feed", message="on every database", access_token=token).json()["id"]
    s.visitor_comment(post_id)
    srv.post(f"/{post_id}/likes", access_token=token)
    s.conversation()
    feed = srv.get(f"/{s.page_id}/feed", fields="message,comments.summary(true)", access_token=token).json()
    assert feed["data"][0]["comments"]["summary"]["total_count"] == 1
    stats = srv.get(f"/{s.page_id}/insights", metric="page_impressions,page_engaged_users", period="day",
                    access_token=token).json()["data"]
    assert [d["values"][-1]["value"] for d in stats] == [1, 2]
    assert srv.delete(f"/{post_id}", access_token=token).json() == {"success": True}
