"""The OAuth dialog over plain HTTP: login, consent with Page selection, code + state, exact redirect_uri."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import httpx

from pagetoken.authority import apps, pages, users
from tests.support.servers import ThreadServer

REDIRECT = "https://app.example/callback"


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


def logged_in_client(server: ThreadServer, email: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=server.url, follow_redirects=False, timeout=10)
    page = client.get("/login")
    r = client.post("/login", data={"email": email, "password": password, "csrf_token": csrf(page.text),
                                    "next": "/explorer"})
    assert r.status_code == 303, r.text
    return client


def setup(server: ThreadServer) -> tuple[apps.App, str, str, list[str]]:
    user, _ = users.create(server.auth, "Dee", "dee@example.com", "dialog-password")
    app, secret = apps.create(server.auth, "Dialog App", redirect_uris=[REDIRECT])
    page_ids = [pages.create(server.auth, f"Page {i}", "Shop", user.id).id for i in range(2)]
    return app, secret, user.id, page_ids


def test_code_flow_with_page_selection(server: ThreadServer) -> None:
    app, secret, user_id, (p1, p2) = setup(server)
    params = {"client_id": app.id, "redirect_uri": REDIRECT, "state": "xyz123",
              "scope": "pages_show_list,publish_pages,read_insights"}
    anon = httpx.Client(base_url=server.url, follow_redirects=False)
    r = anon.get("/v25.0/dialog/oauth", params=params)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    client = logged_in_client(server, "dee@example.com", "dialog-password")
    page = client.get("/dialog/oauth", params=params)
    assert page.status_code == 200 and "Dialog App" in page.text and "Page 0" in page.text
    assert "publish_pages" in page.text  # the legacy name is shown with what it expands to
    form = {**params, "response_type": "code", "auth_type": "", "csrf_token": csrf(page.text), "action": "approve",
            "permission": ["pages_show_list", "pages_manage_posts", "pages_read_engagement"], "page": [p1]}
    r = client.post("/dialog/oauth", data=form)
    assert r.status_code == 303
    loc = urlsplit(r.headers["location"])
    assert f"{loc.scheme}://{loc.netloc}{loc.path}" == REDIRECT
    q = parse_qs(loc.query)
    assert q["state"] == ["xyz123"]
    code = q["code"][0]
    wrong = server.get("/oauth/access_token", client_id=app.id, client_secret=secret,
                       redirect_uri=REDIRECT + "/other", code=code).json()["error"]
    assert wrong["code"] == 100 and wrong["message"].startswith("Error validating verification code")
    tok = server.get("/oauth/access_token", client_id=app.id, client_secret=secret, redirect_uri=REDIRECT,
                     code=code).json()
    assert tok["token_type"] == "bearer" and tok["expires_in"] == 3600
    perms = {p["permission"]: p["status"] for p in
             server.get("/me/permissions", access_token=tok["access_token"]).json()["data"]}
    assert perms["pages_manage_posts"] == "granted" and perms["read_insights"] == "declined"
    assert perms["pages_manage_engagement"] == "declined"
    accounts = server.get("/me/accounts", access_token=tok["access_token"]).json()["data"]
    assert [a["id"] for a in accounts] == [p1]  # only the Page the user chose
    app_token = server.get("/oauth/access_token", grant_type="client_credentials", client_id=app.id,
                           client_secret=secret).json()["access_token"]
    debug = server.get("/debug_token", input_token=tok["access_token"], access_token=app_token).json()["data"]
    assert {"scope": "pages_manage_posts", "target_ids": [p1]} in debug["granular_scopes"]
    assert server.get("/oauth/access_token", grant_type="client_credentials", client_id=app.id,
                      client_secret=secret, page_id=p2).json()["error"]["code"] == 10
    again = server.get("/oauth/access_token", client_id=app.id, client_secret=secret, redirect_uri=REDIRECT,
                       code=code)
    assert (again.json()["error"]["code"], again.json()["error"]["error_subcode"]) == (100, 36009)
    assert again.json()["error"]["message"] == "This authorization code has been used."
    assert again.headers["www-authenticate"] == \
        'OAuth "Facebook Platform" "invalid_code" "This authorization code has been used."'
    assert server.get("/me", access_token=tok["access_token"]).json()["error"]["code"] == 190  # what it gave dies


def test_token_flow_cancel_and_bad_requests(server: ThreadServer) -> None:
    app, _secret, _user_id, _pages = setup(server)
    client = logged_in_client(server, "dee@example.com", "dialog-password")
    params = {"client_id": app.id, "redirect_uri": REDIRECT, "state": "s1", "scope": "pages_show_list",
              "response_type": "token"}
    page = client.get("/dialog/oauth", params=params)
    r = client.post("/dialog/oauth", data={**params, "csrf_token": csrf(page.text), "action": "approve",
                                           "permission": ["pages_show_list"], "all_pages": "1"})
    frag = parse_qs(urlsplit(r.headers["location"]).fragment)
    assert frag["access_token"][0].startswith("EAA") and frag["state"] == ["s1"]
    r = client.post("/dialog/oauth", data={**params, "csrf_token": csrf(page.text), "action": "cancel"})
    q = parse_qs(urlsplit(r.headers["location"]).query)
    assert q["error"] == ["access_denied"] and q["error_reason"] == ["user_denied"] and q["state"] == ["s1"]
    bad = client.get("/dialog/oauth", params={**params, "redirect_uri": REDIRECT + "x"})
    assert bad.status_code == 400 and "redirect" in bad.text
    assert client.get("/dialog/oauth", params={**params, "scope": "no_such_permission"}).status_code == 400
    assert client.get("/dialog/oauth", params={**params, "client_id": "1"}).status_code == 400
    forged = client.post("/dialog/oauth", data={**params, "csrf_token": "forged", "action": "approve"})
    assert forged.status_code == 403


def test_login_is_throttled(server: ThreadServer) -> None:
    users.create(server.auth, "Tom", "tom@example.com", "right password")
    client = httpx.Client(base_url=server.url, follow_redirects=False)
    token = csrf(client.get("/login").text)
    for _ in range(5):
        r = client.post("/login", data={"email": "tom@example.com", "password": "wrong", "csrf_token": token})
        assert r.status_code == 401
    r = client.post("/login", data={"email": "tom@example.com", "password": "right password", "csrf_token": token})
    assert r.status_code == 429 and "Too many failed attempts" in r.text
    server.clock.advance(301)
    r = client.post("/login", data={"email": "tom@example.com", "password": "right password", "csrf_token": token})
    assert r.status_code == 303
    session = next(c for c in client.cookies.jar if c.name == "pt_session")
    assert session.has_nonstandard_attr("HttpOnly")


def test_a_test_users_login_url_logs_them_in(server: ThreadServer) -> None:
    app, _secret = apps.create(server.auth, "Testers")
    app_token = server.get("/oauth/access_token", grant_type="client_credentials", client_id=app.id,
                           client_secret=apps.secret(server.auth, app.id)).json()["access_token"]
    created = server.post(f"/{app.id}/accounts/test-users", access_token=app_token, installed="true").json()
    client = httpx.Client(follow_redirects=False, timeout=10)
    page = client.get(created["login_url"])
    assert page.status_code == 200 and f'value="{created["email"]}"' in page.text
    r = client.post(f"{server.url}/login", data={"email": created["email"], "password": created["password"],
                                                 "csrf_token": csrf(page.text), "next": "/explorer"})
    assert r.status_code == 303 and r.headers["location"] == "/explorer"
