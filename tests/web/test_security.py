"""Sessions, CSRF and login throttling of the web tools; JSON answers of the Explorer's endpoints."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from pagetoken.authority import apps, grants, users
from tests.support.servers import ThreadServer

from .conftest import csrf, email_of, http_login

TOOLS = ("/explorer", "/apps", "/settings/apps")


def forms(world: Any) -> list[tuple[str, dict[str, Any]]]:
    """Every state-changing form of the three tools, with what it would otherwise do."""
    return [
        ("/explorer/user-token", {"app_id": world.app_id, "permission": ["pages_show_list"]}),
        ("/explorer/page-token", {"user_token": world.user_token, "page_id": world.page_id}),
        ("/explorer/extend", {"token": world.user_token}),
        ("/explorer/debug", {"token": world.user_token}),
        ("/explorer/run", {"token": world.user_token, "method": "GET", "path": "me"}),
        ("/apps", {"name": "Forged App"}),
        (f"/apps/{world.app_id}/secret", {}),
        (f"/apps/{world.app_id}/reset-secret", {}),
        (f"/apps/{world.app_id}/proof", {"require_proof": "on"}),
        (f"/apps/{world.app_id}/settings", {"redirect_uris": "https://evil.example/cb"}),
        (f"/settings/apps/{world.app_id}/revoke", {}),
        (f"/settings/apps/{world.app_id}/remove-permission", {"permission": "pages_manage_posts"}),
        ("/logout", {}),
        ("/login", {"email": "x@example.com", "password": "whatever1"}),
    ]


def test_every_form_refuses_a_missing_or_wrong_csrf_token(server: ThreadServer) -> None:
    world = server.world()
    client = http_login(server, email_of(server, world), world.password)
    for path, data in forms(world):
        for token in (None, "forged-token", csrf(client.get("/apps").text) + "x"):
            body = dict(data) if token is None else {**data, "csrf_token": token}
            r = client.post(path, data=body)
            assert r.status_code == 403, (path, token, r.status_code)
            assert "did not come from this site" in r.text or "expired" in r.text
        r = client.post(path, data=data, headers={"Accept": "application/json"})
        assert r.status_code == 403, path
    # Nothing happened: same secret, no new app, no revocation, no proof requirement.
    assert apps.secret(server.auth, world.app_id) == world.secret
    assert [a.name for a in apps.list_all(server.auth, owner_id=world.user_id)] == ["Test App"]
    assert not apps.require(server.auth, world.app_id).require_proof
    assert grants.installed(server.auth, world.user_id, world.app_id)
    assert "pages_manage_posts" in grants.granted(server.auth, world.user_id, world.app_id)
    assert server.get("/me", access_token=world.user_token).status_code == 200
    # A CSRF token from another visitor's cookie does not pass either.
    stranger = httpx.Client(base_url=server.url)
    foreign = csrf(stranger.get("/login").text)
    assert client.post("/apps", data={"name": "Forged App", "csrf_token": foreign}).status_code == 403


def test_tools_need_a_session_and_send_strict_headers(server: ThreadServer) -> None:
    world = server.world()
    anon = httpx.Client(base_url=server.url, follow_redirects=False)
    for path in TOOLS:
        r = anon.get(path)
        assert r.status_code == 303 and r.headers["location"] == f"/login?next=%2F{path.strip('/').replace('/', '%2F')}"
    client = http_login(server, email_of(server, world), world.password)
    for path in TOOLS:
        r = client.get(path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert r.headers["x-frame-options"] == "DENY" and r.headers["cache-control"] == "no-store"
        assert "<script>" not in r.text and " style=" not in r.text and "onclick" not in r.text
    session = next(c for c in client.cookies.jar if c.name == "pt_session")
    assert session.has_nonstandard_attr("HttpOnly") and not session.secure
    tls = httpx.Client(base_url=server.url, follow_redirects=False, headers={"X-Forwarded-Proto": "https"})
    page = tls.get("/login")
    r = tls.post("/login", data={"email": email_of(server, world), "password": world.password,
                                 "csrf_token": csrf(page.text)})
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" in cookie


def test_nobody_manages_anothers_apps_or_tokens(server: ThreadServer) -> None:
    world = server.world()
    users.create(server.auth, "Mallory", "mallory@example.com", "mallory password")
    mallory = http_login(server, "mallory@example.com", "mallory password")
    token = csrf(mallory.get("/apps").text)
    for path in (f"/apps/{world.app_id}/secret", f"/apps/{world.app_id}/reset-secret",
                 f"/apps/{world.app_id}/proof"):
        r = mallory.post(path, data={"csrf_token": token, "require_proof": "on"})
        assert r.status_code == 404 and world.secret not in r.text
    assert apps.secret(server.auth, world.app_id) == world.secret
    r = mallory.post(f"/settings/apps/{world.app_id}/revoke", data={"csrf_token": token})
    assert r.status_code == 404 and "not among your authorized apps" in r.text
    assert server.get("/me", access_token=world.user_token).status_code == 200  # Tess's grant is untouched
    # Someone else's user token does not become a Page token or get extended through the Explorer.
    json_headers = {"Accept": "application/json"}
    r = mallory.post("/explorer/page-token", headers=json_headers,
                     data={"csrf_token": token, "user_token": world.user_token, "page_id": world.page_id})
    assert r.status_code == 400 and "user access token first" in r.json()["error"]
    r = mallory.post("/explorer/extend", headers=json_headers, data={"csrf_token": token, "token": world.user_token})
    assert r.status_code == 400 and "your own tokens" in r.json()["error"]
    r = mallory.post("/explorer/user-token", headers=json_headers,
                     data={"csrf_token": token, "app_id": world.app_id, "permission": "pages_show_list"})
    assert r.status_code == 400 and r.json()["error"] == "Choose one of your apps first."
    assert "EAA" not in r.text  # no token was made for Mallory on Tess's app


def test_explorer_endpoints_answer_json(server: ThreadServer) -> None:
    world = server.world()
    client = http_login(server, email_of(server, world), world.password)
    token = csrf(client.get("/explorer").text)
    headers = {"Accept": "application/json"}
    r = client.post("/explorer/user-token", headers=headers, data={
        "csrf_token": token, "app_id": world.app_id, "permission": ["manage_pages", "read_insights"]})
    assert r.status_code == 200
    got = r.json()
    assert got["debug"]["type"] == "USER" and "pages_manage_metadata" in got["debug"]["scopes"]
    r = client.post("/explorer/page-token", headers=headers, data={
        "csrf_token": token, "user_token": got["user_token"], "page_id": world.page_id})
    page_token = r.json()["access_token"]
    assert r.json()["debug"]["profile_id"] == world.page_id
    assert server.get("/me", access_token=page_token).json()["id"] == world.page_id
    r = client.post("/explorer/user-token", headers=headers, data={
        "csrf_token": token, "app_id": world.app_id, "permission": "no_such_permission"})
    assert r.status_code == 400 and "no_such_permission" in r.json()["error"]


@pytest.mark.browser
def test_login_is_throttled_with_a_clear_message(page: Any, server: ThreadServer) -> None:
    users.create(server.auth, "Tom", "tom@example.com", "right password")
    page.goto(f"{server.url}/login")
    for _ in range(5):
        page.fill("input[name=email]", "tom@example.com")
        page.fill("input[name=password]", "wrong password")
        with page.expect_navigation() as nav:
            page.click("form[action='/login'] button[type=submit]")
        assert nav.value.status == 401
        expect(page.locator(".alert")).to_have_text("That email and password do not match.")
    page.fill("input[name=email]", "tom@example.com")
    page.fill("input[name=password]", "right password")
    with page.expect_navigation() as nav:
        page.click("form[action='/login'] button[type=submit]")
    assert nav.value.status == 429
    expect(page.locator(".alert")).to_contain_text("Too many failed attempts. Try again in")
    server.clock.advance(301)
    page.fill("input[name=password]", "right password")
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{server.url}/explorer")
    expect(page.locator(".user-name")).to_have_text("Tom")
    page.click("text=Log out")
    page.wait_for_url(f"{server.url}/login")
    page.goto(f"{server.url}/apps")
    assert "/login?next=" in page.url


def test_empty_tools_explain_what_to_do(server: ThreadServer) -> None:
    users.create(server.auth, "Newcomer", "new@example.com", "newcomer password")
    client = http_login(server, "new@example.com", "newcomer password")
    assert "Create one in the App Dashboard" in client.get("/explorer").text
    assert "You hold no task on any Page yet" in client.get("/explorer").text
    assert "No apps yet" in client.get("/apps").text
    assert "No authorized apps" in client.get("/settings/apps").text
    r = client.post("/apps", data={"name": "  ", "csrf_token": csrf(client.get("/apps").text)})
    assert r.status_code == 400 and "Could not create the app" in r.text


def test_a_forged_or_stale_session_cookie_logs_nobody_in(server: ThreadServer) -> None:
    import json as _json

    from pagetoken.web.session import SESSION_COOKIE, _b64

    world = server.world()
    client = http_login(server, email_of(server, world), world.password)
    good = client.cookies[SESSION_COOKIE]
    assert client.get("/apps").status_code == 200
    sessions = server.app.state.web.sessions
    body = _json.loads(base64.urlsafe_b64decode(good.rsplit(".", 1)[0] + "==="))

    def signed(payload: bytes) -> str:
        return f"{_b64(payload)}.{sessions._sign(payload)}"

    forged = {
        "no dot": "garbage",
        "not base64": "!!!.abc",
        "wrong signature": good.rsplit(".", 1)[0] + "." + _b64(b"x" * 32),
        "not json": signed(b"{not json"),
        "not an object": signed(b"[1]"),
        "expired": signed(_json.dumps({**body, "exp": server.clock.now() - 1}).encode()),
        "unknown user": signed(_json.dumps({**body, "uid": "999999999"}).encode()),
    }
    for why, cookie in forged.items():
        anonymous = httpx.Client(base_url=server.url, follow_redirects=False, timeout=10,
                                 cookies={SESSION_COOKIE: cookie})
        r = anonymous.get("/apps")
        assert r.status_code in (302, 303, 307) and "/login" in r.headers["location"], why
    assert client.get("/apps").status_code == 200  # the real session still works
