"""The OAuth dialog in a real browser: log in, consent with Page selection, back to a loopback receiver."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from pagetoken.authority import apps, pages, users
from tests.support.receiver import Receiver
from tests.support.servers import ThreadServer

from .conftest import graph_error, login, screenshots

pytestmark = pytest.mark.browser


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver("/callback", b"<!doctype html><title>Back at the app</title><h1>Back at the app</h1>", "text/html")
    yield r
    r.close()


def test_dialog_login_consent_pages_and_code_exchange(page: Any, server: ThreadServer, receiver: Receiver) -> None:
    user, password = users.create(server.auth, "Dana Dialog", "dana@example.com", "dialog password")
    shop = pages.create(server.auth, "Dana's Shop", "Shop", user.id)
    blog = pages.create(server.auth, "Dana's Blog", "Blog", user.id)
    app, secret = apps.create(server.auth, "Post Planner", redirect_uris=[receiver.url])
    query = urlencode({"client_id": app.id, "redirect_uri": receiver.url, "state": "st-42",
                       "scope": "pages_show_list,publish_pages"})
    login(page, server, "dana@example.com", password, target=f"/v25.0/dialog/oauth?{query}")
    expect(page.locator("h1")).to_have_text("Post Planner is asking for access")
    consent = page.locator("form[action='/dialog/oauth']")
    expect(consent).to_contain_text("publish_pages")  # the legacy name, shown with its expansion
    page.uncheck("input[value=pages_manage_engagement]")
    page.uncheck("input[name=all_pages]")
    page.uncheck(f"input[name=page][value='{blog.id}']")
    screenshots(page, "dialog")
    page.click("button[value=approve]")
    page.wait_for_url(receiver.url + "?*")
    expect(page.locator("h1")).to_have_text("Back at the app")
    assert len(receiver.on()) == 1
    got = receiver.on()[0].query
    assert got["state"] == ["st-42"] and "code" in got
    code = got["code"][0]

    exchange = {"client_id": app.id, "client_secret": secret, "redirect_uri": receiver.url, "code": code}
    answer = server.get("/oauth/access_token", **exchange).json()
    assert answer["token_type"] == "bearer" and answer["access_token"].startswith("EAA")
    token = answer["access_token"]
    perms = {p["permission"]: p["status"] for p in server.get("/me/permissions", access_token=token).json()["data"]}
    assert perms["pages_manage_posts"] == "granted" and perms["pages_manage_engagement"] == "declined"
    accounts = server.get("/me/accounts", access_token=token).json()["data"]
    assert [a["id"] for a in accounts] == [shop.id]
    again = graph_error(server.get("/oauth/access_token", **exchange))
    assert (again["code"], again["error_subcode"], again["type"]) == (100, 36009, "OAuthException")
    assert again["message"] == "This authorization code has been used."

    # The consent shows in Authorized Apps with the one Page chosen.
    page.goto(f"{server.url}/settings/apps")
    card = page.locator(f"#authorized-{app.id}")
    expect(card.locator(".page-list")).to_have_text("Dana's Shop")
    expect(card.locator(".declined")).to_contain_text("pages_manage_engagement")


def test_dialog_cancel_goes_back_with_an_error(page: Any, server: ThreadServer, receiver: Receiver) -> None:
    user, password = users.create(server.auth, "Dan", "dan@example.com", "dialog password")
    app, _ = apps.create(server.auth, "Nosy App", redirect_uris=[receiver.url])
    query = urlencode({"client_id": app.id, "redirect_uri": receiver.url, "state": "s9", "scope": "pages_show_list"})
    login(page, server, "dan@example.com", password, target=f"/dialog/oauth?{query}")
    page.click("button[value=cancel]")
    page.wait_for_url(receiver.url + "?*")
    got = receiver.on()[0].query
    assert got["error"] == ["access_denied"] and got["error_reason"] == ["user_denied"] and got["state"] == ["s9"]
