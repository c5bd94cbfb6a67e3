"""Logging out ends the session on the server; cookies are Secure under an https public URL."""

from __future__ import annotations

import httpx

from pagetoken.authority import users
from pagetoken.authority.context import Authority
from pagetoken.server import build_app

from ..support.servers import InThread, ThreadServer
from .conftest import csrf, http_login


def test_a_copied_session_cookie_stops_working_after_logout(server: ThreadServer) -> None:
    users.create(server.auth, "Tom", "tom@example.com", "right password")
    client = http_login(server, "tom@example.com", "right password")
    captured = client.cookies["pt_session"]
    assert client.get("/apps").status_code == 200
    r = client.post("/logout", data={"csrf_token": csrf(client.get("/apps").text)})
    assert r.status_code == 303
    thief = httpx.Client(base_url=server.url, follow_redirects=False, timeout=10, cookies={"pt_session": captured})
    r = thief.get("/apps")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    again = http_login(server, "tom@example.com", "right password")  # a new session works
    assert again.get("/apps").status_code == 200


def test_cookies_are_secure_behind_an_https_public_url(auth: Authority) -> None:
    users.create(auth, "Tom", "tom@example.com", "right password")
    srv = InThread(build_app(auth, "https://tokens.example.com")).start()
    try:
        client = httpx.Client(base_url=srv.url, follow_redirects=False, timeout=10)
        page = client.get("/login")
        assert "secure" in page.headers["set-cookie"].lower()
        token = csrf(page.text)
        r = client.post("/login", data={"email": "tom@example.com", "password": "right password",
                                        "csrf_token": token}, cookies={"pt_csrf": page.cookies["pt_csrf"]})
        assert r.status_code == 303
        session = [h for h in r.headers.get_list("set-cookie") if h.startswith("pt_session=")]
        assert session and "secure" in session[0].lower() and "httponly" in session[0].lower()
    finally:
        srv.stop()
