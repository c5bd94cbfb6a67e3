"""The Graph endpoint: every path not taken by the web tools lands here."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from pagetoken.authority import storage_faults
from pagetoken.authority.context import Authority
from pagetoken.core import errors

from .call import Call
from .dispatch import dispatch
from .params import effective_method, merged_params, strip_version, token_from
from .recall import Recall
from .responses import JSON, GraphJSON, error_response, json_response

if TYPE_CHECKING:
    from pagetoken.authority.records import ValidToken

    from .ratelimit import Plan, RateLimiter

__all__ = ["JSON", "GraphEndpoint", "GraphJSON", "after_headers", "error_response", "json_response", "writes"]

log = logging.getLogger("pagetoken.graph")

# Extra steps around every call (rate limits, usage headers, metrics): (call) -> headers to add.
Hook = Callable[[Call], dict[str, str]]

_ESCAPED = re.compile(r"[?#\\]")  # what a URL escapes in a path (`%3F`, `%23`, `%5C`)
_BASE_URLS: dict[tuple[Any, ...], str] = {}


def base_url(request: Request, public_url: str | None) -> str:
    """Where this server is reached: `public_url`, or what the request's Host header says (worked out
    once per distinct host; the memory is bounded, since anyone can send any Host)."""
    if public_url:
        return public_url.rstrip("/")
    scope = request.scope
    key = (scope.get("scheme"), scope.get("server"), scope.get("root_path", ""), request.headers.get("host"))
    found = _BASE_URLS.get(key)
    if found is None:
        if len(_BASE_URLS) >= 256:
            _BASE_URLS.clear()
        found = _BASE_URLS[key] = str(request.base_url).rstrip("/")
    return found


# grants that always store a token: an exchange, a code, a Page token for an app (client_credentials
# without page_id answers the app's own token, which is derived and remembered)
_WRITING_GRANTS = frozenset({"fb_exchange_token", "authorization_code"})


def writes(call: Call) -> bool:
    """Whether the call writes whatever it finds: Graph POSTs and DELETEs, and the token grants above."""
    if call.method in ("POST", "DELETE"):
        return True
    if call.path != "oauth/access_token":
        return False
    grant = call.params.get("grant_type")
    return grant in _WRITING_GRANTS or "code" in call.params or (
        grant == "client_credentials" and bool(call.params.get("page_id")))


def after_headers(endpoint: GraphEndpoint, call: Call) -> dict[str, str]:
    """The headers every after-hook adds to an answer (a failing hook is logged, never fatal)."""
    headers: dict[str, str] = {}
    for hook in endpoint.after:
        try:
            headers.update(hook(call))
        except Exception:
            log.exception("after-hook failed")
    return headers


class GraphEndpoint:
    """An ASGI-callable endpoint bound to one Authority."""

    def __init__(self, auth: Authority, public_url: str | None = None) -> None:
        self.auth = auth
        self.public_url = public_url
        self.before: list[Callable[[Call], None]] = []  # run once the token and Page are known; may raise
        self.after: list[Hook] = []    # headers for every answer, errors included
        self.done: list[Callable[[Call, float, float], None]] = []  # (call, wall, CPU seconds) once answered
        # `serve --dev` only: `first` runs before dispatch with the raw token and may raise (injected faults);
        # `answered` hears how each call ended (the error, or None), for the request log.
        self.first: list[Callable[[Call, str | None], None]] = []
        self.answered: list[Callable[[Call, str | None, errors.ApiError | None], None]] = []
        self.batch: Callable[[Call, Request], Any] | None = None
        self.limiter: RateLimiter | None = None
        self.recall = Recall(self)  # answers given again (recall.py)

    def meter(self, limiter: RateLimiter) -> None:
        """Count every call with `limiter`: its `admit`, `headers` and `charge` run around each call."""
        self.limiter = limiter
        self.before.append(limiter.admit)
        self.after.append(limiter.headers)
        self.done.append(limiter.charge)

    def plan(self, token: ValidToken | None, page_ids: Collection[str]) -> Plan | None:
        """How a kept answer to a call with `token` that touched `page_ids` is counted in one pass, when
        the limiter's are the only hooks (None otherwise, and nothing is kept: other hooks must see every
        call run)."""
        lim = self.limiter
        if lim is None or self.before != [lim.admit] or self.after != [lim.headers] or self.done != [lim.charge]:
            return None
        return lim.plan(token, page_ids)

    async def handle(self, request: Request) -> Response:
        call: Call | None = None
        raw_path = request.scope["path"]  # as request.url.path has it, without building the URL when it can
        path, version = strip_version(raw_path if not _ESCAPED.search(raw_path) else request.url.path)
        key, generation = self.recall.start(request.scope)
        try:
            params = await merged_params(request)
            method = effective_method(request, params)
            call = Call.arriving(self.auth, method, path, params, base_url(request, self.public_url), version,
                                 headers=dict(request.headers))
            raw = token_from(request.headers, params)
            # The Graph documentation posts its own batch example to /me: the same as POST /.
            if path in ("", "me") and method == "POST" and "batch" in params and self.batch is not None:
                body = await self.batch(call, request)
            else:
                body = await self.answer(call, raw)
            response = json_response(body, headers=self.after_headers(call), version=version)
            self.recall.keep(key, generation, call.usage, response)
            return response
        except errors.ApiError as exc:
            return error_response(exc, self.after_headers(call) if call else None, version)
        except Exception as exc:
            fault = storage_faults.as_graph_error(exc)
            if fault is not None:
                log.error("%s %s: %s", request.method, request.url.path, fault.message)
                return error_response(fault, self.after_headers(call) if call else None, version)
            log.exception("unexpected failure on %s %s", request.method, request.url.path)
            return error_response(errors.UnknownError(), version=version)

    async def answer(self, call: Call, raw_token: str | None) -> Any:
        """Run the call on the event loop when everything it needs is in memory (no thread hop); the
        first database access stops that attempt and the call runs again in a worker thread. A call
        that always writes (`writes`) goes to the thread at once: its attempt would be thrown away."""
        if not writes(call):
            try:
                with self.auth.memory_only():
                    return self.run(call, raw_token, on_loop=True)
            except Authority.NeedsIO:
                pass
        return await run_in_threadpool(self.run, call, raw_token)

    def run(self, call: Call, raw_token: str | None, on_loop: bool = False) -> Any:
        """Dispatch one call, then tell `done` how long it took (not for an attempt that needed I/O:
        the run that follows is the one that counts). A call run `on_loop` neither waits nor yields,
        so its wall time is its CPU time: the thread's CPU clock, a system call that costs several
        microseconds, is read only for calls run in a worker thread."""
        wall, cpu = time.perf_counter(), (None if on_loop else time.thread_time())
        try:
            for guard in self.first:
                guard(call, raw_token)
            result = dispatch(call, raw_token, self.before)
        except Authority.NeedsIO:
            raise
        except errors.ApiError as exc:
            self._done(call, wall, cpu)
            self._answered(call, raw_token, exc)
            raise
        except BaseException:
            self._done(call, wall, cpu)
            self._answered(call, raw_token, errors.UnknownError())
            raise
        else:
            for effect in call.usage.effects:
                effect()
        finally:  # run once answered, or thrown away with an attempt that stopped for the database or failed
            call.usage.effects.clear()
        self._done(call, wall, cpu)
        self._answered(call, raw_token, None)
        return result

    def charge(self, call: Call, wall: float) -> None:
        """`done` for a call answered on the event loop that started at `wall` (`perf_counter`)."""
        self._done(call, wall, None)

    def after_headers(self, call: Call) -> dict[str, str]:
        return after_headers(self, call)

    def _done(self, call: Call, wall: float, cpu: float | None) -> None:
        wall = time.perf_counter() - wall
        cpu = wall if cpu is None else time.thread_time() - cpu
        for hook in self.done:
            hook(call, wall, cpu)

    def _answered(self, call: Call, raw_token: str | None, failure: errors.ApiError | None) -> None:
        for heard in self.answered:
            try:
                heard(call, raw_token, failure)
            except Authority.NeedsIO:
                raise  # a hook that writes sends the call to a worker thread, like dispatch does
            except Exception:
                log.exception("answered-hook failed")
