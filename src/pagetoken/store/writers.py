"""One writer at a time on a SQLite file, queued in the kernel rather than in SQLite's busy handler.

SQLite lets one transaction write at a time. The others wait in its busy handler, which sleeps 1, 2,
5, 10, … 100 ms between tries: under a stream of writes from several `serve --workers` processes
that sleeping, not the writing, sets the pace (exchanges then answer in seconds at the tail). So a
writing transaction first takes an exclusive `flock` on a file beside the database and keeps it until
it has committed or rolled back: a waiting writer runs the moment the lock is free. Threads of one
process queue on a lock of their own first (a `flock` belongs to an open file, not to a thread).
PostgreSQL needs none of this: its writers wait on row locks. The turn is not reentrant: a writing
transaction that opens another in the same thread would wait for itself, so it fails at once instead
(`NestedWrite`).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.engine import make_url


class NestedWrite(RuntimeError):
    """A writing transaction (or a grouped write) opened inside another in the same thread."""


class WriterQueue:
    """Writers of one SQLite file, one at a time across threads and processes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self._here = threading.Lock()
        self._holder: int | None = None  # the thread whose turn it is

    @contextlib.contextmanager
    def turn(self) -> Iterator[None]:
        me = threading.get_ident()
        if self._holder == me:  # only this thread can have written its own ident there
            raise NestedWrite("a writing transaction was opened inside another in the same thread")
        with self._here:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            self._holder = me
            try:
                yield
            finally:
                self._holder = None
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._fd)


class NoQueue:
    """For databases that queue their writers themselves (PostgreSQL) or have one process (in memory)."""

    @contextlib.contextmanager
    def turn(self) -> Iterator[None]:
        yield

    def close(self) -> None:
        pass


def queue_for(url: str) -> WriterQueue | NoQueue:
    """The writer queue that fits the database at `url`."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        return WriterQueue(Path(parsed.database + "-writer"))
    return NoQueue()
