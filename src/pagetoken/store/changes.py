"""A change counter every process and node sees: what tells in-memory caches that something changed.

Whenever a change may make a cached answer wrong (a revocation, a role change, a permission removed,
a secret reset), the process that made it bumps the counter once the change has committed; every
cache compares the counter with the value it was filled under before it answers, and empties itself
when the two differ. A backstop TTL in the cache bounds the damage of a lost signal.

- **SQLite** (one machine, several worker processes on one file): eight bytes in a file beside the
  database, mapped into every process's memory. Reading it is a memory read, no system call; a bump
  takes an exclusive `flock` on the file, so two bumps never lose one another.
- **PostgreSQL** (several nodes): a bump is `NOTIFY pagetoken_changes`; each process keeps a listener
  connection and counts what it hears. A listener that lost its connection counts one change when it
  is back (something may have happened meanwhile) and reconnects with a backoff.
- **Anything else** (an in-memory database): a counter in this process only.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import mmap
import os
import struct
import threading
from pathlib import Path
from typing import Protocol

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

log = logging.getLogger("pagetoken.changes")

CHANNEL = "pagetoken_changes"
_COUNTER = struct.Struct("<Q")


class ChangeCounter(Protocol):
    def current(self) -> int: ...

    def bump(self) -> None: ...

    def close(self) -> None: ...


class LocalCounter:
    """Changes seen by this process only."""

    def __init__(self) -> None:
        self._value = 0
        self._lock = threading.Lock()

    def current(self) -> int:
        return self._value

    def bump(self) -> None:
        with self._lock:
            self._value += 1

    def close(self) -> None:
        pass


class FileCounter:
    """Eight bytes in a file beside a SQLite database, shared by every process that maps it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                if os.fstat(fd).st_size < _COUNTER.size:
                    os.ftruncate(fd, _COUNTER.size)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
            self._map = mmap.mmap(fd, _COUNTER.size)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def current(self) -> int:
        return int(_COUNTER.unpack_from(self._map)[0])

    def bump(self) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            _COUNTER.pack_into(self._map, 0, self.current() + 1)
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        with contextlib.suppress(ValueError, OSError):
            self._map.close()
        with contextlib.suppress(OSError):
            os.close(self._fd)


class NotifyCounter:
    """PostgreSQL's LISTEN/NOTIFY: a bump reaches every listening process on every node."""

    def __init__(self, engine: Engine, dsn: str) -> None:
        self.engine = engine
        self.dsn = dsn
        self._value = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listening = threading.Event()
        self._thread = threading.Thread(target=self._listen, name="pagetoken-changes", daemon=True)
        self._thread.start()
        self._listening.wait(timeout=5)

    def current(self) -> int:
        return self._value

    def _count(self, n: int = 1) -> None:
        with self._lock:
            self._value += n

    def bump(self) -> None:
        self._count()  # this process knows at once; the others hear the notification
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})
                conn.commit()
        except Exception:
            log.exception("could not announce a change to the other nodes; their caches expire on their own")

    def _listen(self) -> None:
        import psycopg

        delay = 0.1
        first = True
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.dsn, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    if not first:
                        self._count()  # changes may have been missed while the connection was down
                    first = False
                    self._listening.set()
                    delay = 0.1
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=0.5, stop_after=64):
                            self._count()
            except Exception as exc:
                if self._stop.is_set():
                    return
                # Said once per outage, not at every retry.
                (log.warning if delay == 0.1 else log.debug)(
                    "listening for changes failed (%s); retrying in %.1f s", exc, delay)
                self._count()
                self._stop.wait(delay)
                delay = min(delay * 2, 5.0)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def counter_for(engine: Engine, url: str) -> ChangeCounter:
    """The change counter that fits the database behind `engine`."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite" and parsed.database and parsed.database != ":memory:":
        return FileCounter(Path(parsed.database + "-changes"))
    if backend == "postgresql":
        dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        return NotifyCounter(engine, dsn)
    return LocalCounter()
