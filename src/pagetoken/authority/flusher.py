"""A background thread that writes out what a process keeps in memory, every so often and once more at the end."""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from typing import Protocol, TypeVar

from .context import Authority

log = logging.getLogger("pagetoken.flusher")


class Flusher:
    """Runs `work` every `interval` seconds in a daemon thread; a failure is logged and tried again at
    the next round (`work` keeps what it could not write). `stop` ends the thread and runs `work` once
    more, so a clean stop loses nothing."""

    def __init__(self, name: str, interval: float, work: Callable[[], object], what: str) -> None:
        self.name = name
        self.interval = interval
        self.work = work
        self.what = what
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        self.work()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.work()
            except Exception:
                log.exception("writing %s failed; kept for the next try", self.what)


class Stoppable(Protocol):
    def stop(self) -> None: ...


S = TypeVar("S", bound=Stoppable)


def one_per_authority(make: Callable[[Authority], S]) -> Callable[[Authority], S]:
    """`make` once per authority: the same object for every caller, stopped (written out) when the
    authority closes."""
    made: weakref.WeakKeyDictionary[Authority, S] = weakref.WeakKeyDictionary()
    lock = threading.Lock()

    def get(auth: Authority) -> S:
        with lock:
            found = made.get(auth)
            if found is None:
                found = made[auth] = make(auth)
                auth.on("closing", found.stop)
        return found

    return get
