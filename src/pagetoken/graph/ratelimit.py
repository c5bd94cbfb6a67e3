"""Rate limits per app, per user and per Page, shared by every server process and node, and the usage headers.

Every Graph call counts against its app (code 4 past the limit), the person behind its token (17)
and the Page it touches (32): `/oauth/access_token` exchanges and `debug_token` included, and each
edge read through `fields` as one more call (`fields=feed.limit(2)` is two calls; `fields=posts{comments}`
with three posts is 1 + 1 + 3). `X-App-Usage` (every answer) and `X-Page-Usage` (Page calls) carry
``{"call_count", "total_time", "total_cputime"}`` as integer percentages of the limits; Page-token calls
add `X-Business-Use-Case-Usage` (``{PAGEID: [{"type": "pages", …, "estimated_time_to_regain_access"}]}``,
minutes). Windows read the authority's clock (the dev clock moves them on every process and node).

The counts are shared through the database (`authority/ratecounts.py`: the window in 60 slots, each
process's counts written and the totals read back in batches, about four times a second); a call
reads only memory. With P server processes in all (`serve --workers N` on every node), the calls of
an app, user or Page admitted within one window never exceed limit + (P − 1) × max(1, ⌊limit / 100⌋),
and a call counts for between one window and one window plus a sixtieth of it. The settings are the
`PAGETOKEN_RATE_*` variables read by `core.limits.Limits`.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from pagetoken.authority.ratecounts import Key, RateCounts, Tally
from pagetoken.authority.records import ValidToken
from pagetoken.core import errors
from pagetoken.core.limits import APP, PAGE, USER, Limits

from .call import Call

__all__ = ["APP", "PAGE", "USER", "Limits", "RateLimiter"]

REFUSALS: dict[str, Callable[[], errors.ApiError]] = {
    APP: errors.AppRateLimited, USER: errors.UserRateLimited, PAGE: errors.PageRateLimited}


@dataclass
class _Counted:
    """What one request has counted so far: its calls (method, path), the keys, and the slot."""

    calls: set[tuple[str, str]] = field(default_factory=set)
    keys: set[Key] = field(default_factory=set)
    start: int = 0
    charged: bool = False
    seen: dict[Key, Tally] = field(default_factory=dict)  # each key's totals as the call was counted into


def _keys(token: ValidToken, page_ids: Collection[str]) -> tuple[Key, ...]:
    """What a call with `token` that touched `page_ids` counts against: its app, its person, its Pages."""
    return ((APP, token.app_id), *(((USER, token.user_id),) if token.user_id else ()),
            *((PAGE, p) for p in sorted(page_ids)))


def _pct(used: float, limit: float) -> int:
    return max(0, min(100, int(used * 100 // limit)))


# (calls, time, CPU time) as integer percentages of their limits
Used = tuple[int, int, int]
NONE_USED: Used = (0, 0, 0)


class RateLimiter:
    """The Graph endpoint's hooks (`admit` before, `headers` after, `charge` once done) over `counts`."""

    def __init__(self, counts: RateCounts, limits: Limits | None = None) -> None:
        self.counts = counts
        self.limits = limits or Limits.from_env()

    def admit(self, call: Call) -> None:
        """Count the call, or refuse it (4 / 17 / 32) when its app, user or Page is over the limit.
        A call is counted once per request, even when it runs again in a worker thread."""
        tok = call.token
        if tok is None:
            return
        usage = call.usage
        counted: _Counted | None = usage.counted
        if counted is not None and (call.method, call.path) in counted.calls:
            return  # counted already (an attempt on the event loop that needed I/O)
        keys = _keys(tok, usage.page_ids)
        seen: list[Tally] = []
        refused, start = self.counts.admit(keys, self.limits, seen)
        if refused is not None:
            raise REFUSALS[refused[0]]()
        if counted is None:  # a request is answered by one thread at a time: no lock needed
            counted = usage.counted = _Counted(start=start)
            usage.count_edge = self.admit  # edges read inside the answer (`posts{comments}`) count too
        counted.calls.add((call.method, call.path))
        counted.keys.update(keys)
        if len(seen) == len(keys):
            counted.seen.update(zip(keys, seen, strict=True))

    def clear(self) -> None:
        """Forget every count, in this process and in the database (a `--dev` reset)."""
        self.counts.clear()

    def charge(self, call: Call, wall: float, cpu: float) -> None:
        """Add the time the call took to every key that counted it."""
        counted: _Counted | None = call.usage.counted
        if counted is not None and not counted.charged:
            counted.charged = True
            self.counts.charge(counted.keys, counted.start, wall, cpu)

    def usage(self, scope: str, ident: str, counted: _Counted | None = None) -> Used:
        """Integer percentages of the limits used in the window: (calls, time, CPU time). For a key the
        call was `counted` into, the totals it was counted into (no second look-up)."""
        return self._used(scope, ident, counted.seen if counted is not None else None)

    def _used(self, scope: str, ident: str, seen: dict[Key, Tally] | None) -> Used:
        lim = self.limits
        tally = seen.get((scope, ident)) if seen is not None else None
        if tally is None:
            tally = self.counts.tally((scope, ident), lim.window)
        return (_pct(tally.calls, lim.calls_for(scope)), _pct(tally.wall, lim.time_budget),
                _pct(tally.cpu, lim.cpu_budget))

    def headers(self, call: Call) -> dict[str, str]:
        """The usage headers of an answer."""
        counted: _Counted | None = call.usage.counted
        return self._headers(call.usage.token, call.usage.page_ids, counted.seen if counted is not None else None)

    def _headers(self, token: ValidToken | None, page_ids: Collection[str], seen: dict[Key, Tally] | None
                 ) -> dict[str, str]:
        """The usage headers for a call with `token` that touched `page_ids`, from the totals it was
        counted into (`seen`) where it has them. The percentages move seldom, so each header's JSON is
        built once per distinct value (`_usage_json`, `_business_json`), not once per call."""
        out = {"X-App-Usage": _usage_json(*(self._used(APP, token.app_id, seen) if token is not None
                                            else NONE_USED))}
        page_usage: Used | None = None
        page_id = None
        if page_ids:
            page_id = min(page_ids)
            page_usage = self._used(PAGE, page_id, seen)
            out["X-Page-Usage"] = _usage_json(*page_usage)
        if token is not None and token.kind == PAGE and token.page_id:
            used = page_usage if page_id == token.page_id and page_usage is not None else self._used(
                PAGE, token.page_id, seen)
            out["X-Business-Use-Case-Usage"] = _business_json(token.page_id, *used, self._regain(token.page_id, used))
        return out

    def plan(self, token: ValidToken | None, page_ids: Collection[str]) -> Plan:
        """How to count a kept answer to a call with `token` that touched `page_ids` (`graph/recall.py`):
        the same as `admit`, `charge` and `headers` do for the call, with its keys worked out once."""
        return Plan(self, _keys(token, page_ids) if token is not None else (), token, frozenset(page_ids))

    def _regain(self, page_id: str, used: Used) -> int:
        """Minutes until a Page over one of its limits is admitted again (0 when it is not over)."""
        if max(used) < 100:
            return 0
        ends = self.counts.ends((PAGE, page_id), self.limits.window)
        return 0 if ends is None else math.ceil(max(0.0, ends - self.counts.auth.now()) / 60)


@dataclass(frozen=True)
class Plan:
    """The counting of one kept answer: what `RateLimiter.admit`, `charge` and `headers` do for its call,
    on keys worked out once, in one pass."""

    limiter: RateLimiter
    keys: tuple[Key, ...]
    token: ValidToken | None
    page_ids: frozenset[str]

    def run(self, effects: Iterable[Callable[[], None]], start: float) -> tuple[errors.ApiError | None, dict[str, str]]:
        """Count the call (or refuse it, as `admit` would), run `effects`, charge the time since `start`
        (`perf_counter`, as on the event loop: wall = CPU), and make its usage headers. Returns (the
        refusal or None, the headers)."""
        limiter = self.limiter
        seen: list[Tally] = []
        refused, slot = limiter.counts.admit(self.keys, limiter.limits, seen)
        if refused is not None:
            return REFUSALS[refused[0]](), limiter._headers(self.token, self.page_ids, None)
        for effect in effects:
            effect()
        wall = time.perf_counter() - start
        limiter.counts.charge(self.keys, slot, wall, wall)
        counted = dict(zip(self.keys, seen, strict=True)) if len(seen) == len(self.keys) else None
        return None, limiter._headers(self.token, self.page_ids, counted)


@lru_cache(maxsize=1024)
def _usage_json(calls: int, time: int, cpu: int) -> str:
    """`X-App-Usage` / `X-Page-Usage`."""
    return json.dumps({"call_count": calls, "total_time": time, "total_cputime": cpu}, separators=(",", ":"))


@lru_cache(maxsize=4096)
def _business_json(page_id: str, calls: int, time: int, cpu: int, regain: int) -> str:
    """`X-Business-Use-Case-Usage` of a Page-token call: the Page's usage, with the documented keys only."""
    return json.dumps({page_id: [{"type": "pages", "call_count": calls, "total_cputime": cpu, "total_time": time,
                                  "estimated_time_to_regain_access": regain}]}, separators=(",", ":"))
