"""The official facebook-business SDK drives the Page API, pointed at pagetoken by base URL only."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

# A dev dependency: imported outright, so a missing SDK fails the run instead of skipping these tests.
from facebook_business.adobjects.page import Page
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
