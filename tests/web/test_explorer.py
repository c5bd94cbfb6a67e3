"""The Graph API Explorer in a real browser: log in, user token, Page token, Graph calls, debug, extend."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support.servers import ThreadServer

from .conftest import email_of, login, screenshots

pytestmark = pytest.mark.browser


def run(page: Any, method: str, path: str, params: str) -> tuple[str, str]:
    page.select_option("#req-method", method)
    page.fill("#req-path", path)
    page.fill("#req-params", params)
    page.click("#req-submit")
    expect(page.locator("#answer")).to_be_visible()
    expect(page.locator("#req-submit")).to_be_enabled()
    return page.inner_text("#answer-code"), page.inner_text("#answer-body")


def test_explorer_user_token_to_page_token_to_graph_call(page: Any, server: ThreadServer) -> None:
    world = server.world(permissions="pages_show_list,pages_read_engagement")
    login(page, server, email_of(server, world), world.password)
    expect(page.locator("h1")).to_have_text("Graph API Explorer")
    expect(page.locator("#app-select")).to_have_value(world.app_id)
    # Step 3: permissions, with a legacy alias ticking what it stands for.
    expect(page.locator("input[value=pages_show_list]")).to_be_checked()
    expect(page.locator("input[value=pages_manage_engagement]")).not_to_be_checked()
    page.check("input[value=publish_pages]")
    expect(page.locator("input[value=pages_manage_engagement]")).to_be_checked()
    expect(page.locator("#get-page-token")).to_be_disabled()
    page.click("#get-user-token")
    expect(page.locator("#explorer-notice")).to_contain_text("User access token for Test App")
    expect(page.locator("#debug-type")).to_contain_text("USER")
    expect(page.locator("#debug-scopes")).to_contain_text("pages_manage_posts")

    # The token is masked until revealed, and the copy button copies it.
    token_box = page.locator("#token")
    expect(token_box).to_have_attribute("type", "password")
    page.click("#reveal-token")
    expect(token_box).to_have_attribute("type", "text")
    user_token = token_box.input_value()
    assert user_token.startswith("EAA")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    page.click("#copy-token")
    expect(page.locator("#copy-token")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == user_token
    countdown = page.locator("#countdown")
    expect(countdown).to_have_text(re.compile(r"^in (59 min|1 h 0 min)"))

    # Step 4: a Page token for the chosen Page (from a short-lived user token: basic permissions only).
    page.select_option("#page-select", world.page_id)
    page.click("#get-page-token")
    expect(page.locator("#explorer-notice")).to_contain_text("Page access token for Test Page")
    expect(page.locator("#debug-type")).to_contain_text("PAGE")
    expect(page.locator("#debug-page")).to_contain_text(world.page_id)
    expect(page.locator("#debug-scopes")).not_to_contain_text("pages_manage_posts")
    page_token = token_box.input_value()
    assert page_token.startswith("EAA") and page_token != user_token

    # Step 5: run Graph calls with the token in hand.
    code, body = run(page, "GET", "me", "fields=id,name,category")
    assert code.startswith("200")
    assert f'"id": "{world.page_id}"' in body and '"name": "Test Page"' in body
    code, body = run(page, "POST", f"{world.page_id}/feed", "message=Hello from the Explorer")
    assert code.startswith("400") and '"code": 200' in body and "pages_manage_posts" in body
    assert server.get("/me", access_token=page_token).json()["id"] == world.page_id

    # Extend the user token, then the Page token made from it is long-lived and may publish.
    page.click("text=Back to the user token")
    expect(page.locator("#debug-type")).to_contain_text("USER")
    page.click("#extend-token")
    expect(page.locator("#explorer-notice")).to_contain_text("Extended")
    expect(page.locator("#debug-type")).to_contain_text("long-lived")
    expect(countdown).to_have_text(re.compile(r"^in 5\d days"))
    page.click("#get-page-token")
    expect(page.locator("#debug-type")).to_contain_text("PAGE (long-lived)")
    expect(page.locator("#debug-scopes")).to_contain_text("pages_manage_posts")
    code, body = run(page, "POST", f"{world.page_id}/feed", "message=Hello from the Explorer")
    assert code.startswith("200") and f'"id": "{world.page_id}_' in body
    code, body = run(page, "GET", f"{world.page_id}/feed", "fields=message,created_time")
    assert code.startswith("200") and "Hello from the Explorer" in body
    screenshots(page, "explorer", phone_anchor="#s-page")


def test_explorer_debugs_a_pasted_token_and_reports_bad_ones(page: Any, server: ThreadServer) -> None:
    world = server.world()
    login(page, server, email_of(server, world), world.password)
    page.fill("#token", world.user_token)
    page.click("#debug-token")
    expect(page.locator("#debug-type")).to_contain_text("USER")
    expect(page.locator("#debug-scopes")).to_contain_text("read_insights")
    page.fill("#token", "EAAnotatoken")
    page.click("#debug-token")
    expect(page.locator("#debug-panel")).to_contain_text("Invalid OAuth access token")
    code, body = run(page, "GET", "me", "")
    assert code.startswith("400") and '"code": 190' in body


def test_explorer_without_javascript(browser: Any, server: ThreadServer) -> None:
    """Every step posts a plain form; the request box falls back to a server-side call."""
    world = server.world()
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        login(page, server, email_of(server, world), world.password)
        page.click("#get-user-token")
        expect(page.locator("#debug-type")).to_contain_text("USER")
        page.click("#get-page-token")
        expect(page.locator("#debug-type")).to_contain_text("PAGE")
        page.fill("#req-path", "me")
        page.fill("#req-params", "fields=id,name")
        page.click("#req-submit")
        expect(page.locator("#answer-code")).to_have_text("200")
        expect(page.locator("#answer-body")).to_contain_text('"name": "Test Page"')
        expect(page.locator("#debug-type")).to_contain_text("PAGE")  # the token stays in hand
    finally:
        context.close()
