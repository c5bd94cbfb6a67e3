"""Browser fixtures: Debian's Chromium driven by Playwright (never a downloaded browser), and helpers."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pagetoken.authority import users
from tests.conftest import need
from tests.support.servers import ThreadServer, World

CHROMIUM = os.environ.get("PAGETOKEN_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
# Where the browser tests save their screenshots: build/screenshots (ignored) on every run; `make screenshots`
# points this at docs/images to refresh the README's pictures on purpose.
IMAGES = ROOT / os.environ.get("PAGETOKEN_SCREENSHOTS", "build/screenshots")
LAPTOP = {"width": 1366, "height": 860}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    need(os.path.exists(CHROMIUM), f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the dev extra installs it
        need(False, "the playwright package is not installed")
        raise
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                               args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (its own cookies) at laptop size; phone shots resize it."""
    context = browser.new_context(viewport=LAPTOP)
    context.set_default_timeout(10_000)
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    p.on("console", lambda msg: errors.append(msg.text)
         if msg.type == "error" and "Failed to load resource" not in msg.text else None)
    yield p
    context.close()
    assert not errors, f"the page logged errors: {errors}"


def email_of(server: ThreadServer, world: World) -> str:
    user = users.get(server.auth, world.user_id)
    assert user is not None and user.email
    return user.email


def login(page: Any, server: ThreadServer, email: str, password: str, target: str = "/explorer") -> None:
    """Log in through the login form and land on `target`."""
    page.goto(f"{server.url}{target}")
    assert "/login" in page.url
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(re.compile(re.escape(server.url + target.split("?")[0])))


def screenshots(page: Any, name: str, phone_anchor: str | None = None) -> None:
    """The page at laptop width (whole page) and on a phone screen (scrolled to `phone_anchor`),
    saved as NAME-laptop.png and NAME-phone.png under IMAGES. At phone width nothing
    may stick out sideways."""
    IMAGES.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size(LAPTOP)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(IMAGES / f"{name}-laptop.png"), full_page=True)
    page.set_viewport_size(PHONE)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name} is {overflow}px wider than a phone screen"
    if phone_anchor:
        page.evaluate("""(sel) => {
            const bar = document.querySelector('.topbar').offsetHeight;
            const top = document.querySelector(sel).getBoundingClientRect().top + window.scrollY;
            window.scrollTo(0, top - bar - 12);
        }""", phone_anchor)
    page.screenshot(path=str(IMAGES / f"{name}-phone.png"))
    page.evaluate("window.scrollTo(0, 0)")
    page.set_viewport_size(LAPTOP)


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


def http_login(server: ThreadServer, email: str, password: str) -> httpx.Client:
    """A plain HTTP client with a logged-in session."""
    client = httpx.Client(base_url=server.url, follow_redirects=False, timeout=10)
    r = client.post("/login", data={"email": email, "password": password, "next": "/apps",
                                    "csrf_token": csrf(client.get("/login").text)})
    assert r.status_code == 303, r.text
    return client


def graph_error(reply: httpx.Response) -> dict[str, Any]:
    body = reply.json()
    assert "error" in body, body
    return dict(body["error"])
