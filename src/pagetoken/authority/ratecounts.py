"""Rate limit counts shared by every server process and node, with no database access per call.

A key is (scope, id): ("app", APPID), ("user", USERID) or ("page", PAGEID). The window is cut into
`SLOTS` slots of window/60 seconds; the table `rate_counts` holds, per key and slot, the calls and the
seconds (wall and CPU) spent answering them, summed over every process.

Each process keeps, per key it has seen, the shared totals over the window as it last read them and
its own counts not read back yet (`unread`: pending, and in flight while an exchange writes them).
Admitting a call reads only memory: shared totals + unread. An *exchange* adds this process's pending
counts to the table (one upsert per key and slot, in one transaction), then reads back the totals of
every key it counted or refused since the last one. A flusher thread exchanges every `interval`
seconds (0.25); a call exchanges at once, in its worker thread, when

- it counts a key for the first time (or the first time since it forgot it: nothing of it counted in
  the window), so its first decision and usage headers already include the others' counts;
- a key's unread calls reached its *hold*, B = max(1, ⌊limit / 100⌋): so a process never holds
  more than B calls of a key that the others cannot see (a round trip once per B calls of a busy key);
- it would be refused on totals read before the window last moved (a refusal is always fresh);
- the store's change counter moved since the last exchange began (a dev reset may have cleared the
  counts; `clear` bumps it once the counts are gone).

The overshoot this allows: with P server processes (all workers of all nodes), the calls of a key
admitted within one window never exceed limit + (P − 1) × B. (Take the process X whose last read
before its last admission is the latest: every call flushed before that read is in X's view, which
was under the limit; what X did not see is at most B unread calls of each other process.) A call
counts from the moment it is made until the window and one slot (window/60) have passed. Time and CPU
are added when a call ends, so the time budgets may be passed by the calls in progress.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, delete, func, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite

from pagetoken.core.limits import Limits
from pagetoken.store.store import may_block
from pagetoken.store.tables import rate_counts, rate_epoch

from .context import Authority
from .flusher import Flusher, one_per_authority

log = logging.getLogger("pagetoken.ratecounts")

Key = tuple[str, str]
SLOTS = 60
HOLD = 100  # a process holds back at most 1/HOLD of a limit (at least one call)
FLUSH_SECONDS = 0.25
_READ_CHUNK = 400


def hold(limit: int) -> int:
    """B: how many of a key's calls one process may admit that the others cannot see yet."""
    return max(1, limit // HOLD)


def slot_ms(window: float) -> int:
    return max(1, round(window * 1000 / SLOTS))


@dataclass(slots=True)
class Tally:
    calls: int = 0
    wall: float = 0.0
    cpu: float = 0.0


@dataclass(slots=True)
class _Counts:
    """One key in this process: the shared totals as last read, and its own counts by slot start."""

    shared: Tally = field(default_factory=Tally)
    oldest: int | None = None  # the oldest slot with calls, as last read
    read_cut: int | None = None  # the window's first slot when last read
    pending: dict[int, list[float]] = field(default_factory=dict)  # start_ms -> [calls, wall, cpu]
    inflight: dict[int, list[float]] = field(default_factory=dict)
    unread: int = 0
    view: tuple[int, Tally] | None = None  # (slot, what the key's totals come to then), until a count changes


def _add(into: dict[int, list[float]], start: int, calls: float, wall: float, cpu: float) -> None:
    row = into.get(start)
    if row is None:
        into[start] = [calls, wall, cpu]
    else:
        row[0] += calls
        row[1] += wall
        row[2] += cpu


class RateCounts:
    """The counts of one authority (one per server process), and the thread that exchanges them."""

    def __init__(self, auth: Authority, interval: float = FLUSH_SECONDS) -> None:
        self.auth = auth
        self.interval = interval
        self._keys: dict[Key, _Counts] = {}
        self._touched: set[Key] = set()
        self._epoch: int | None = None
        self._changes = auth.store.changes
        self._seen_changes = self._changes.current()
        self._pruned: int | None = None
        self._width: int | None = None  # the slot width of the limits last used
        self._lock = threading.Lock()
        self._exchanging = threading.Lock()
        self._flusher = Flusher("pagetoken-ratecounts", interval, self.exchange, "rate counts")

    # ---- the request path: memory only, unless an exchange is due ----

    def admit(self, keys: Sequence[Key], limits: Limits, into: list[Tally] | None = None) -> tuple[Key | None, int]:
        """Count one call against every key, or name the first key over its limits. Returns (the key
        refused or None, the slot the call was counted in). An admitted call appends to `into`, key by
        key, the totals it was counted into: live records, which its time is added to when charged."""
        width = slot_ms(limits.window)
        while True:
            cur = int(self.auth.now() * 1000) // width * width
            with self._lock:
                self._width = width
                due = self._changes.current() != self._seen_changes
                refused = None
                found: list[_Counts] = []
                for key in keys:
                    counts = self._keys.get(key)
                    if counts is None:
                        counts = self._keys[key] = _Counts()
                    found.append(counts)
                    self._touched.add(key)
                    limit = limits.calls_for(key[0])
                    if counts.read_cut is None or counts.unread >= hold(limit):
                        due = True  # a key never read yet, or held back as much as may be
                    seen = self._view(counts, cur, width)
                    if refused is None and (seen.calls >= limit or seen.wall >= limits.time_budget
                                            or seen.cpu >= limits.cpu_budget):
                        refused = key
                        due = due or counts.read_cut != cur - SLOTS * width
                if not due:
                    if refused is not None:
                        return refused, cur
                    for counts in found:
                        _add(counts.pending, cur, 1, 0.0, 0.0)
                        counts.unread += 1
                        view = counts.view
                        if view is not None:
                            view[1].calls += 1
                            if into is not None:
                                into.append(view[1])
                    return None, cur
            may_block()  # on the event loop: NeedsIO, and the call runs again in a worker thread
            self.exchange()

    def charge(self, keys: Iterable[Key], start: int, wall: float, cpu: float) -> None:
        """Add the time a call took to the keys that counted it (in the slot it was counted in)."""
        with self._lock:
            for key in keys:
                counts = self._keys.get(key)
                if counts is not None:
                    _add(counts.pending, start, 0, wall, cpu)
                    view, width = counts.view, self._width or 0
                    if view is not None and view[0] - SLOTS * width <= start <= view[0]:  # in the window seen
                        view[1].wall += wall
                        view[1].cpu += cpu
                    else:
                        counts.view = None

    def tally(self, key: Key, window: float) -> Tally:
        """The key's totals in the window, as this process knows them."""
        width = slot_ms(window)
        cur = int(self.auth.now() * 1000) // width * width
        with self._lock:
            counts = self._keys.get(key)
            if counts is None:
                return Tally()
            seen = self._view(counts, cur, width)
            return Tally(seen.calls, seen.wall, seen.cpu)

    def ends(self, key: Key, window: float) -> float | None:
        """When the key's oldest counted call stops counting (None when nothing counts)."""
        width = slot_ms(window)
        cur = int(self.auth.now() * 1000) // width * width
        cut = cur - SLOTS * width
        with self._lock:
            counts = self._keys.get(key)
            if counts is None or self._view(counts, cur, width).calls == 0:
                return None
            own = [s for s in (*counts.pending, *counts.inflight) if cut <= s <= cur]
            starts = own + ([counts.oldest] if counts.oldest is not None else [])
        return (min(starts) + (SLOTS + 1) * width) / 1000 if starts else None

    def _view(self, counts: _Counts, cur: int, width: int) -> Tally:
        view = counts.view
        if view is not None and view[0] == cur:
            return view[1]
        seen = self._tally(counts, cur - SLOTS * width, cur, width)
        counts.view = (cur, seen)
        return seen

    @staticmethod
    def _tally(counts: _Counts, cut: int, cur: int, width: int) -> Tally:
        """Shared totals as last read (those of a window that has wholly passed since count for nothing)
        plus this process's unread counts in the window."""
        read_cut = counts.read_cut
        fresh_enough = read_cut is not None and cut <= read_cut + SLOTS * width
        shared = counts.shared if fresh_enough else Tally()
        calls, wall, cpu = shared.calls, shared.wall, shared.cpu
        for part in (counts.pending, counts.inflight):
            for start, (c, w, u) in part.items():
                if cut <= start <= cur:
                    calls += int(c)
                    wall += w
                    cpu += u
        return Tally(calls, wall, cpu)

    # ---- exchanges: the only database access ----

    def exchange(self) -> None:
        """Write this process's pending counts and read back the shared totals of the keys it saw."""
        may_block()
        with self._exchanging:
            with self._lock:
                width = self._width
                seen_changes = self._changes.current()
                deltas: list[dict[str, Any]] = []
                for (scope, ident), counts in self._keys.items():
                    for start, row in counts.pending.items():
                        _add(counts.inflight, start, *row)
                    counts.pending.clear()
                    for start, (c, w, u) in sorted(counts.inflight.items()):
                        deltas.append({"scope": scope, "ident": ident, "start_ms": start, "calls": int(c),
                                       "wall": w, "cpu": u})
                wanted = sorted(self._touched | {k for k, c in self._keys.items() if c.inflight})
                self._touched = set()
                epoch = self._epoch
            if width is None:
                return  # nothing counted yet
            try:
                epoch, totals, cut = self._write_and_read(deltas, wanted, epoch, width)
            except BaseException:
                with self._lock:
                    self._touched.update(wanted)
                    for counts in self._keys.values():  # kept for the next exchange
                        for start, row in counts.inflight.items():
                            _add(counts.pending, start, *row)
                        counts.inflight.clear()
                raise
            with self._lock:
                self._epoch = epoch
                self._seen_changes = seen_changes
                for key in wanted:
                    counts = self._keys.setdefault(key, _Counts())
                    counts.view = None
                    found = totals.get(key)
                    counts.shared = Tally(*found[:3]) if found else Tally()
                    counts.oldest = found[3] if found else None
                    counts.read_cut = cut
                for key, counts in list(self._keys.items()):
                    if counts.inflight:
                        counts.inflight.clear()
                        counts.view = None
                    counts.unread = sum(int(row[0]) for row in counts.pending.values())
                    idle = key not in wanted and key not in self._touched and not counts.pending
                    passed = counts.read_cut is None or cut > counts.read_cut + SLOTS * width
                    if idle and (counts.shared.calls == 0 or passed):
                        del self._keys[key]  # nothing of it counts any more: forget it

    def _write_and_read(self, deltas: list[dict[str, Any]], wanted: list[Key], epoch: int | None, width: int
                        ) -> tuple[int, dict[Key, tuple[int, float, float, int]], int]:
        """One transaction: add the deltas (unless the counts were cleared since this process last
        looked: then they belong to before the clear), forget slots out of every window, and read the
        totals of `wanted` over the window. Returns (epoch, totals by key, the window's first slot)."""
        cur = int(self.auth.now() * 1000) // width * width
        cut = cur - SLOTS * width
        totals: dict[Key, tuple[int, float, float, int]] = {}
        store = self.auth.store
        with store.write() if deltas else store.read() as conn:  # reading alone takes no writer's lock
            current = _epoch(conn, lock=bool(deltas))
            if deltas and (epoch is None or epoch == current):
                _upsert(conn, deltas)
            if deltas and self._pruned != cur:
                conn.execute(delete(rate_counts).where(rate_counts.c.start_ms < cut - width))
                self._pruned = cur
            c = rate_counts.c
            for i in range(0, len(wanted), _READ_CHUNK):
                chunk = wanted[i:i + _READ_CHUNK]
                rows = conn.execute(
                    select(c.scope, c.ident, func.sum(c.calls), func.sum(c.wall), func.sum(c.cpu), func.min(c.start_ms))
                    .where(tuple_(c.scope, c.ident).in_(chunk), c.start_ms >= cut, c.start_ms <= cur)
                    .group_by(c.scope, c.ident))
                for row in rows:
                    scope, ident, calls, wall, cpu, oldest = row.tuple()
                    totals[(str(scope), str(ident))] = (int(calls or 0), float(wall or 0.0), float(cpu or 0.0),
                                                        int(oldest))
        return current, totals, cut

    # ---- the flusher ----

    def start(self) -> None:
        self._flusher.start()

    def stop(self) -> None:
        """Stop the flusher and write what is pending."""
        try:
            self._flusher.stop()
        except Exception:
            log.exception("writing the last rate counts failed")

    def clear(self) -> None:
        """Forget every count, here and in the database (a `--dev` reset); other processes drop what
        they held back from before it once they see the change counter move."""
        with self._exchanging:
            with self.auth.store.write() as conn:
                conn.execute(update(rate_epoch).where(rate_epoch.c.id == 1).values(epoch=rate_epoch.c.epoch + 1))
                conn.execute(delete(rate_counts))
                epoch = _epoch(conn)
            with self._lock:
                self._keys.clear()
                self._touched.clear()
                self._epoch = int(epoch)
        self.auth.store.changes.bump()


def _epoch(conn: Connection, lock: bool = True) -> int:
    """The clear counter. A writer share-locks its row on PostgreSQL, so a clear waits for the writer
    and a writer after the clear sees the new value (SQLite's writers take turns anyway)."""
    query = select(rate_epoch.c.epoch).where(rate_epoch.c.id == 1)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update(read=True)
    found = conn.execute(query).scalar()
    return int(found or 0)


def _upsert(conn: Connection, deltas: list[dict[str, Any]]) -> None:
    """Add the deltas to their rows (created when missing), in key order so two writers never deadlock."""
    dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(rate_counts)
    c, new = rate_counts.c, stmt.excluded
    stmt = stmt.on_conflict_do_update(index_elements=[c.scope, c.ident, c.start_ms],
                                      set_={"calls": c.calls + new.calls, "wall": c.wall + new.wall,
                                            "cpu": c.cpu + new.cpu})
    conn.execute(stmt, deltas)


# The one RateCounts of an authority (written out when the authority closes).
counts_for = one_per_authority(RateCounts)
