"""The control API of `serve --dev`, under `/_pagetoken/` (SPEC §11). JSON in, JSON out.

Mounted only with `--dev`; without it those paths are ordinary unknown Graph paths. With a control
token, every call needs `Authorization: Bearer TOKEN`.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from pagetoken.authority import faults, fixtures, mint, snapshot
from pagetoken.authority.context import Authority
from pagetoken.authority.devclock import SharedClock
from pagetoken.core import errors
from pagetoken.graph.call import Call
from pagetoken.graph.http import GraphEndpoint, error_response, json_response
from pagetoken.graph.ratelimit import RateLimiter

log = logging.getLogger("pagetoken.devtools")

PREFIX = "/_pagetoken"
MAX_BODY = 64 * 1024 * 1024


@dataclass(frozen=True)
class DevOptions:
    control_token: str | None = None


Handler = Callable[[Request], Awaitable[Any]]


class Control:
    def __init__(self, auth: Authority, clock: SharedClock, options: DevOptions,
                 after_reset: Callable[[], None] = lambda: None) -> None:
        self.auth = auth
        self.clock = clock
        self.options = options
        self.after_reset = after_reset

    # ---- plumbing ----

    def _allowed(self, request: Request) -> bool:
        expected = self.options.control_token
        if not expected:
            return True
        given = request.headers.get("authorization", "")
        scheme, _, value = given.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), expected.encode())

    def endpoint(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            if not self._allowed(request):
                return json_response({"error": {"message": "The control API needs Authorization: Bearer "
                                                           "<control token>", "type": "OAuthException",
                                                "code": 190}}, 401,
                                     {"WWW-Authenticate": 'Bearer realm="pagetoken control"'})
            try:
                return json_response(await handler(request))
            except errors.ApiError as exc:
                return error_response(exc)
            except Exception:
                log.exception("control call %s %s failed", request.method, request.url.path)
                return error_response(errors.UnknownError())
        return run

    @staticmethod
    async def body(request: Request) -> dict[str, Any]:
        raw = await request.body()
        if len(raw) > MAX_BODY:
            raise errors.BadParameter("the body is too big")
        if not raw.strip():
            return {}
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise errors.BadParameter("the body must be JSON") from exc
        if not isinstance(data, dict):
            raise errors.BadParameter("the body must be a JSON object")
        return data

    # ---- the calls ----

    async def on_clock(self, request: Request) -> Any:
        if request.method == "POST":
            data = await self.body(request)
            if ("advance" in data) == ("set" in data):
                raise errors.BadParameter('give either {"advance": SECONDS} or {"set": EPOCH}')
            key = "advance" if "advance" in data else "set"
            value = data[key]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise errors.BadParameter(f"{key} must be a number")
            change = self.clock.advance if key == "advance" else self.clock.set
            await run_in_threadpool(change, float(value))
        return await run_in_threadpool(self.clock.describe)

    async def on_faults(self, request: Request) -> Any:
        if request.method == "DELETE":
            return {"success": True, "cleared": await run_in_threadpool(faults.clear, self.auth)}
        if request.method == "GET":
            return {"data": [f.public() for f in await run_in_threadpool(faults.pending, self.auth)]}
        data = await self.body(request)
        match, error, times = data.get("match") or {}, data.get("error"), data.get("times", 1)
        if not isinstance(match, dict) or not isinstance(error, dict):
            raise errors.BadParameter('a fault is {"match": {...}, "error": {"code": N, ...}, "times": N}')
        unknown = set(match) - {"path", "method", "app_id", "token"}
        if unknown:
            raise errors.BadParameter(f"match takes path, method, app_id and token, not {sorted(unknown)[0]}")
        code, subcode, message = error.get("code"), error.get("error_subcode"), error.get("message")
        if not _int(code) or (subcode is not None and not _int(subcode)) or not _int(times):
            raise errors.BadParameter("error.code, error.error_subcode and times must be integers")
        if message is not None and not isinstance(message, str):
            raise errors.BadParameter("error.message must be a string")
        for key, value in match.items():
            if not isinstance(value, str | int) or isinstance(value, bool):
                raise errors.BadParameter(f"match.{key} must be a string")
        assert isinstance(code, int) and isinstance(times, int)
        fault = await run_in_threadpool(lambda: faults.add(
            self.auth, code=code, subcode=subcode, message=message, times=times,
            path=_opt(match, "path"), method=_opt(match, "method"), app_id=_opt(match, "app_id"),
            token=_opt(match, "token")))
        return fault.public()

    async def on_tokens(self, request: Request) -> Any:
        data = await self.body(request)
        unknown = set(data) - {"kind", "app_id", "user_id", "page_id", "scopes"}
        if unknown:
            raise errors.BadParameter(f"a token takes kind, app_id, user_id, page_id and scopes, not "
                                      f"{sorted(unknown)[0]}")
        return await run_in_threadpool(lambda: mint.token(
            self.auth, str(data.get("kind", "")), str(data.get("app_id") or ""), _opt(data, "user_id"),
            _opt(data, "page_id"), data.get("scopes")))

    async def on_apps(self, request: Request) -> Any:
        data = await self.body(request)
        return await run_in_threadpool(lambda: mint.new_app(
            self.auth, _opt(data, "name"), require_proof=data.get("require_proof"),
            redirect_uris=data.get("redirect_uris"), deauthorize_url=_opt(data, "deauthorize_url")))

    async def on_users(self, request: Request) -> Any:
        data = await self.body(request)
        return await run_in_threadpool(lambda: mint.new_user(
            self.auth, _opt(data, "name"), app_id=_opt(data, "app_id"), permissions=data.get("permissions"),
            email=_opt(data, "email"), password=_opt(data, "password")))

    async def on_pages(self, request: Request) -> Any:
        data = await self.body(request)
        owner = _opt(data, "owner")
        if not owner:
            raise errors.BadParameter("a Page needs an owner (a user ID)")
        return await run_in_threadpool(lambda: mint.new_page(self.auth, owner, _opt(data, "name"),
                                                             _opt(data, "category") or "Brand"))

    async def on_reset(self, _request: Request) -> Any:
        def run() -> None:
            snapshot.reset(self.auth)
            self.clock.reset()
            self.after_reset()
        await run_in_threadpool(run)
        return {"success": True}

    async def on_state(self, request: Request) -> Any:
        if request.method == "GET":
            return await run_in_threadpool(snapshot.export, self.auth)
        data = await self.body(request)
        return await run_in_threadpool(fixtures.load, self.auth, data)

    async def on_requests(self, request: Request) -> Any:
        raw = request.query_params.get("limit", "50")
        if not raw.isdigit() or not 1 <= int(raw) <= faults.KEEP_REQUESTS:
            raise errors.BadParameter(f"limit must be between 1 and {faults.KEEP_REQUESTS}")
        return {"data": await run_in_threadpool(faults.recent, self.auth, int(raw))}

    def routes(self) -> list[Route]:
        e = self.endpoint
        return [
            Route("/clock", e(self.on_clock), methods=["GET", "POST"]),
            Route("/faults", e(self.on_faults), methods=["GET", "POST", "DELETE"]),
            Route("/tokens", e(self.on_tokens), methods=["POST"]),
            Route("/apps", e(self.on_apps), methods=["POST"]),
            Route("/users", e(self.on_users), methods=["POST"]),
            Route("/pages", e(self.on_pages), methods=["POST"]),
            Route("/reset", e(self.on_reset), methods=["POST"]),
            Route("/state", e(self.on_state), methods=["GET", "PUT"]),
            Route("/requests", e(self.on_requests), methods=["GET"]),
        ]


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _opt(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return None if value is None or value == "" else str(value)


def inject_faults(auth: Authority) -> Callable[[Call, str | None], None]:
    """Before dispatch: answer a due fault instead of the call."""
    def first(call: Call, raw_token: str | None) -> None:
        injected = faults.take(auth, call.method, call.path, raw_token, call.params)
        if injected is not None:
            raise injected
    return first


def log_requests(auth: Authority) -> Callable[[Call, str | None, errors.ApiError | None], None]:
    """Once answered: one row of the request log (batch requests one by one)."""
    def answered(call: Call, raw_token: str | None, failure: errors.ApiError | None) -> None:
        token = call.usage.token
        app_id = token.app_id if token is not None else faults.app_of(auth, raw_token, call.params)
        status, code, subcode = (200, None, None) if failure is None else (failure.status, failure.code,
                                                                           failure.subcode)
        faults.record(auth, call.method, "/" + call.path, app_id, status, code, subcode)
    return answered


def mount(auth: Authority, graph: GraphEndpoint, limiter: RateLimiter, options: DevOptions) -> Mount:
    """Make a server a dev server: the authority reads the shared clock, the Graph endpoint answers
    faults and logs its calls; returns the /_pagetoken/ mount for the app's routes."""
    clock = auth.clock if isinstance(auth.clock, SharedClock) else SharedClock(auth.store, auth.clock)
    auth.clock = clock
    graph.first.append(inject_faults(auth))
    graph.answered.append(log_requests(auth))
    control = Control(auth, clock, options, after_reset=limiter.clear)
    return Mount(PREFIX, routes=control.routes())
