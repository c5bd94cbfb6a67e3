"""Login throttling, and password checks kept off the event loop.

Three rules, all in memory in each server process (the `login_*` numbers of `core.limits.Limits`,
defaults in brackets, see SECURITY.md):

- per IP, every attempt counts, a success included, and nothing resets the count: at most
  `login_ip_limit` [30] password checks per `login_ip_window` [300 s];
- per (email, IP), at most `login_pair_limit` [5] failures per `login_pair_window` [300 s]; a success
  clears it;
- per email, failures from IPs that never logged in to it count; past `login_email_free` [10] within
  `login_email_window` [900 s] each further attempt from such an IP waits a delay that doubles with
  each failure, up to `login_email_max_delay` [60 s]. An IP the owner logged in from successfully in the
  last `login_known_seconds` [30 days] is not slowed by it, so an attacker spraying one email from
  many addresses slows himself, not the owner.

The argon2 check itself runs in a worker thread, at most one per CPU core at once.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import anyio.to_thread
from anyio import CapacityLimiter

from pagetoken.core.limits import Limits

T = TypeVar("T")
K = TypeVar("K")


@dataclass
class LoginThrottle:
    now: Callable[[], float]
    limits: Limits = field(default_factory=Limits)  # the login_* numbers
    _attempts: dict[str, deque[float]] = field(default_factory=dict)
    _pair_fails: dict[tuple[str, str], deque[float]] = field(default_factory=dict)
    _email_fails: dict[str, deque[float]] = field(default_factory=dict)
    _known: dict[tuple[str, str], float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _calls: int = 0

    @staticmethod
    def _recent(store: dict[K, deque[float]], key: K, since: float) -> deque[float]:
        q = store.setdefault(key, deque())
        while q and q[0] <= since:
            q.popleft()
        return q

    def retry_after(self, email: str, ip: str) -> int:
        """Seconds until this attempt may be made (0: now)."""
        now, lim = self.now(), self.limits
        with self._lock:
            waits = [0.0]
            ips = self._recent(self._attempts, ip, now - lim.login_ip_window)
            if len(ips) >= lim.login_ip_limit:
                waits.append(ips[len(ips) - lim.login_ip_limit] + lim.login_ip_window - now)
            pair = self._recent(self._pair_fails, (email, ip), now - lim.login_pair_window)
            if len(pair) >= lim.login_pair_limit:
                waits.append(pair[len(pair) - lim.login_pair_limit] + lim.login_pair_window - now)
            if self._known.get((email, ip), -lim.login_known_seconds) <= now - lim.login_known_seconds:
                fails = self._recent(self._email_fails, email, now - lim.login_email_window)
                if len(fails) >= lim.login_email_free:
                    delay = min(lim.login_email_max_delay, 2.0 ** (len(fails) - lim.login_email_free))
                    waits.append(fails[-1] + delay - now)
        wait = max(waits)
        return int(wait) + 1 if wait > 0 else 0

    def attempted(self, ip: str) -> None:
        """A password is about to be checked for this IP (successful or not, it counts)."""
        with self._lock:
            self._attempts.setdefault(ip, deque()).append(self.now())
            self._sweep()

    def failed(self, email: str, ip: str) -> None:
        now = self.now()
        with self._lock:
            self._pair_fails.setdefault((email, ip), deque()).append(now)
            self._email_fails.setdefault(email, deque()).append(now)

    def succeeded(self, email: str, ip: str) -> None:
        with self._lock:
            self._pair_fails.pop((email, ip), None)
            self._known[(email, ip)] = self.now()

    def _sweep(self) -> None:
        """Forget keys with nothing recent, now and then, so the tables stay bounded by activity."""
        self._calls += 1
        if self._calls % 1000:
            return
        now, lim = self.now(), self.limits
        longest = max(lim.login_ip_window, lim.login_pair_window, lim.login_email_window)
        for store in (self._attempts, self._email_fails):
            for key in [k for k, q in store.items() if not q or q[-1] <= now - longest]:
                del store[key]
        for pair in [k for k, q in self._pair_fails.items() if not q or q[-1] <= now - longest]:
            del self._pair_fails[pair]
        for pair in [k for k, at in self._known.items() if at <= now - lim.login_known_seconds]:
            del self._known[pair]


class Hasher:
    """Runs password checks in worker threads, at most `limit` (default: CPU cores) at once."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = limit or os.cpu_count() or 1
        self._limiter: CapacityLimiter | None = None

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        if self._limiter is None:
            self._limiter = CapacityLimiter(self.limit)
        return await anyio.to_thread.run_sync(fn, *args, limiter=self._limiter)
