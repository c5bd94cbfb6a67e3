"""The one implementation behind the sync and async clients.

A `GraphRequest` describes one Graph request. `Engine.flow(call)` is a generator that yields the
`httpx.Request` to send (and receives its `httpx.Response`, or has the transport error thrown in)
or a `Sleep` to wait out, and returns the parsed result: proof, retries, throttling and error
parsing live here once. Composite operations (following pages, say) are "programs": generators
that yield `GraphRequest`s and receive their results. The clients only drive these generators, one with
`httpx.Client` and `time.sleep`, the other with `httpx.AsyncClient` and `asyncio.sleep`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qsl

import httpx

from pagetoken.core.proof import appsecret_proof
from pagetoken.core.redact import redact
from pagetoken.core.tokens import fingerprint

from ._log import get_logger
from .exceptions import GraphError, NetworkError, UnexpectedResponse, parse_error
from .retry import RetryPolicy
from .usage import Usage, parse_usage

T = TypeVar("T")
log = get_logger(__name__)

DEFAULT_BASE_URL = "https://graph.facebook.com"
USER_AGENT = "pagetoken-client/0.1"
_SECRET_PARAMS = ("access_token", "appsecret_proof")


def _identity(body: Any) -> Any:
    return body


@dataclass(frozen=True)
class GraphRequest(Generic[T]):
    """One Graph request: method, path (or an absolute URL on the same host), parameters, token."""

    method: str
    path: str
    params: Mapping[str, Any] = field(default_factory=dict)
    token: str | None = field(default=None, repr=False)
    parse: Callable[[Any], T] = _identity


@dataclass(frozen=True)
class Sleep:
    """Wait this many seconds, then resume the flow."""

    seconds: float


Step = httpx.Request | Sleep
Flow = Generator[Step, "httpx.Response | None", T]
Program = Generator["GraphRequest[Any]", Any, T]


def encode_param(value: Any) -> str:
    """A parameter as the Graph API reads it: lists and objects as JSON, booleans as true/false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def decode_success(response: httpx.Response) -> Any:
    """The body of a 2xx answer: JSON (``true`` becomes ``{"success": true}``), or the legacy
    ``access_token=…&expires=…`` form. A JSON ``{"error": …}`` raises as an error answer would."""
    text = response.text
    try:
        body = json.loads(text) if text else {}
    except ValueError:
        pairs = dict(parse_qsl(text, keep_blank_values=True))
        if "access_token" in pairs:
            return pairs
        raise UnexpectedResponse(f"HTTP {response.status_code}: the answer is not JSON",
                                 http_status=response.status_code) from None
    if body is True:
        return {"success": True}
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        raise parse_error(response.status_code, body, response.headers)
    return body


class Engine:
    """Settings and state that both clients share: where to send, how to sign, when to retry."""

    def __init__(self, base_url: str = DEFAULT_BASE_URL, version: str | None = None, app_id: str | None = None,
                 app_secret: str | None = None, retry: RetryPolicy | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        if version is not None and not (version.startswith("v") and version[1:].replace(".", "").isdigit()):
            raise ValueError(f"version must look like 'v25.0', not {version!r}")
        self.base_url = httpx.URL(base_url.rstrip("/"))
        self.version = version
        self.app_id = app_id
        self.app_secret = app_secret
        self.retry = retry or RetryPolicy()
        self.last_usage = Usage()
        self._monotonic = monotonic
        self._hold_until = 0.0

    def __repr__(self) -> str:
        secret = "set" if self.app_secret else "unset"
        return f"Engine({self.base_url}, version={self.version}, app_id={self.app_id}, secret {secret})"

    # ---- building ----

    def url_for(self, path: str) -> httpx.URL:
        if path.startswith(("http://", "https://")):
            url = httpx.URL(path)
            if (url.scheme, url.host, url.port) != (self.base_url.scheme, self.base_url.host, self.base_url.port):
                raise ValueError(f"refusing to send a token to another host: {url.host}")
            for name in _SECRET_PARAMS:
                url = url.copy_remove_param(name)
            return url
        prefix = f"/{self.version}" if self.version else ""
        return self.base_url.join(f"{self.base_url.path.rstrip('/')}{prefix}/{path.lstrip('/')}")

    def build(self, call: GraphRequest[Any]) -> httpx.Request:
        """The request for `call`, with the token and (when the app secret is known) appsecret_proof."""
        params = {k: encode_param(v) for k, v in call.params.items() if v is not None}
        if call.token:
            params["access_token"] = call.token
            if self.app_secret:
                params["appsecret_proof"] = appsecret_proof(call.token, self.app_secret)
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        url = self.url_for(call.path)
        if call.method.upper() == "POST":
            return httpx.Request("POST", url, data=params, headers=headers)
        return httpx.Request(call.method.upper(), url.copy_merge_params(params), headers=headers)

    # ---- throttling ----

    def _note_usage(self, response: httpx.Response) -> None:
        usage = parse_usage(response.headers)
        if usage.empty:
            return
        self.last_usage = usage
        wait = self.retry.usage_wait(usage.max_percent, usage.regain_seconds)
        if wait > 0:
            log.warning("rate-limit usage at %.0f%%: holding calls for %.1f s", usage.max_percent, wait)
            self._hold_until = max(self._hold_until, self._monotonic() + wait)

    def hold(self) -> float:
        """Seconds the next call must wait because the usage headers were near the limit."""
        return max(0.0, self._hold_until - self._monotonic())

    # ---- one call ----

    def flow(self, call: GraphRequest[T]) -> Flow[T]:
        """Send `call`, retrying what is transient; return `call.parse(body)` or raise a GraphError."""
        what = f"{call.method.upper()} {self.url_for(call.path).path}"
        who = fingerprint(call.token) if call.token else "no token"
        attempt = 0
        while True:
            attempt += 1
            wait = self.hold()
            if wait > 0:
                yield Sleep(wait)
            request = self.build(call)
            started = self._monotonic()
            try:
                response = yield request
            except httpx.TransportError as exc:
                delay = self.retry.retry_network(exc, call.method, attempt)
                reason = redact(f"{type(exc).__name__}: {exc}")
                if delay is None:
                    raise NetworkError(f"{what}: {reason}") from None
                log.warning("%s (%s) failed: %s; retry %d in %.2f s", what, who, reason, attempt, delay)
                yield Sleep(delay)
                continue
            assert response is not None
            log.debug("%s (%s) -> %d in %.0f ms", what, who, response.status_code,
                      (self._monotonic() - started) * 1000)
            self._note_usage(response)
            try:
                if response.is_success:
                    return call.parse(decode_success(response))
                raise parse_error(response.status_code, response.content, response.headers)
            except GraphError as exc:
                delay = self.retry.retry_error(exc, attempt)
                if delay is None:
                    raise
                log.warning("%s (%s) -> %s; retry %d in %.2f s", what, who, exc, attempt, delay)
            yield Sleep(delay)
