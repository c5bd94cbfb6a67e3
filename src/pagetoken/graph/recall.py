"""Answers given again: the same read, asked again while nothing it was read from has changed, gets the
answer it got, without running the call.

A Graph read whose answer depends only on what the read model holds (the token's record, the app, the
Page and its roles, the grants) and on its tokens being valid says so while it runs
(`Usage.repeatable`: a Page's own fields, `debug_token` of a valid token). Its encoded answer is then
kept under a digest of the request that asked for it: path, query string, `Authorization` and `Host`
(nothing kept holds the token as sent). A later identical GET is answered from that, as long as

- the store's change counter has not moved (the answers live in a `TTLCache` beside the read model's,
  emptied by the same changes: a revocation, role change, permission removal or secret reset anywhere
  ends every answer at once);
- its tokens are still valid by the authority's clock (`until`);
- the entry is younger than the cache's backstop TTL.

What every call does besides its answer still happens on every hit, in one pass over what was worked
out when the answer was kept (`ratelimit.Plan`): the rate limits count it and may refuse it, the
effects the answer had (the impressions of a Page view) run again, its time is charged and the usage
headers are made fresh; each answer gets its own trace ID. A request that reads other calls inside
(`fields=feed`, `?ids=`) is never kept. Nothing is kept when the endpoint runs hooks besides the rate
limiter's: under `serve --dev` (injected faults, the request log) every call must run.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.types import Scope

from pagetoken.authority.context import Authority
from pagetoken.core import errors
from pagetoken.core.values import evolve

from .call import Usage
from .responses import GraphJSON, error_response

if TYPE_CHECKING:
    from starlette.responses import Response

    from .http import GraphEndpoint
    from .ratelimit import Plan

Key = bytes


@dataclass(frozen=True)
class Kept:
    """An answer kept: its body and version, until when it holds, what each answer does besides, and how
    the rate limiter counts it (whom the call acted for and on what; never the token as sent)."""

    body: bytes
    version: str | None
    until: float | None
    effects: tuple[Callable[[], None], ...]
    plan: Plan


def key_of(scope: Scope) -> Key | None:
    """What makes two requests the same read, or None for a request whose answer is never kept (not a
    GET): a digest of the path, query string, `Authorization` and `Host`, so that the cache holds no
    token as it was sent."""
    if scope["method"] != "GET":
        return None
    authorization = host = None
    for name, value in scope["headers"]:  # the first of each, as Starlette's `Headers.get` reads them
        if name == b"authorization":
            authorization = value if authorization is None else authorization
        elif name == b"host":
            host = value if host is None else host
    path, query = scope["path"].encode("utf-8", "surrogateescape"), scope["query_string"]
    where = f"{scope.get('scheme')}|{scope.get('root_path')}".encode("utf-8", "surrogateescape")
    # each part's length first (-1: no such header), so that no two different requests spell the same bytes
    sizes = b"%d %d %d %d %d|" % (len(path), len(query), -1 if authorization is None else len(authorization),
                                  -1 if host is None else len(host), len(where))
    return hashlib.blake2b(b"".join((sizes, path, query, authorization or b"", host or b"", where)),
                           digest_size=16).digest()


_SLOT = "pagetoken.recall_key"  # where a request's key is kept in its ASGI scope once worked out


def _key(scope: Scope) -> Key | None:
    """`key_of(scope)`, worked out once per request: the kept-answer look-up and, on a miss, the full
    call that may keep its answer both need it."""
    if _SLOT not in scope:
        scope[_SLOT] = key_of(scope)
    key: Key | None = scope[_SLOT]
    return key


class Recall:
    """The kept answers of one Graph endpoint."""

    def __init__(self, endpoint: GraphEndpoint) -> None:
        self.endpoint = endpoint
        self.cache = endpoint.auth.answer_cache

    def enabled(self) -> bool:
        ep = self.endpoint
        return self.cache.ttl > 0 and not ep.first and not ep.answered

    def start(self, scope: Scope) -> tuple[Key | None, int]:
        """Before a call runs: its key (None if its answer cannot be kept) and the cache's generation."""
        key = _key(scope) if self.enabled() else None
        return key, (self.cache.generation() if key is not None else 0)

    def keep(self, key: Key | None, generation: int, usage: Usage, response: Response) -> None:
        """After a call answered 200: keep its answer if the call said it may be given again."""
        again = usage.again
        if key is None or again is None or usage.nested or response.status_code != 200:
            return
        token = again.call.token  # counted by its app, person and Page: the token as sent is not kept
        plan = self.endpoint.plan(None if token is None else evolve(token, raw=""), usage.page_ids)
        if plan is not None:
            self.cache.put(key, Kept(bytes(response.body), again.call.version, again.until, again.effects, plan),
                           generation)

    def answer(self, scope: Scope) -> Response | None:
        """The kept answer to this request, with everything a call does besides, or None (run the call)."""
        if not self.enabled():
            return None
        key = _key(scope)
        kept: Kept | None = self.cache.get(key) if key is not None else None
        if kept is None:
            return None
        auth = self.endpoint.auth
        if kept.until is not None and auth.now() >= kept.until:
            return None  # the full call says why the token no longer works
        start = time.perf_counter()
        try:
            with auth.memory_only():
                refused, headers = kept.plan.run(kept.effects, start)
        except Authority.NeedsIO:
            return None  # the rate counts want an exchange with the database first: the full call makes it
        if refused is not None:
            return error_response(refused, headers, kept.version)
        return GraphJSON(kept.body, 200, headers, kept.version, errors.new_trace_id())
