"""Settings › Authorized Apps in a real browser: permissions and Pages per app, removal, and Revoke Access."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from pagetoken.authority import apps, oauth, pages
from tests.support.servers import ThreadServer

from .conftest import email_of, graph_error, login, screenshots

pytestmark = pytest.mark.browser


def test_authorized_apps_remove_a_permission_then_revoke(page: Any, server: ThreadServer) -> None:
    world = server.world()
    other, _ = apps.create(server.auth, "Scheduler Pro")
    second = pages.create(server.auth, "Corner Bakery", "Food", world.user_id)
    other_token = oauth.grant_and_token(server.auth, other, world.user_id,
                                        ["public_profile", "pages_show_list", "pages_manage_posts"],
                                        ["read_insights"], [second.id]).access_token
    page_token = server.get(f"/{world.page_id}", fields="access_token",
                            access_token=world.user_token).json()["access_token"]
    assert server.get("/me", access_token=page_token).json()["id"] == world.page_id

    login(page, server, email_of(server, world), world.password, target="/settings/apps")
    mine = page.locator(f"#authorized-{world.app_id}")
    theirs = page.locator(f"#authorized-{other.id}")
    expect(mine.locator("h2")).to_have_text("Test App")
    expect(mine.locator(".perm-list")).to_contain_text("pages_manage_posts")
    expect(mine).to_contain_text("All your Pages")
    expect(mine).to_contain_text("Access expires 15 Apr 2027")
    expect(theirs.locator(".page-list")).to_have_text("Corner Bakery")
    expect(theirs.locator(".declined")).to_contain_text("read_insights")

    # Remove one permission: the token keeps working, without it.
    mine.locator("form.remove-perm:has(input[value=read_insights]) button").click()
    expect(page.locator("#authorized-notice")).to_contain_text("Test App no longer has read_insights")
    perms = {p["permission"]: p["status"]
             for p in server.get("/me/permissions", access_token=world.user_token).json()["data"]}
    assert perms["read_insights"] == "declined" and perms["pages_manage_posts"] == "granted"
    expect(page.locator(f"#authorized-{world.app_id} .declined")).to_contain_text("read_insights")
    screenshots(page, "authorized-apps")

    # Revoke Access asks first; then every token of the user for that app fails with 190/458.
    mine = page.locator(f"#authorized-{world.app_id}")
    mine.locator("summary", has_text="Revoke Access").click()
    expect(mine.locator(".confirm-body")).to_contain_text("stop working")
    mine.locator("button.revoke-access").click()
    expect(page.locator("#authorized-notice")).to_contain_text("Removed Test App")
    expect(page.locator(f"#authorized-{world.app_id}")).to_have_count(0)
    for token in (world.user_token, page_token):
        err = graph_error(server.get("/me", access_token=token))
        assert (err["code"], err.get("error_subcode")) == (190, 458)
        assert err["message"] == \
            f"Error validating access token: The user has not authorized application {world.app_id}."
    assert server.get("/me", access_token=other_token).status_code == 200  # the other app is untouched
    page.goto(f"{server.url}/settings/apps")
    expect(page.locator(".authorized-app")).to_have_count(1)
