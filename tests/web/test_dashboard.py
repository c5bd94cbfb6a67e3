"""The App Dashboard in a real browser: create, reveal, reset (with its confirmation), proof toggle, URLs."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from pagetoken.authority import apps
from tests.support.servers import ThreadServer

from .conftest import email_of, graph_error, login, screenshots

pytestmark = pytest.mark.browser


def test_dashboard_create_reveal_reset_and_toggle(page: Any, server: ThreadServer) -> None:
    world = server.world()
    login(page, server, email_of(server, world), world.password, target="/apps")
    mine = page.locator(f"#app-{world.app_id}")
    expect(mine.locator("h2")).to_have_text("Test App")
    expect(mine.locator(".n-app")).to_have_text("1")
    expect(mine.locator(".n-user")).to_have_text("1")

    # Create: the new app is the user's, and its secret is shown once, right away.
    page.fill("#new-app-name", "Shiny App")
    page.click("#create-app")
    expect(page.locator("#apps-notice")).to_contain_text("Created Shiny App")
    card = page.locator(".app-card.focus")
    app_id = card.get_attribute("data-app-id")
    assert app_id and app_id != world.app_id
    secret = card.locator("code.secret").inner_text()
    assert secret == apps.secret(server.auth, app_id)
    assert apps.require(server.auth, app_id).owner_id == world.user_id
    app_token = server.get("/oauth/access_token", grant_type="client_credentials", client_id=app_id,
                           client_secret=secret).json()["access_token"]
    assert server.get(f"/{app_id}", access_token=app_token).json()["name"] == "Shiny App"

    # Reveal another app's secret in place.
    expect(mine.locator("code.secret")).to_have_class(re.compile("masked"))
    mine.locator("form.reveal-secret button").click()
    expect(mine.locator("code.secret")).to_have_text(world.secret)
    expect(mine.locator("button.copy-secret")).to_be_visible()

    # Reset asks first and says what stops working; afterwards the old secret's tokens fail.
    card = page.locator(f"#app-{app_id}")
    expect(card.locator("button.reset-secret")).to_be_hidden()
    card.locator("summary", has_text="Reset secret").click()
    expect(card.locator(".confirm-body")).to_contain_text("every app token of Shiny App")
    card.locator("button.reset-secret").click()
    expect(page.locator("#apps-notice")).to_contain_text("New secret for Shiny App")
    expect(page.locator("#apps-notice")).to_contain_text("1 token made with it stopped working")
    card = page.locator(f"#app-{app_id}")
    new_secret = card.locator("code.secret").inner_text()
    assert new_secret != secret and new_secret == apps.secret(server.auth, app_id)
    assert graph_error(server.get(f"/{app_id}", access_token=app_token))["code"] == 190
    assert graph_error(server.get(f"/{app_id}", access_token=f"{app_id}|{secret}"))["code"] == 190
    assert server.get(f"/{app_id}", access_token=f"{app_id}|{new_secret}").status_code == 200

    # Require appsecret_proof: calls without it fail, calls with it pass; then off again.
    toggle = page.locator(f"#app-{world.app_id} button.proof-toggle")
    expect(toggle).to_have_attribute("aria-checked", "false")
    toggle.click()
    toggle = page.locator(f"#app-{world.app_id} button.proof-toggle")
    expect(toggle).to_have_attribute("aria-checked", "true")
    assert apps.require(server.auth, world.app_id).require_proof
    err = graph_error(server.get("/me", access_token=world.user_token))
    assert err["message"].startswith("API calls from the server require an appsecret_proof")
    proof = server.proof(world.user_token, world.secret)
    assert server.get("/me", access_token=world.user_token, appsecret_proof=proof).status_code == 200
    screenshots(page, "apps", phone_anchor=f"#app-{world.app_id}")
    toggle.click()
    expect(page.locator(f"#app-{world.app_id} button.proof-toggle")).to_have_attribute("aria-checked", "false")
    assert server.get("/me", access_token=world.user_token).status_code == 200

    # Redirect URIs and the deauthorize URL; a bad URL is refused with a reason.
    card = page.locator(f"#app-{app_id}")
    card.locator("textarea[name=redirect_uris]").fill("https://shiny.example/cb\nhttp://127.0.0.1:8123/cb")
    card.locator("input[name=deauthorize_url]").fill("https://shiny.example/deauthorize")
    card.locator("form.app-settings button").click()
    expect(page.locator("#apps-notice")).to_contain_text("Saved the settings of Shiny App")
    saved = apps.require(server.auth, app_id)
    assert saved.redirect_uris == ("https://shiny.example/cb", "http://127.0.0.1:8123/cb")
    assert saved.deauthorize_url == "https://shiny.example/deauthorize"
    card = page.locator(f"#app-{app_id}")
    card.locator("input[name=deauthorize_url]").fill("ftp://shiny.example/x")
    card.locator("form.app-settings button").click()
    expect(page.locator("#apps-error")).to_contain_text("deauthorize_url must be an absolute http(s) URL")
    assert apps.require(server.auth, app_id).deauthorize_url == "https://shiny.example/deauthorize"


def test_dashboard_shows_only_your_apps(page: Any, server: ThreadServer) -> None:
    world = server.world()
    apps.create(server.auth, "Somebody Else's App")
    login(page, server, email_of(server, world), world.password, target="/apps")
    expect(page.locator(".app-card")).to_have_count(1)
    expect(page.locator("body")).not_to_contain_text("Somebody Else's App")
