"""The official facebook-business SDK drives the Page API, pointed at pagetoken by base URL only."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

# A dev dependency: imported outright, so a missing SDK fails the run instead of skipping these tests.
from facebook_business.adobjects.comment import Comment
from facebook_business.adobjects.page import Page
from facebook_business.adobjects.pagepost import PagePost
from facebook_business.adobjects.unifiedthread import UnifiedThread
from facebook_business.adobjects.user import User
from facebook_business.api import FacebookAdsApi
from facebook_business.exceptions import FacebookRequestError
from facebook_business.session import FacebookSession

from tests.support.servers import ThreadServer

from .helpers import EVERYTHING, Scene, scene

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture
def sdk(module_server: ThreadServer) -> Iterator[tuple[FacebookAdsApi, Scene, str]]:
    s = scene(module_server.auth)
    token = s.page_token(s.owner_id, EVERYTHING.split(","))
    previous = FacebookSession.GRAPH
    FacebookSession.GRAPH = module_server.url
    api = FacebookAdsApi.init(s.app_id, s.secret, token, api_version="v25.0")
    yield api, s, token
    FacebookSession.GRAPH = previous


def test_feed_publish_and_read(sdk: tuple[FacebookAdsApi, Scene, str], module_server: ThreadServer) -> None:
    _, s, _ = sdk
    page = Page(s.page_id)
    for i in range(30):  # more than one page of results: the SDK follows paging.next
        created = page.create_feed(params={"message": f"post {i}"})
        module_server.clock.advance(1)
    assert created["id"].startswith(s.page_id + "_")
    feed = page.get_feed(fields=["message", "created_time"])
    messages = [p["message"] for p in feed]
    assert messages == [f"post {i}" for i in range(29, -1, -1)]
    assert feed.total() == 30


def test_insights_and_conversations(sdk: tuple[FacebookAdsApi, Scene, str]) -> None:
    _, s, _ = sdk
    page = Page(s.page_id)
    s.post()
    list(page.get_feed())
    s.conversation("Hello there")
    results = list(page.get_insights(params={"metric": ["page_impressions", "page_views_total"], "period": "day"}))
    by_name = {r["name"]: r for r in results}
    assert by_name["page_impressions"]["values"][-1]["value"] == 1
    assert by_name["page_impressions"]["period"] == "day"
    conversations = list(page.get_conversations(fields=["message_count"]))
    assert conversations[0]["message_count"] == 1
    roles = list(page.get_roles())
    assert roles[0]["id"] == s.owner_id


def test_errors_become_sdk_exceptions(sdk: tuple[FacebookAdsApi, Scene, str]) -> None:
    _, s, _ = sdk
    with pytest.raises(FacebookRequestError) as info:
        Page(s.page_id).get_insights(params={"metric": ["page_wishes"]})
    assert info.value.api_error_code() == 100


def test_batch_through_the_sdk(sdk: tuple[FacebookAdsApi, Scene, str]) -> None:
    api, s, _ = sdk
    page = Page(s.page_id)
    page.create_feed(params={"message": "batched read"})
    batch = api.new_batch()
    seen: list[Any] = []
    failed: list[Any] = []
    page.get_feed(fields=["message"], batch=batch, success=lambda r: seen.append(r.json()),
                  failure=lambda r: failed.append(r.json()))
    page.create_feed(params={"message": "batched write"}, batch=batch, success=lambda r: seen.append(r.json()),
                     failure=lambda r: failed.append(r.json()))
    page.get_insights(params={"metric": ["nope"]}, batch=batch, success=lambda r: seen.append(r.json()),
                      failure=lambda r: failed.append(r.json()))
    assert batch.execute() is None
    assert seen[0]["data"][0]["message"] == "batched read"
    assert seen[1]["id"].startswith(s.page_id + "_")
    assert failed[0]["error"]["code"] == 100


def test_page_object_reads_and_updates(sdk: tuple[FacebookAdsApi, Scene, str], module_server: ThreadServer) -> None:
    _, s, _ = sdk
    page = Page(s.page_id)
    assert page.api_get(fields=["name", "category"])["name"].startswith("Page ")
    assert page.api_update(params={"about": "Fresh bread daily"}) is not None
    assert Page(s.page_id).api_get(fields=["about"])["about"] == "Fresh bread daily"
    s.visitor_post("Do you bake rye?")
    assert [p["message"] for p in page.get_visitor_posts(fields=["message"])] == ["Do you bake rye?"]
    made = page.create_feed(params={"message": "Rye on Fridays"})
    assert [p["id"] for p in page.get_posts(fields=["message"])] == [made["id"]]
    page.create_subscribed_app(params={"subscribed_fields": ["feed"]})
    subscribed = list(page.get_subscribed_apps())
    assert [a["id"] for a in subscribed] == [s.app_id]
    page.delete_subscribed_apps()
    assert list(page.get_subscribed_apps()) == []
    conversation_id, visitor = s.conversation("Open on Sunday?")
    module_server.clock.advance(1)  # the reply comes after the question
    sent = page.create_message(params={"recipient": {"id": visitor}, "message": {"text": "Yes, 8 to 12"},
                                       "messaging_type": "RESPONSE"})
    assert sent["recipient_id"] == visitor and sent["message_id"]
    messages = list(UnifiedThread(conversation_id).get_messages(fields=["message"]))
    assert [m["message"] for m in messages] == ["Yes, 8 to 12", "Open on Sunday?"]


def test_post_and_comment_objects(sdk: tuple[FacebookAdsApi, Scene, str]) -> None:
    _, s, _ = sdk
    post_id = Page(s.page_id).create_feed(params={"message": "Croissants are back"})["id"]
    post = PagePost(post_id)
    assert post.api_get(fields=["message"])["message"] == "Croissants are back"
    post.api_update(params={"message": "Croissants are back, with almonds"})
    assert PagePost(post_id).api_get(fields=["message"])["message"] == "Croissants are back, with almonds"
    assert set(PagePost.get_by_ids([post_id], fields=["message"])[0].export_all_data()) >= {"id", "message"}
    comment_id = post.create_comment(params={"message": "Save me two"})["id"]
    assert [c["message"] for c in post.get_comments(fields=["message"])] == ["Save me two"]
    post.create_like()
    assert [like["id"] for like in post.get_likes()] == [s.page_id]
    post.delete_likes()
    assert list(post.get_likes()) == []
    comment = Comment(comment_id)
    assert comment.api_get(fields=["message"])["message"] == "Save me two"
    reply = comment.create_comment(params={"message": "Done!"})["id"]
    assert [r["id"] for r in comment.get_comments()] == [reply]
    comment.create_like()
    assert [like["id"] for like in comment.get_likes()] == [s.page_id]
    comment.api_update(params={"message": "Save me three"})
    assert Comment(comment_id).api_get(fields=["message"])["message"] == "Save me three"
    Comment(reply).api_delete()
    comment.api_delete()
    assert list(post.get_comments()) == []
    insights = list(post.get_insights(params={"metric": ["post_impressions"]}))
    assert insights and insights[0]["name"] == "post_impressions"
    post.api_delete()
    with pytest.raises(FacebookRequestError) as gone:
        PagePost(post_id).api_get(fields=["message"])
    assert (gone.value.api_error_code(), gone.value.api_error_subcode()) == (100, 33)


def test_user_object(module_server: ThreadServer) -> None:
    s = scene(module_server.auth)
    token = s.long_user_token(s.owner_id, EVERYTHING.split(","))
    previous = FacebookSession.GRAPH
    FacebookSession.GRAPH = module_server.url
    try:
        FacebookAdsApi.init(s.app_id, s.secret, token, api_version="v25.0")
        me = User("me").api_get(fields=["id", "name"])
        assert (me["id"], me["name"]) == (s.owner_id, "Olive Owner")
        accounts = list(User("me").get_accounts(fields=["id", "name", "access_token", "category_list", "tasks"]))
        assert [a["id"] for a in accounts] == [s.page_id] and accounts[0]["tasks"][-1] == "MANAGE"
        assert accounts[0]["category_list"][0]["name"] == "Bakery"
        granted = {p["permission"] for p in User("me").get_permissions() if p["status"] == "granted"}
        assert {"public_profile", "pages_manage_posts"} <= granted
        User(s.owner_id).delete_permissions()
        with pytest.raises(FacebookRequestError) as removed:
            User("me").api_get(fields=["id"])
        assert (removed.value.api_error_code(), removed.value.api_error_subcode()) == (190, 458)
    finally:
        FacebookSession.GRAPH = previous
