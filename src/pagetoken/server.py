"""The ASGI application: the Graph API, the web tools, /openapi.json and /metrics on one port."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import AsyncIterator, Callable, MutableMapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Match, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from pagetoken import guards
from pagetoken.authority import callbacks, impressions, ratecounts
from pagetoken.authority.context import Authority, Settings
from pagetoken.core import errors, redact
from pagetoken.core.clock import Clock
from pagetoken.core.lifetimes import Lifetimes
from pagetoken.devtools import control
from pagetoken.devtools.control import DevOptions
from pagetoken.graph import batch
from pagetoken.graph.http import GraphEndpoint, error_response
from pagetoken.graph.openapi import openapi_document
from pagetoken.graph.ratelimit import RateLimiter
from pagetoken.web import authorized, dashboard, dialog, explorer, login
from pagetoken.web.common import HERE as WEB_DIR
from pagetoken.web.common import Web

log = logging.getLogger("pagetoken.server")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("pagetoken_http_requests_total", "HTTP requests answered",
                                ["method", "status"], registry=self.registry)
        self.latency = Histogram("pagetoken_http_request_seconds", "Time to answer an HTTP request",
                                 registry=self.registry)
        self._counters: dict[tuple[str, int], Any] = {}  # each label pair's counter, looked up once

    def observe(self, method: str, status: int, seconds: float) -> None:
        """One request answered."""
        counter = self._counters.get((method, status))
        if counter is None:
            if len(self._counters) >= 1024:  # any method name can arrive: keep the memory bounded
                self._counters.clear()
            counter = self._counters[(method, status)] = self.requests.labels(method, str(status))
        counter.inc()
        self.latency.observe(seconds)


class Front:
    """Every HTTP request passes here once, first: the metrics, the answering process's name
    (`X-Pagetoken-Worker: <pid>`, so an operator running several workers, and the tests, can tell which
    one served it) and the body limit, in one wrapper. A Graph call, known from `GraphRoute`'s two set
    lookups, then goes straight to the Graph endpoint (given its kept answer when it has one:
    `graph/recall.py`); anything else goes down Starlette's own stack (its error and exception
    middleware, then the router), where the Graph catch-all is still matched."""

    def __init__(self, app: ASGIApp, graph: GraphEndpoint, route: GraphRoute, metrics: Metrics) -> None:
        self.app = app
        self.graph = graph
        self.route = route
        self.metrics = metrics
        self._pid = 0
        self._worker = b""

    def _worker_header(self) -> tuple[bytes, bytes]:
        pid = os.getpid()  # read per answer: workers may fork after the app is built
        if pid != self._pid:
            self._pid, self._worker = pid, str(pid).encode()
        return b"x-pagetoken-worker", self._worker

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        try:
            if guards.declared_too_large(scope):
                refusal = guards.BodyTooLarge()
                status = refusal.status
                await guards.send_graph_error(send, refusal, self._worker_header())
            elif self.route.takes(scope):
                status = await self.graph_call(scope, receive, send)
            else:
                status = await self.web_call(scope, receive, send)
        finally:
            self.metrics.observe(scope["method"], status, time.perf_counter() - start)

    async def graph_call(self, scope: Scope, receive: Receive, send: Send) -> int:
        """A Graph call: its answer is made whole first (a kept one, or the endpoint's), so its status and
        the worker header are set on it directly, with no wrapper around `send`."""
        try:
            response = self.graph.recall.answer(scope) or await self.graph.handle(
                Request(scope, guards.bounded(receive)))
        except guards.BodyTooLarge as exc:
            await guards.send_graph_error(send, exc, self._worker_header())
            return exc.status
        except Exception:  # the endpoint answers its own failures; this is a last resort, as Starlette's
            log.exception("unexpected failure on %s %s", scope["method"], scope["path"])
            response = error_response(errors.UnknownError())
        response.raw_headers.append(self._worker_header())
        await response(scope, receive, send)
        return response.status_code

    async def web_call(self, scope: Scope, receive: Receive, send: Send) -> int:
        """Anything else, down Starlette's stack, with `send` wrapped to learn the status and add the header."""
        status = 500
        started = False
        worker = self._worker_header()

        async def answer(message: MutableMapping[str, Any]) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status, started = message["status"], True
                message["headers"] = [*message.get("headers", ()), worker]
            await send(message)

        try:
            await self.app(scope, guards.bounded(receive), answer)
        except guards.BodyTooLarge as exc:
            if started:  # too late to answer otherwise
                raise
            await guards.send_graph_error(answer, exc)
        return status


class GraphRoute(Route):
    """The Graph API's catch-all, tried first: a path whose first segment no other route starts with (or,
    for routes under a version such as ``/{version}/dialog/oauth``, whose second) is a Graph call, known
    from two set lookups instead of trying every web tool's pattern in turn. Any other path goes down
    the route list as before, where the same catch-all still comes last."""

    def __init__(self, endpoint: Any, others: list[Any]) -> None:
        super().__init__("/{path:path}", endpoint, methods=GRAPH_METHODS)
        first: set[str] = set()
        second: set[str] = set()
        for route in others:
            parts = route.path.strip("/").split("/")
            if parts[0].startswith("{"):
                second.add(parts[1] if len(parts) > 1 else "")
            else:
                first.add(parts[0])
        self.first, self.second = frozenset(first), frozenset(second)

    def _graph_path(self, path: str) -> bool:
        """Whether no other route could match `path`."""
        parts = path.split("/", 3)
        return not (len(parts) < 2 or parts[1] in self.first or (len(parts) > 2 and parts[2] in self.second))

    def takes(self, scope: Scope) -> bool:
        """Whether the request is a Graph call that no other route could match (`Front`'s fast lane)."""
        return scope["method"] in GRAPH_METHOD_SET and self._graph_path(scope["path"])

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or not self._graph_path(scope["path"]):
            return Match.NONE, {}
        return super().matches(scope)


GRAPH_METHODS = ["GET", "POST", "DELETE", "PUT", "HEAD"]
GRAPH_METHOD_SET = frozenset(GRAPH_METHODS)


class Server(Starlette):
    """Starlette with `Front` ahead of its middleware stack."""

    front: Callable[[ASGIApp], ASGIApp] | None = None

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        return stack if self.front is None else self.front(stack)


def build_app(auth: Authority, public_url: str | None = None, dev: DevOptions | None = None) -> Starlette:
    """The whole server for one Authority. Extensions register on `app.state` (graph, web). With `dev`,
    the emulator controls of SPEC §11 under /_pagetoken/ (never otherwise)."""
    graph = GraphEndpoint(auth, public_url)
    web = Web(auth, public_url)
    metrics = Metrics()

    async def metrics_endpoint(_request: Request) -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    async def openapi(_request: Request) -> Response:
        return JSONResponse(openapi_document(public_url))

    async def health(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def home(request: Request) -> Response:
        if "ids" in request.query_params:  # GET /?ids=A,B reads several objects (SPEC §2)
            return await graph.handle(request)
        return RedirectResponse("/explorer", status_code=307)

    routes: list[Any] = [
        Route("/metrics", metrics_endpoint, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
        Route("/healthz", health, methods=["GET"]),
        Mount("/static", app=StaticFiles(directory=str(WEB_DIR / "static")), name="static"),
        *login.routes(web),
        *dialog.routes(web),
        *explorer.routes(web),
        *dashboard.routes(web),
        *authorized.routes(web),
        Route("/", home, methods=["GET", "HEAD"]),
        Route("/{path:path}", graph.handle, methods=GRAPH_METHODS),  # the Graph API
    ]

    async def not_routed(request: Request, exc: Exception) -> Response:
        # Paths the router cannot even match (a newline in them) and methods no route takes (PATCH …)
        # still answer as the Graph does, never with a bare text page.
        if getattr(exc, "status_code", 404) == 405:
            return error_response(errors.BadParameter(f"Unsupported method {request.method}"))
        return error_response(errors.UnknownPath(request.url.path))

    # Rate limits count every Graph call and add the usage headers to every Graph answer; the counts are
    # shared with every other process and node through the database, in batches (never per call).
    counts = ratecounts.counts_for(auth)
    limiter = RateLimiter(counts)
    graph.meter(limiter)
    graph.batch = batch.handler(graph)
    # Deauthorize callbacks are delivered by a worker that runs for as long as the server does.
    worker = callbacks.worker_for(auth)
    # Impressions are counted in memory and written about once a second, never on the read itself.
    reads = impressions.log_for(auth)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        worker.start()
        reads.start()
        counts.start()
        try:
            yield
        finally:
            counts.stop()
            reads.stop()
            worker.stop()

    if dev is not None:  # the shared clock, faults and request log, and /_pagetoken/ ahead of the Graph
        routes.insert(0, control.mount(auth, graph, limiter, dev))
    graph_route = GraphRoute(graph.handle, routes[:-1])
    routes.insert(0, graph_route)
    app = Server(routes=routes, exception_handlers={404: not_routed, 405: not_routed}, lifespan=lifespan)
    app.front = lambda stack: Front(stack, graph, graph_route, metrics)
    app.state.auth = auth
    app.state.graph = graph
    app.state.web = web
    app.state.metrics = metrics
    app.state.ratelimit = limiter
    app.state.callbacks = worker
    return app


def startup_warnings(public_url: str | None, allow_private_callbacks: bool) -> list[str]:
    """What an operator should hear about at start-up."""
    out = []
    if not public_url:
        out.append("no --public-url: the URLs the server hands out (paging.next, login_url, redirects) follow "
                   "each request's Host header; set --public-url (env PAGETOKEN_PUBLIC_URL) when others reach "
                   "this server")
    if allow_private_callbacks:
        out.append("--allow-private-callbacks: deauthorize callbacks may reach loopback and private addresses")
    return out


def configure_logging(level: str = "INFO") -> None:
    """Server logging with the token-masking filter installed before anything is logged."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(level)
    redact.install(root)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lg = logging.getLogger(name)
        for existing in lg.handlers:
            existing.addFilter(redact.RedactingFilter())
        lg.addFilter(redact.RedactingFilter())


def dev_from_env() -> DevOptions | None:
    """`serve --dev` hands its options to every worker process through the environment."""
    if os.environ.get("PAGETOKEN_DEV") != "1":
        return None
    return DevOptions(control_token=os.environ.get("PAGETOKEN_CONTROL_TOKEN") or None)


def settings_from_env() -> Settings:
    return Settings(data_dir=Path(os.environ.get("PAGETOKEN_DATA_DIR", "pagetoken-data")),
                    db_url=os.environ.get("PAGETOKEN_DB") or None, lifetimes=Lifetimes.from_env())


def create_app(clock: Clock | None = None) -> Starlette:
    """The app from the environment (the factory `uvicorn --factory` and worker processes use)."""
    configure_logging(os.environ.get("PAGETOKEN_LOG_LEVEL", "INFO"))
    auth = Authority.open(settings_from_env(), clock)
    return build_app(auth, os.environ.get("PAGETOKEN_PUBLIC_URL") or None, dev_from_env())
