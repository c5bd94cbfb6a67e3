"""A small cache for the hot path (validated tokens, app settings), emptied by changes, not by time.

Every read first compares the store's change counter (`store.changes`: shared by every process on a
SQLite file, told by LISTEN/NOTIFY between PostgreSQL nodes) with the value the cache was filled
under, and empties the cache when they differ; so a revocation made anywhere is refused everywhere
as soon as the counter moves. Entries also expire after `ttl` seconds of monotonic time: only a
backstop for a lost signal (PAGETOKEN_CACHE_SECONDS, default 30; 0 turns the cache off).
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

DEFAULT_TTL = 30.0
MAX_TTL = 300.0


def ttl_from_env() -> float:
    raw = os.environ.get("PAGETOKEN_CACHE_SECONDS", "").strip()
    if not raw:
        return DEFAULT_TTL
    value = float(raw)
    if not 0 <= value <= MAX_TTL:
        raise ValueError(f"PAGETOKEN_CACHE_SECONDS must be between 0 (off) and {MAX_TTL:.0f}")
    return value


class TTLCache(Generic[K, V]):
    def __init__(self, ttl: float = DEFAULT_TTL, max_size: int = 50_000,
                 changes: Callable[[], int] | None = None) -> None:
        self.ttl = ttl
        self.max_size = max_size
        self._data: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()
        self._generation = 0
        self._changes = changes or (lambda: 0)
        self._seen = self._changes()

    def _follow_changes(self) -> None:
        """Empty the cache if the shared change counter moved since it was filled (under the lock)."""
        now = self._changes()
        if now != self._seen:
            self._seen = now
            self._generation += 1
            self._data.clear()

    def get(self, key: K) -> V | None:
        """The entry, if it is there and still good. A hit takes no lock: the counter is read, then one
        dictionary read, each atomic (only writers and a clear take the lock)."""
        if self.ttl <= 0:
            return None
        if self._changes() != self._seen:
            with self._lock:
                self._follow_changes()
        hit = self._data.get(key)
        if hit is None:
            return None
        if time.monotonic() - hit[0] > self.ttl:
            with self._lock:
                if self._data.get(key) is hit:
                    del self._data[key]
            return None
        return hit[1]

    def generation(self) -> int:
        """Read before loading a value; `put` it with this number so a clear in between wins."""
        with self._lock:
            self._follow_changes()
            return self._generation

    def put(self, key: K, value: V, generation: int) -> None:
        if self.ttl <= 0:
            return
        with self._lock:
            self._follow_changes()
            if generation != self._generation:
                return  # something changed while the value was being read
            self._data[key] = (time.monotonic(), value)
            self._data.move_to_end(key)
            while len(self._data) > self.max_size:
                self._data.popitem(last=False)

    def get_or_load(self, key: K, load: Callable[[], V | None]) -> V | None:
        """The cached value, or `load()` remembered (unless something changed while it loaded).
        None (nothing there) is not remembered."""
        hit = self.get(key)
        if hit is not None:
            return hit
        generation = self.generation()
        value = load()
        if value is not None:
            self.put(key, value, generation)
        return value

    def clear(self, **_event: object) -> None:
        with self._lock:
            self._generation += 1
            self._data.clear()
