"""`GraphClient` and `AsyncGraphClient`: the Graph API with typed errors, proofs and retries.

Both speak to the real Graph API (the default base URL) or to pagetoken by changing only
`base_url`. The token goes in the query (GET, DELETE) or the form body (POST), with
``appsecret_proof`` next to it whenever the app secret is known. Nothing is logged but a token's
fingerprint.

`revoke(token)` is ``DELETE /oauth/access_token``: a pagetoken extension (RFC 7009 in spirit). The
Graph API has no call that revokes one token; ``DELETE /{user-id}/permissions`` removes the whole
app for the user, which is not the same thing and is never done in its place.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from typing import Any, TypeVar

import httpx

from ._engine import DEFAULT_BASE_URL, Engine, Flow, GraphRequest, Program, Sleep
from .models import ExchangedToken, PageToken, ResultPage, TokenInfo
from .retry import RetryPolicy
from .usage import Usage

__all__ = ["GraphClient", "AsyncGraphClient", "DEFAULT_BASE_URL"]

T = TypeVar("T")
PAGE_FIELDS = "id,name,access_token"
ACCOUNT_FIELDS = "id,name,access_token,category,tasks"


def _success(body: Any) -> bool:
    return bool(body.get("success", True)) if isinstance(body, dict) else bool(body)


class _Operations:
    """The Graph calls both clients offer, as `GraphRequest`s and programs (no I/O here)."""

    def __init__(self, base_url: str = DEFAULT_BASE_URL, version: str | None = None, *,
                 app_id: str | None = None, app_secret: str | None = None, access_token: str | None = None,
                 retry: RetryPolicy | None = None, timeout: float = 30.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.engine = Engine(base_url, version, app_id, app_secret, retry, monotonic)
        self.access_token = access_token
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.engine.base_url}, version={self.engine.version}, " \
               f"app_id={self.engine.app_id})"

    @property
    def app_id(self) -> str | None:
        return self.engine.app_id

    @property
    def last_usage(self) -> Usage:
        """What the last answer's usage headers said."""
        return self.engine.last_usage

    def _token(self, token: str | None) -> str | None:
        return token if token is not None else self.access_token

    def _app_credentials(self) -> tuple[str, str]:
        if not (self.engine.app_id and self.engine.app_secret):
            raise ValueError("this call needs the app ID and app secret")
        return self.engine.app_id, self.engine.app_secret

    def _app_access_token(self) -> str:
        app_id, secret = self._app_credentials()
        return f"{app_id}|{secret}"

    def _debug_call(self, token: str) -> GraphRequest[TokenInfo]:
        return GraphRequest("GET", "debug_token", {"input_token": token}, self._app_access_token(),
                            TokenInfo.from_graph)

    def _exchange_call(self, token: str) -> GraphRequest[ExchangedToken]:
        app_id, secret = self._app_credentials()
        params = {"grant_type": "fb_exchange_token", "client_id": app_id, "client_secret": secret,
                  "fb_exchange_token": token}
        return GraphRequest("GET", "oauth/access_token", params, None, ExchangedToken.from_graph)

    def _app_token_call(self) -> GraphRequest[ExchangedToken]:
        app_id, secret = self._app_credentials()
        params = {"grant_type": "client_credentials", "client_id": app_id, "client_secret": secret}
        return GraphRequest("GET", "oauth/access_token", params, None, ExchangedToken.from_graph)

    def _page_token_call(self, page_id: str, user_token: str | None) -> GraphRequest[PageToken]:
        return GraphRequest("GET", page_id, {"fields": PAGE_FIELDS}, self._token(user_token), PageToken.from_graph)

    def _revoke_call(self, token: str) -> GraphRequest[bool]:
        return GraphRequest("DELETE", "oauth/access_token", {}, token, _success)

    def _all_pages(self, path: str, token: str | None, params: dict[str, Any]) -> Program[list[Any]]:
        items: list[Any] = []
        page: ResultPage = yield GraphRequest("GET", path, params, self._token(token), ResultPage.from_graph)
        items += page.data
        while page.next_url and page.after:
            page = yield GraphRequest("GET", page.next_url, {}, self._token(token), ResultPage.from_graph)
            items += page.data
        return items

    def _page_tokens(self, user_token: str | None) -> Program[list[PageToken]]:
        rows = yield from self._all_pages("me/accounts", user_token, {"fields": ACCOUNT_FIELDS})
        return [PageToken.from_graph(r) for r in rows if isinstance(r, dict) and "access_token" in r]


class GraphClient(_Operations):
    """The Graph API over `httpx.Client`. Use as a context manager, or call `close()`."""

    def __init__(self, base_url: str = DEFAULT_BASE_URL, version: str | None = None, *,
                 app_id: str | None = None, app_secret: str | None = None, access_token: str | None = None,
                 retry: RetryPolicy | None = None, timeout: float = 30.0, http: httpx.Client | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        super().__init__(base_url, version, app_id=app_id, app_secret=app_secret, access_token=access_token,
                         retry=retry, timeout=timeout, monotonic=monotonic)
        self._own_http = http is None
        self.http = http or httpx.Client(timeout=timeout)
        self._sleep = sleep

    def __enter__(self) -> GraphClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._own_http:
            self.http.close()

    def _drive(self, flow: Flow[T]) -> T:
        try:
            step = next(flow)
            while True:
                if isinstance(step, Sleep):
                    self._sleep(step.seconds)
                    step = flow.send(None)
                    continue
                try:
                    response = self.http.send(step)
                    response.read()
                except httpx.TransportError as exc:
                    step = flow.throw(exc)
                    continue
                step = flow.send(response)
        except StopIteration as stop:
            return stop.value

    def run(self, work: GraphRequest[T] | Generator[GraphRequest[Any], Any, T]) -> T:
        """Run one `GraphRequest`, or a program of calls."""
        if isinstance(work, GraphRequest):
            return self._drive(self.engine.flow(work))
        try:
            call = next(work)
            while True:
                try:
                    result = self._drive(self.engine.flow(call))
                except Exception as exc:
                    call = work.throw(exc)
                    continue
                call = work.send(result)
        except StopIteration as stop:
            return stop.value

    def get(self, path: str, token: str | None = None, **params: Any) -> Any:
        """``GET /{version}/{path}``: the answer's JSON."""
        return self.run(GraphRequest("GET", path, params, self._token(token)))

    def post(self, path: str, token: str | None = None, **params: Any) -> Any:
        """``POST /{version}/{path}`` with `params` as a form body."""
        return self.run(GraphRequest("POST", path, params, self._token(token)))

    def delete(self, path: str, token: str | None = None, **params: Any) -> Any:
        """``DELETE /{version}/{path}``."""
        return self.run(GraphRequest("DELETE", path, params, self._token(token)))

    def paginate(self, path: str, token: str | None = None, **params: Any) -> Iterator[Any]:
        """Every item of a Graph list, following ``paging.next`` while a cursor is there."""
        page: ResultPage = self.run(GraphRequest("GET", path, params, self._token(token), ResultPage.from_graph))
        yield from page.data
        while page.next_url and page.after:
            page = self.run(GraphRequest("GET", page.next_url, {}, self._token(token), ResultPage.from_graph))
            yield from page.data

    def debug_token(self, token: str) -> TokenInfo:
        """``GET /debug_token`` with the app token: what `token` is, and whether it is valid."""
        return self.run(self._debug_call(token))

    def exchange_long_lived(self, token: str) -> ExchangedToken:
        """``fb_exchange_token``: a long-lived token (fresh lifetime) for a valid user or ResultPage token."""
        return self.run(self._exchange_call(token))

    def app_token(self) -> ExchangedToken:
        """``client_credentials``: an app access token."""
        return self.run(self._app_token_call())

    def page_tokens(self, user_token: str | None = None) -> list[PageToken]:
        """Every ResultPage the user works on, with a ResultPage token for each (``/me/accounts``, all pages)."""
        return self.run(self._page_tokens(user_token))

    def page_token(self, page_id: str, user_token: str | None = None) -> PageToken:
        """A ResultPage token for one ResultPage (``/{page-id}?fields=access_token``)."""
        return self.run(self._page_token_call(page_id, user_token))

    def revoke(self, token: str) -> bool:
        """``DELETE /oauth/access_token``: the token revokes itself (a pagetoken extension)."""
        return self.run(self._revoke_call(token))


class AsyncGraphClient(_Operations):
    """The Graph API over `httpx.AsyncClient`. Use as an async context manager, or `await aclose()`."""

    def __init__(self, base_url: str = DEFAULT_BASE_URL, version: str | None = None, *,
                 app_id: str | None = None, app_secret: str | None = None, access_token: str | None = None,
                 retry: RetryPolicy | None = None, timeout: float = 30.0, http: httpx.AsyncClient | None = None,
                 sleep: Callable[[float], Any] = asyncio.sleep,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        super().__init__(base_url, version, app_id=app_id, app_secret=app_secret, access_token=access_token,
                         retry=retry, timeout=timeout, monotonic=monotonic)
        self._own_http = http is None
        self.http = http or httpx.AsyncClient(timeout=timeout)
        self._sleep = sleep

    async def __aenter__(self) -> AsyncGraphClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._own_http:
            await self.http.aclose()

    async def _drive(self, flow: Flow[T]) -> T:
        try:
            step = next(flow)
            while True:
                if isinstance(step, Sleep):
                    await self._sleep(step.seconds)
                    step = flow.send(None)
                    continue
                try:
                    response = await self.http.send(step)
                    await response.aread()
                except httpx.TransportError as exc:
                    step = flow.throw(exc)
                    continue
                step = flow.send(response)
        except StopIteration as stop:
            return stop.value

    async def run(self, work: GraphRequest[T] | Generator[GraphRequest[Any], Any, T]) -> T:
        """Run one `GraphRequest`, or a program of calls."""
        if isinstance(work, GraphRequest):
            return await self._drive(self.engine.flow(work))
        try:
            call = next(work)
            while True:
                try:
                    result = await self._drive(self.engine.flow(call))
                except Exception as exc:
                    call = work.throw(exc)
                    continue
                call = work.send(result)
        except StopIteration as stop:
            return stop.value

    async def get(self, path: str, token: str | None = None, **params: Any) -> Any:
        return await self.run(GraphRequest("GET", path, params, self._token(token)))

    async def post(self, path: str, token: str | None = None, **params: Any) -> Any:
        return await self.run(GraphRequest("POST", path, params, self._token(token)))

    async def delete(self, path: str, token: str | None = None, **params: Any) -> Any:
        return await self.run(GraphRequest("DELETE", path, params, self._token(token)))

    async def paginate(self, path: str, token: str | None = None, **params: Any) -> AsyncIterator[Any]:
        """Every item of a Graph list, following ``paging.next`` while a cursor is there."""
        page: ResultPage = await self.run(GraphRequest("GET", path, params, self._token(token), ResultPage.from_graph))
        for item in page.data:
            yield item
        while page.next_url and page.after:
            page = await self.run(GraphRequest("GET", page.next_url, {}, self._token(token), ResultPage.from_graph))
            for item in page.data:
                yield item

    async def debug_token(self, token: str) -> TokenInfo:
        return await self.run(self._debug_call(token))

    async def exchange_long_lived(self, token: str) -> ExchangedToken:
        return await self.run(self._exchange_call(token))

    async def app_token(self) -> ExchangedToken:
        return await self.run(self._app_token_call())

    async def page_tokens(self, user_token: str | None = None) -> list[PageToken]:
        return await self.run(self._page_tokens(user_token))

    async def page_token(self, page_id: str, user_token: str | None = None) -> PageToken:
        return await self.run(self._page_token_call(page_id, user_token))

    async def revoke(self, token: str) -> bool:
        return await self.run(self._revoke_call(token))
