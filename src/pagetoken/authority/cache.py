"""A small time-bounded cache for the hot path (validated tokens, app settings).

Entries live at most `ttl` seconds of monotonic time, and every process clears its own cache at once
on any event that may revoke something. Other server processes therefore see a revocation within
`ttl` (one second by default: SPEC §4's bound), and the process that revoked sees it immediately.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

DEFAULT_TTL = 1.0


def ttl_from_env() -> float:
    raw = os.environ.get("PAGETOKEN_CACHE_SECONDS", "").strip()
    if not raw:
        return DEFAULT_TTL
    value = float(raw)
    if not 0 <= value <= 1:
        raise ValueError("PAGETOKEN_CACHE_SECONDS must be between 0 (off) and 1")
    return value


class TTLCache(Generic[K, V]):
    def __init__(self, ttl: float = DEFAULT_TTL, max_size: int = 50_000) -> None:
        self.ttl = ttl
        self.max_size = max_size
        self._data: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()
        self._generation = 0

    def get(self, key: K) -> V | None:
        if self.ttl <= 0:
            return None
        with self._lock:
            hit = self._data.get(key)
            if hit is None:
                return None
            if time.monotonic() - hit[0] > self.ttl:
                del self._data[key]
                return None
            return hit[1]

    def generation(self) -> int:
        """Read before loading a value; `put` it with this number so a clear in between wins."""
        return self._generation

    def put(self, key: K, value: V, generation: int) -> None:
        if self.ttl <= 0:
            return
        with self._lock:
            if generation != self._generation:
                return  # something was revoked while the value was being read
            self._data[key] = (time.monotonic(), value)
            self._data.move_to_end(key)
            while len(self._data) > self.max_size:
                self._data.popitem(last=False)

    def clear(self, **_event: object) -> None:
        with self._lock:
            self._generation += 1
            self._data.clear()
