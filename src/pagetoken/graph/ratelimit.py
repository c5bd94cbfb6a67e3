"""Rate limits over a sliding window, per app, per user and per Page, and the usage headers.

Every Graph call counts against its app (code 4 past the limit), the person behind its token (17)
and the Page it touches (32). `X-App-Usage` (every answer) and `X-Page-Usage` (Page calls) carry
``{"call_count", "total_time", "total_cputime"}`` as integer percentages of the limits; Page-token calls
add `X-Business-Use-Case-Usage` (``{PAGEID: [{"type": "pages", …, "estimated_time_to_regain_access"}]}``,
minutes). Windows
read the authority's clock, so tests move time instead of waiting. Counts are per server process.

Settings (env): PAGETOKEN_RATE_WINDOW_SECONDS (3600), PAGETOKEN_RATE_APP_LIMIT (50000),
PAGETOKEN_RATE_USER_LIMIT (10000), PAGETOKEN_RATE_PAGE_LIMIT (10000), and the time budgets per
window PAGETOKEN_RATE_TIME_SECONDS / PAGETOKEN_RATE_CPU_SECONDS (600 each). With `serve --workers N`
(PAGETOKEN_WORKERS), each process enforces 1/N of every limit.
"""

from __future__ import annotations

import json
import math
import os
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pagetoken.core import errors

from .call import Call

APP, USER, PAGE = "app", "user", "page"
ZERO = {"call_count": 0, "total_time": 0, "total_cputime": 0}


@dataclass
class Limits:
    window: float = 3600.0
    app: int = 50000
    user: int = 10000
    page: int = 10000
    time_budget: float = 600.0
    cpu_budget: float = 600.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Limits:
        env = os.environ if env is None else env

        def read(name: str, default: float) -> float:
            raw = env.get(name, "").strip()
            if not raw:
                return default
            value = float(raw)
            if value <= 0:
                raise ValueError(f"{name} must be positive, not {raw}")
            return value

        # Each of `serve --workers N` processes counts on its own, so each enforces its share of the limits
        # (connections are spread over the processes); together they allow what the settings say.
        shares = int(read("PAGETOKEN_WORKERS", 1))

        def share(total: float) -> int:
            return max(1, math.ceil(total / shares))

        return cls(window=read("PAGETOKEN_RATE_WINDOW_SECONDS", 3600.0),
                   app=share(read("PAGETOKEN_RATE_APP_LIMIT", 50000)),
                   user=share(read("PAGETOKEN_RATE_USER_LIMIT", 10000)),
                   page=share(read("PAGETOKEN_RATE_PAGE_LIMIT", 10000)),
                   time_budget=read("PAGETOKEN_RATE_TIME_SECONDS", 600.0) / shares,
                   cpu_budget=read("PAGETOKEN_RATE_CPU_SECONDS", 600.0) / shares)

    def calls_for(self, scope: str) -> int:
        return {APP: self.app, USER: self.user, PAGE: self.page}[scope]


@dataclass
class Window:
    """The calls of one app, user or Page in the window: [time, wall seconds, CPU seconds] each."""

    entries: deque[list[float]] = field(default_factory=deque)
    wall: float = 0.0
    cpu: float = 0.0

    def prune(self, since: float) -> None:
        while self.entries and self.entries[0][0] <= since:
            _, wall, cpu = self.entries.popleft()
            self.wall -= wall
            self.cpu -= cpu


class RateLimiter:
    """Sliding windows keyed by ``(scope, id)``, safe to share between threads."""

    def __init__(self, clock: Callable[[], float], limits: Limits | None = None) -> None:
        self.clock = clock
        self.limits = limits or Limits.from_env()
        self._windows: dict[tuple[str, str], Window] = {}
        self._pending: dict[int, list[tuple[Window, list[float]]]] = {}
        self._lock = threading.Lock()

    def _window(self, key: tuple[str, str], now: float) -> Window:
        win = self._windows.get(key)
        if win is None:
            win = self._windows[key] = Window()
        win.prune(now - self.limits.window)
        return win

    def _over(self, scope: str, win: Window) -> bool:
        lim = self.limits
        return (len(win.entries) >= lim.calls_for(scope) or win.wall >= lim.time_budget
                or win.cpu >= lim.cpu_budget)

    def admit(self, call: Call) -> None:
        """Count the call, or refuse it (4 / 17 / 32) when its app, user or Page is over the limit."""
        tok = call.token
        if tok is None or id(call.usage) in self._pending:
            return  # no token; or counted already (an attempt on the event loop that needed I/O)
        keys = [(APP, tok.app_id)]
        if tok.user_id:
            keys.append((USER, tok.user_id))
        keys.extend((PAGE, p) for p in sorted(call.usage.page_ids))
        now = self.clock()
        with self._lock:
            windows = [(key, self._window(key, now)) for key in keys]
            for (scope, _), win in windows:
                if self._over(scope, win):
                    raise {APP: errors.AppRateLimited, USER: errors.UserRateLimited,
                           PAGE: errors.PageRateLimited}[scope]()
            recorded = []
            for _, win in windows:
                entry = [now, 0.0, 0.0]
                win.entries.append(entry)
                recorded.append((win, entry))
            self._pending[id(call.usage)] = recorded

    def clear(self) -> None:
        """Forget every window (a `--dev` reset starts the counts afresh in this process)."""
        with self._lock:
            self._windows.clear()
            self._pending.clear()

    def charge(self, call: Call, wall: float, cpu: float) -> None:
        """Add the time the call took to every window that counted it."""
        with self._lock:
            for win, entry in self._pending.pop(id(call.usage), []):
                entry[1], entry[2] = wall, cpu
                win.wall += wall
                win.cpu += cpu

    def usage(self, scope: str, ident: str) -> dict[str, int]:
        """Integer percentages of the limits used in the window."""
        lim = self.limits
        with self._lock:
            win = self._window((scope, ident), self.clock())
            count, wall, cpu = len(win.entries), win.wall, win.cpu

        def pct(used: float, limit: float) -> int:
            return max(0, min(100, int(used * 100 // limit)))

        return {"call_count": pct(count, lim.calls_for(scope)), "total_time": pct(wall, lim.time_budget),
                "total_cputime": pct(cpu, lim.cpu_budget)}

    def headers(self, call: Call) -> dict[str, str]:
        token = call.usage.token
        app_usage = self.usage(APP, token.app_id) if token is not None else ZERO
        out = {"X-App-Usage": json.dumps(app_usage, separators=(",", ":"))}
        if call.usage.page_ids:
            page_usage = self.usage(PAGE, sorted(call.usage.page_ids)[0])
            out["X-Page-Usage"] = json.dumps(page_usage, separators=(",", ":"))
        if token is not None and token.kind == PAGE and token.page_id:
            out["X-Business-Use-Case-Usage"] = json.dumps(self.business_usage(token.page_id), separators=(",", ":"))
        return out

    def business_usage(self, page_id: str) -> dict[str, list[dict[str, Any]]]:
        """`X-Business-Use-Case-Usage` of a Page-token call: the Page's usage, with the documented keys only."""
        used = self.usage(PAGE, page_id)
        regain = 0
        if max(used.values()) >= 100:
            with self._lock:
                win = self._window((PAGE, page_id), self.clock())
                if win.entries:
                    regain = math.ceil(max(0.0, win.entries[0][0] + self.limits.window - self.clock()) / 60)
        return {page_id: [{"type": "pages", "call_count": used["call_count"], "total_cputime": used["total_cputime"],
                           "total_time": used["total_time"], "estimated_time_to_regain_access": regain}]}
