"""The Store: one engine, reading and writing transactions, ID allocation."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, bindparam, event, insert, select
from sqlalchemy.sql.dml import UpdateBase

from . import db
from .changes import ChangeCounter, LocalCounter, counter_for
from .group import GroupCommit
from .tables import READ_MODEL, nodes
from .writers import NoQueue, WriterQueue, queue_for

T = TypeVar("T")
_AFTER_COMMIT = "pagetoken.after_commit"
_CHANGED = "pagetoken.read_model_changed"
_MEMORY_ONLY: ContextVar[bool] = ContextVar("pagetoken_memory_only", default=False)


class NeedsIO(Exception):
    """Code running under `memory_only()` asked for the database: run it again where it may block."""


@contextmanager
def memory_only() -> Iterator[None]:
    """Refuse any database access inside (NeedsIO): for running a call on the event loop when all it
    needs is in memory, and falling back to a worker thread when it is not."""
    token = _MEMORY_ONLY.set(True)
    try:
        yield
    finally:
        _MEMORY_ONLY.reset(token)


def may_block() -> None:
    """Say that what follows blocks (database access, password hashing): NeedsIO under `memory_only`."""
    if _MEMORY_ONLY.get():
        raise NeedsIO


class Store:
    def __init__(self, engine: Engine, changes: ChangeCounter | None = None,
                 writers: WriterQueue | NoQueue | None = None) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self.changes: ChangeCounter = changes or LocalCounter()
        self.writers = writers or NoQueue()
        self._group = GroupCommit(self)
        event.listen(engine, "after_execute", _note_change)

    @classmethod
    def open(cls, url: str, upgrade: bool = True) -> Store:
        """The store at `url`. With `upgrade` the schema is brought to the newest revision; without, an
        empty database is created and one whose schema is behind is refused (`db.SchemaBehind`)."""
        engine = db.create(url)
        try:
            db.prepare(engine, upgrade)
        except BaseException:
            engine.dispose()
            raise
        url = db.normalise_url(url)
        return cls(engine, counter_for(engine, url), queue_for(url))

    @contextmanager
    def read(self) -> Iterator[Connection]:
        may_block()
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def reading(self, conn: Connection | None) -> Iterator[Connection]:
        """`conn` when the caller is already in a transaction; otherwise a reading one of its own."""
        if conn is not None:
            yield conn
            return
        with self.read() as own:
            yield own

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A writing transaction; what `after_commit` registers on it runs once it has committed. If it
        changed what the caches read (`tables.READ_MODEL`), the change counter moves first."""
        may_block()
        after: list[Callable[[], None]] = []
        with self.writers.turn(), self.engine.connect() as conn:
            conn = conn.execution_options(writing=True)
            conn.info[_AFTER_COMMIT] = after
            try:
                with conn.begin():
                    yield conn
            finally:
                del conn.info[_AFTER_COMMIT]
                changed = conn.info.pop(_CHANGED, False)
        if changed:
            self.changes.bump()
        for action in after:
            action()

    def write_grouped(self, work: Callable[[Connection], T]) -> T:
        """`work(conn)` in a writing transaction it may share with other threads' (`group.py`): its
        result, or its exception. For short, hot writes (issuing a token)."""
        may_block()
        return self._group.run(work)

    @staticmethod
    def unsettled(conn: Connection | None) -> bool:
        """True inside a writing transaction that changed what the caches remember: what it reads is
        not yet everyone's (and may yet roll back), so it must neither come from nor go into a cache."""
        return conn is not None and bool(conn.info.get(_CHANGED)) and _AFTER_COMMIT in conn.info

    @staticmethod
    def after_commit(conn: Connection, action: Callable[[], None]) -> None:
        """Run `action` once the writing transaction `conn` commits (never, if it rolls back)."""
        pending = conn.info.get(_AFTER_COMMIT)
        if pending is None:
            raise RuntimeError("after_commit needs a connection from Store.write()")
        pending.append(action)

    def close(self) -> None:
        self.changes.close()
        self.writers.close()
        self.engine.dispose()


def _note_change(conn: Connection, statement: Any, *_args: Any) -> None:
    """Engine hook: remember that this writing transaction ran a statement that can make a cached row
    wrong, so that `Store.write` bumps the change counter once it commits."""
    if isinstance(statement, UpdateBase) and _AFTER_COMMIT in conn.info:
        kinds = READ_MODEL.get(getattr(statement.table, "name", ""))
        if kinds is not None and statement.__visit_name__ in kinds:
            conn.info[_CHANGED] = True


def new_id() -> str:
    """A fresh object ID: a 15-digit decimal string, like the Graph API's."""
    return str(10**14 + secrets.randbelow(9 * 10**14))


def add_node(conn: Connection, node_type: str, now: float, node_id: str | None = None, prefix: str = "") -> str:
    """Register an object so its ID resolves to its type; allocates the ID unless given, as
    ``PREFIX_N`` when a prefix is given (a post under its Page: ``PAGEID_POSTID``)."""
    for _ in range(8):
        candidate = node_id or (f"{prefix}_{new_id()}" if prefix else new_id())
        exists = conn.execute(select(nodes.c.id).where(nodes.c.id == candidate)).first()
        if exists is None:
            conn.execute(insert(nodes).values(id=candidate, type=node_type, created_at=now))
            return candidate
        if node_id:
            raise ValueError(f"object {node_id} exists already")
    raise RuntimeError("could not allocate an object ID")


_NODE_TYPE = select(nodes.c.type).where(nodes.c.id == bindparam("node_id"))


def node_type(conn: Connection, node_id: str) -> str | None:
    return conn.execute(_NODE_TYPE, {"node_id": node_id}).scalar()
