"""The seed's "Basic vs Extended permissions": a Page token made from a short-lived user token
carries basic permissions only; one made from a long-lived user token carries the extended ones."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.support.servers import ThreadServer

from .helpers import EVERYTHING, Scene, err, person, scene


def _tokens(s: Scene) -> tuple[str, str]:
    perms = EVERYTHING.split(",")
    return s.page_token(s.owner_id, perms, long_lived=False), s.page_token(s.owner_id, perms, long_lived=True)


def _writes(server: ThreadServer, s: Scene) -> dict[str, httpx.Request]:
    """One request per extended-tier action, each on fresh content."""
    post = s.post()
    comment = s.visitor_comment(post)
    _, visitor = s.conversation()
    member = s.member(["ANALYZE"])
    base = server.url
    return {
        "publish": httpx.Request("POST", f"{base}/{s.page_id}/feed", data={"message": "Hi"}),
        "edit": httpx.Request("POST", f"{base}/{post}", data={"message": "Edited"}),
        "delete": httpx.Request("DELETE", f"{base}/{s.post()}"),
        "reply": httpx.Request("POST", f"{base}/{comment}/comments", data={"message": "Thanks"}),
        "hide": httpx.Request("POST", f"{base}/{comment}", data={"is_hidden": "true"}),
        "message": httpx.Request("POST", f"{base}/{s.page_id}/messages", data={
            "recipient": json.dumps({"id": visitor}), "message": json.dumps({"text": "Hello"}),
            "messaging_type": "RESPONSE"}),
        "update_page": httpx.Request("POST", f"{base}/{s.page_id}", data={"about": "New about"}),
        "create_ad": httpx.Request("POST", f"{base}/{s.page_id}/ads", data={"name": "Ad", "daily_budget": "300"}),
        "add_role": httpx.Request("POST", f"{base}/{s.page_id}/roles", data={
            "user": person(s.auth, "New Helper"), "tasks": "MODERATE"}),
        "remove_role": httpx.Request("DELETE", f"{base}/{s.page_id}/roles", data={"user": member}),
        "subscribe": httpx.Request("POST", f"{base}/{s.page_id}/subscribed_apps", data={"subscribed_fields": "feed"}),
    }


def _send(request: httpx.Request, token: str) -> httpx.Response:
    request.url = request.url.copy_merge_params({"access_token": token})
    with httpx.Client(timeout=10) as client:
        return client.send(request)


def test_basic_tier_reads_posts_conversations_and_insights(module_server: ThreadServer) -> None:
    s = scene(module_server.auth)
    basic, _ = _tokens(s)
    s.post("Our first post")
    s.conversation("Do you deliver?")
    feed = module_server.get(f"/{s.page_id}/feed", access_token=basic).json()
    assert [p["message"] for p in feed["data"]] == ["Our first post"]
    convs = module_server.get(f"/{s.page_id}/conversations", access_token=basic, fields="messages{message}").json()
    assert convs["data"][0]["messages"]["data"][0]["message"] == "Do you deliver?"
    ins = module_server.get(f"/{s.page_id}/insights", access_token=basic, metric="page_impressions",
                            period="day").json()
    assert ins["data"][0]["name"] == "page_impressions"
    debug = module_server.get("/debug_token", input_token=basic, access_token=f"{s.app_id}|{s.secret}").json()
    assert not {"pages_manage_posts", "pages_messaging", "pages_manage_ads"} & set(debug["data"]["scopes"])


@pytest.mark.parametrize("action", ["publish", "edit", "delete", "reply", "hide", "message", "update_page",
                                    "create_ad", "add_role", "remove_role", "subscribe"])
def test_basic_tier_cannot_act_and_extended_tier_can(module_server: ThreadServer, action: str) -> None:
    s = scene(module_server.auth)
    basic, extended = _tokens(s)
    e = err(_send(_writes(module_server, s)[action], basic))
    assert e["code"] == 200, e
    resp = _send(_writes(module_server, s)[action], extended)
    assert resp.status_code == 200, resp.text
    assert "error" not in resp.json()


def test_removing_a_role_kills_that_persons_page_tokens(module_server: ThreadServer) -> None:
    s = scene(module_server.auth)
    helper = s.member(["MODERATE", "ANALYZE"])
    helper_token = s.page_token(helper, EVERYTHING.split(","))
    assert module_server.get(f"/{s.page_id}/feed", access_token=helper_token).status_code == 200
    owner_token = s.page_token(s.owner_id, EVERYTHING.split(","))
    r = module_server.delete(f"/{s.page_id}/roles", user=helper, access_token=owner_token)
    assert r.json() == {"success": True}
    e = err(module_server.get(f"/{s.page_id}/feed", access_token=helper_token))
    assert e["code"] == 190
    assert e["message"].startswith("The user must be an administrator of the page in order to impersonate it")


def test_narrowing_a_persons_tasks_takes_effect_at_the_next_call(module_server: ThreadServer) -> None:
    s = scene(module_server.auth)
    editor = s.member(["CREATE_CONTENT"])
    token = s.page_token(editor, EVERYTHING.split(","))
    assert module_server.post(f"/{s.page_id}/feed", message="one", access_token=token).status_code == 200
    owner_token = s.page_token(s.owner_id, EVERYTHING.split(","))
    r = module_server.post(f"/{s.page_id}/roles", user=editor, tasks='["ANALYZE"]', access_token=owner_token)
    assert r.json() == {"success": True}
    assert err(module_server.post(f"/{s.page_id}/feed", message="two", access_token=token))["code"] == 10
