"""Group commit: small writes from many threads share one transaction.

Issuing a token is one short insert, but its own transaction costs far more than the insert: a
connection, `BEGIN IMMEDIATE` (the writer lock on SQLite), the commit, and for the thread a trip
through the GIL at each step. Under a stream of exchanges those costs, not the writing, set the pace.
So `Store.write_grouped(work)` queues `work`; the first thread to arrive leads: it takes what is
queued (its own work first), runs the pieces one after another in one writing transaction, commits
once, and wakes the others with their results; if more arrived meanwhile, it hands the lead to the
first of them. A piece that raises gets its exception back, and the transaction is run again without
it (its writes and after-commit actions never happen); the others commit. A failed commit fails
every piece.

A piece must be short and must not itself call `write_grouped`: it would wait on its own queue, so it
fails at once instead (`NestedWrite`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sqlalchemy import Connection

from .writers import NestedWrite

if TYPE_CHECKING:
    from .store import Store

T = TypeVar("T")
MAX_BATCH = 64


class _Piece(Generic[T]):
    __slots__ = ("work", "result", "error", "finished", "lead", "event")

    def __init__(self, work: Callable[[Connection], T]) -> None:
        self.work = work
        self.result: T | None = None
        self.error: BaseException | None = None
        self.finished = False
        self.lead = False
        self.event = threading.Event()

    def outcome(self) -> T:
        if self.error is not None:
            raise self.error
        return self.result  # type: ignore[return-value]


class GroupCommit:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._queue: list[_Piece[Any]] = []
        self._busy = False
        self.transactions = 0  # how many transactions the pieces needed (for the tests and benchmarks)
        self._leader: int | None = None  # the thread running the pieces now

    def run(self, work: Callable[[Connection], T]) -> T:
        if self._leader == threading.get_ident():  # only this thread can have written its own ident there
            raise NestedWrite("write_grouped was called from inside a grouped write")
        piece: _Piece[T] = _Piece(work)
        with self._lock:
            self._queue.append(piece)
            leading = not self._busy
            self._busy = True
        if not leading:
            piece.event.wait()
            if not piece.lead:
                return piece.outcome()
        self._leader = threading.get_ident()
        try:
            while not piece.finished:  # this thread leads; its own piece is in the first batch
                with self._lock:
                    batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                self._commit(batch)
        finally:
            self._leader = None
            with self._lock:
                if self._queue:  # hand the lead to the first in line
                    self._queue[0].lead = True
                    self._queue[0].event.set()
                else:
                    self._busy = False
        return piece.outcome()

    def _commit(self, batch: list[_Piece[Any]]) -> None:
        """Run the batch's pieces in one transaction and commit. A piece that raises is taken out and
        the transaction is run again without it (rare: exchanges check their token before they
        queue), so no piece pays for a savepoint."""
        todo = batch
        try:
            while todo:
                failed: _Piece[Any] | None = None
                try:
                    with self._store.write() as conn:
                        self.transactions += 1
                        for piece in todo:
                            failed = piece
                            piece.result = piece.work(conn)
                        failed = None
                except Exception as exc:
                    if failed is None:
                        raise  # the commit itself failed
                    failed.error, failed.result = exc, None
                    todo = [p for p in todo if p is not failed]
                    continue
                return
        except BaseException as exc:
            for piece in todo:
                if piece.error is None:
                    piece.error, piece.result = exc, None
            if not isinstance(exc, Exception):
                raise
        finally:
            for piece in batch:
                piece.finished = True
                if not piece.lead:
                    piece.event.set()
