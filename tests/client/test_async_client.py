"""The async client against a real server (SQLite and PostgreSQL): every call the sync client has."""

from __future__ import annotations

import asyncio
import threading

import pytest

from pagetoken.client import AsyncGraphClient
from pagetoken.client.exceptions import TokenInvalidated
from tests.support.servers import ThreadServer


def test_async_client_tokens_posts_and_revocation(any_server: ThreadServer) -> None:
    w = any_server.world()

    async def main() -> None:
        async with AsyncGraphClient(any_server.url, "v25.0", app_id=w.app_id, app_secret=w.secret) as c:
            app = await c.app_token()
            assert app.expires_in is None
            assert (await c.debug_token(app.access_token)).type == "APP"
            info = await c.debug_token(w.user_token)
            assert info.is_valid and info.type == "USER" and info.user_id == w.user_id
            assert "pages_manage_posts" in info.scopes and info.expires_at > info.issued_at

            long = await c.exchange_long_lived(w.user_token)
            assert long.access_token != w.user_token and long.expires_in == 60 * 86400
            assert (await c.debug_token(long.access_token)).expires_at - any_server.clock.now() == 60 * 86400

            pages = await c.page_tokens(long.access_token)
            assert [(p.page_id, p.name) for p in pages] == [(w.page_id, "Test Page")]
            page = await c.page_token(w.page_id, long.access_token)
            assert page.page_id == w.page_id and (await c.debug_token(page.access_token)).type == "PAGE"

            posted = await c.post(f"{w.page_id}/feed", page.access_token, message="from the async client")
            feed = await c.get(f"{w.page_id}/feed", page.access_token)
            assert [p["id"] for p in feed["data"]] == [posted["id"]]
            assert await c.delete(posted["id"], page.access_token) == {"success": True}
            assert (await c.get(f"{w.page_id}/feed", page.access_token))["data"] == []

            assert await c.revoke(long.access_token) is True
            with pytest.raises(TokenInvalidated):
                await c.get("me", long.access_token)

    # In a thread of its own: a session-wide browser (Playwright's sync API) may hold this thread's event loop.
    failures: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(main())
        except BaseException as exc:  # handed to the test's thread below
            failures.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=120)
    assert not thread.is_alive()
    if failures:
        raise failures[0]
