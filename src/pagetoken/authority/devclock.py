"""The shared clock of `serve --dev`: the wall clock moved by one offset kept in the database.

Every server process and node on the same database reads the same offset, so a token expires, a
rate window rolls over and Insights periods end at the same moment everywhere. Each process keeps
the offset in memory and reads it again at most every `refresh` seconds (0.1 by default, env
`PAGETOKEN_CLOCK_REFRESH_SECONDS`; 0 reads it on every use): a change made through one process is
seen by that process at once and by every other process within `refresh` seconds.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable

from sqlalchemy import Connection, insert, select, update

from pagetoken.core import errors
from pagetoken.core.clock import Clock
from pagetoken.store.store import Store
from pagetoken.store.tables import dev_clock

DEFAULT_REFRESH = 0.1
_ROW = 1


def refresh_from_env() -> float:
    raw = os.environ.get("PAGETOKEN_CLOCK_REFRESH_SECONDS", "").strip()
    value = float(raw) if raw else DEFAULT_REFRESH
    if not 0 <= value <= 5:
        raise ValueError("PAGETOKEN_CLOCK_REFRESH_SECONDS must be between 0 and 5")
    return value


def read_offset(conn: Connection) -> float:
    return float(conn.execute(select(dev_clock.c.offset_seconds).where(dev_clock.c.id == _ROW)).scalar() or 0.0)


def write_offset(conn: Connection, offset: float) -> None:
    done = conn.execute(update(dev_clock).where(dev_clock.c.id == _ROW)
                        .values(offset_seconds=offset, version=dev_clock.c.version + 1))
    if done.rowcount == 0:
        conn.execute(insert(dev_clock).values(id=_ROW, offset_seconds=offset, version=1))


class SharedClock:
    """`base` (the wall clock) plus the database's offset, cached for at most `refresh` seconds."""

    def __init__(self, store: Store, base: Clock, refresh: float | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.base = base
        self.refresh = refresh_from_env() if refresh is None else refresh
        self._monotonic = monotonic
        self._offset = 0.0
        self._read_at: float | None = None
        self._refreshing = False
        self._lock = threading.Lock()

    def now(self) -> float:
        return self.base.now() + self.offset()

    def offset(self) -> float:
        """Seconds the clock is moved ahead of `base` (read again once `refresh` has passed)."""
        at = self._monotonic()
        with self._lock:
            fresh = self._read_at is not None and at - self._read_at < self.refresh
            if fresh or (self._refreshing and self._read_at is not None):
                return self._offset  # one thread reads at a time; the others keep the last value meanwhile
            self._refreshing = True
        try:
            with self.store.read() as conn:
                value = read_offset(conn)
        finally:
            with self._lock:
                self._refreshing = False
        with self._lock:
            if self._read_at is None or at >= self._read_at:
                self._offset, self._read_at = value, at
            return self._offset

    def _change(self, compute: Callable[[float], float]) -> float:
        with self.store.write() as conn:
            offset = compute(read_offset(conn))
            write_offset(conn, offset)
        with self._lock:
            self._offset, self._read_at = offset, self._monotonic()
        return offset

    def advance(self, seconds: float) -> float:
        """Move the clock by `seconds` (negative moves it back); returns the new offset."""
        if not math.isfinite(seconds) or abs(seconds) > 100 * 365 * 86400:
            raise errors.BadParameter("advance takes a number of seconds (at most a hundred years)")
        return self._change(lambda old: old + seconds)

    def set(self, epoch: float) -> float:
        """Make the clock read `epoch` now; returns the new offset."""
        if not math.isfinite(epoch) or not 0 < epoch < 2**33:
            raise errors.BadParameter("set takes a time in seconds since the epoch")
        return self._change(lambda _old: epoch - self.base.now())

    def reset(self) -> None:
        self._change(lambda _old: 0.0)

    def describe(self) -> dict[str, float]:
        offset = self.offset()
        return {"now": self.base.now() + offset, "offset": offset}
