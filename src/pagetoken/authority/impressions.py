"""Impressions and Page views, counted in memory and written in batches: a read never writes.

Reading the Page or its posts records who saw what, for Insights. Writing a row per read would put
a write transaction (and, on SQLite, the database's one writer lock) on every read; instead each
process keeps the events in memory and a flusher writes them in one batch about once a second.
At most that second of events is lost if the process dies; a clean stop (the server's lifespan,
`Authority.close`) writes everything. Insights flush this process's pending events before they
count, so an answer includes every read this process has seen.

Events are counted, not listed: the reads of one whole second that share a Page, kind, object and
viewer become one row with a `count` (so a Page read a thousand times a second by one app writes one
row, not a thousand). The second is the event's time rounded down; Insights periods end on UTC
midnights, whole seconds, so every event still falls in the period it happened in.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from sqlalchemy import insert

from pagetoken.store.tables import page_events

from .context import Authority
from .flusher import Flusher, one_per_authority

FLUSH_SECONDS = 1.0


# (page ID, kind, object ID, actor ID, the whole second it happened in)
Key = tuple[str, str, str | None, str | None, int]


class ImpressionLog:
    """The events of one authority waiting to be written, and the thread that writes them."""

    def __init__(self, auth: Authority, interval: float = FLUSH_SECONDS) -> None:
        self.auth = auth
        self.interval = interval
        self._counts: dict[Key, int] = {}
        self._lock = threading.Lock()
        self._flushing = threading.Lock()
        self._flusher = Flusher("pagetoken-impressions", interval, self.flush, "impressions")

    def add(self, page_id: str, kind: str, object_ids: Sequence[str | None], actor_id: str | None) -> None:
        second = int(self.auth.now())
        counts = self._counts
        with self._lock:
            for oid in object_ids:
                key = (page_id, kind, oid, actor_id, second)
                counts[key] = counts.get(key, 0) + 1

    def pending(self) -> int:
        """How many events wait (not rows: a row may stand for several)."""
        with self._lock:
            return sum(self._counts.values())

    def flush(self) -> int:
        """Write what is pending in one transaction; returns how many events. On a failure the events
        are counted back in for the next flush."""
        with self._flushing:
            with self._lock:
                counts, self._counts = self._counts, {}
            if not counts:
                return 0
            rows = [{"page_id": page, "kind": kind, "object_id": oid, "actor_id": actor, "at": float(at),
                     "count": n} for (page, kind, oid, actor, at), n in counts.items()]
            try:
                with self.auth.store.write() as conn:
                    conn.execute(insert(page_events), rows)
            except Exception:
                with self._lock:
                    for key, n in counts.items():
                        self._counts[key] = self._counts.get(key, 0) + n
                raise
            return sum(counts.values())

    def start(self) -> None:
        self._flusher.start()

    def stop(self) -> None:
        """Stop the flusher and write everything still pending."""
        self._flusher.stop()


# The one impression log of an authority (written out when the authority closes).
log_for = one_per_authority(ImpressionLog)


def record(auth: Authority, page_id: str, kind: str, object_ids: Sequence[str | None], actor_id: str | None) -> None:
    """One event per object (the impressions of a feed read, a Page view), kept for the next flush.
    Graph handlers hand it to `Usage.effect`, so that it runs once per answered request: a call tried
    on the event loop first may be run again, and a request may read more after it (`fields=name,feed`)."""
    if object_ids:
        log_for(auth).add(page_id, kind, object_ids, actor_id)
