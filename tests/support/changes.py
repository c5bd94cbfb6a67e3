"""Waiting for a store's change counter to hear of a change, without sleeping.

On SQLite the counter is a shared file, read at every use: a change is seen at once. On PostgreSQL it
is LISTEN/NOTIFY: another store hears a change a moment later, on its listener thread. `Heard` wraps
that thread's counting so a test can wait for each notification as it arrives.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from pagetoken.store.changes import NotifyCounter
from pagetoken.store.store import Store

BOUND = 10.0  # seconds: a guard against a hang, never a measure


class Heard:
    """Notified whenever `store`'s counter moves (PostgreSQL), or never (SQLite: it needs no waiting)."""

    def __init__(self, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
        self.counter = store.changes
        self.moved = threading.Condition()
        if isinstance(self.counter, NotifyCounter):
            real = self.counter._count

            def counting(*args: Any, **kwargs: Any) -> None:
                real(*args, **kwargs)
                with self.moved:
                    self.moved.notify_all()

            monkeypatch.setattr(self.counter, "_count", counting)

    def until(self, check: Callable[[], object], bound: float = BOUND) -> None:
        """Return once `check()` is true, trying it again each time the counter moves (and at once if it
        moved while `check` ran); fail if it never becomes true within `bound`."""
        with self.moved:
            while True:
                seen = self.counter.current()
                if check():
                    return
                moved = self.moved.wait_for(lambda: self.counter.current() != seen, timeout=bound)
                assert moved, "no change arrived that made it true"
