"""What the client retries, how long it waits, and when it slows down for rate-limit usage.

Retried: no answer at all (a request that may have been applied — a POST whose answer was lost —
only when the connection never opened), HTTP 5xx, codes 1 and 2, and answers marked
``is_transient``. A rate-limit answer (4, 17, 32, 613) is retried only when it says how long to
wait and that wait is at most `max_wait`; otherwise `RateLimited` is raised at once with its
`retry_after`. Never retried: token errors (190), permissions (200, 10), parameters (100).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import httpx

from .exceptions import GraphError, RateLimited, TransientError

__all__ = ["RetryPolicy", "backoff"]


def backoff(attempt: int, base: float, cap: float, jitter: bool = True) -> float:
    """Exponential backoff for the `attempt`-th retry (1-based), with full jitter when asked."""
    ceiling = min(cap, base * (2 ** max(0, attempt - 1)))
    return random.uniform(ceiling / 2, ceiling) if jitter else ceiling


@dataclass(frozen=True)
class RetryPolicy:
    """Retries and throttling of a `GraphClient`.

    attempts: tries in all, the first included. base/cap: the backoff's first step and ceiling, in
    seconds. usage_threshold: when the last answer's usage headers reach this percentage, the next
    call waits `usage_pause` seconds (or the headers' own estimate, at most `max_wait`) first.
    """

    attempts: int = 4
    base: float = 0.5
    cap: float = 30.0
    jitter: bool = True
    usage_threshold: float = 95.0
    usage_pause: float = 30.0
    max_wait: float = 60.0

    def delay(self, attempt: int) -> float:
        return backoff(attempt, self.base, self.cap, self.jitter)

    def retry_error(self, exc: GraphError, attempt: int) -> float | None:
        """Seconds to wait before trying again after `exc`, or None to give up and raise it."""
        if attempt >= self.attempts:
            return None
        if isinstance(exc, RateLimited):
            wait = exc.retry_after
            return wait if wait is not None and wait <= self.max_wait else None
        if isinstance(exc, TransientError):
            return self.delay(attempt)
        return None

    def retry_network(self, exc: httpx.TransportError, method: str, attempt: int) -> float | None:
        """Seconds to wait after a failed send, or None. A non-idempotent call is retried only if
        nothing was sent (the connection never opened)."""
        if attempt >= self.attempts:
            return None
        if method.upper() not in ("GET", "HEAD", "DELETE", "OPTIONS") and not isinstance(
                exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
            return None
        return self.delay(attempt)

    def usage_wait(self, percent: float, regain_seconds: float) -> float:
        """How long to hold the next call, given the last answer's usage."""
        if percent < self.usage_threshold:
            return 0.0
        return min(self.max_wait, regain_seconds or self.usage_pause)


NO_RETRY = RetryPolicy(attempts=1)
