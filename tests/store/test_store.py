"""The Store: after-commit actions run once a writing transaction commits, never after a rollback."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Connection, insert, select, update

from pagetoken.store.store import Store, add_node
from pagetoken.store.tables import apps, nodes, tokens
from pagetoken.store.writers import NestedWrite


def test_after_commit_runs_after_the_commit_only(db_url: str) -> None:
    store = Store.open(db_url)
    seen: list[bool] = []

    def visible() -> None:
        with store.read() as conn:
            seen.append(conn.execute(select(nodes.c.id).where(nodes.c.id == "1")).first() is not None)

    with store.write() as conn:
        add_node(conn, "user", 0.0, node_id="1")
        store.after_commit(conn, visible)
        assert seen == []
    assert seen == [True]  # ran, and saw the committed row

    with pytest.raises(RuntimeError, match="boom"), store.write() as conn:
        add_node(conn, "user", 0.0, node_id="2")
        store.after_commit(conn, lambda: seen.append(False))
        raise RuntimeError("boom")
    assert seen == [True]
    with store.read() as conn, pytest.raises(RuntimeError, match="Store.write"):
        store.after_commit(conn, visible)
    store.close()


class Bumps:
    """A change counter that only counts the bumps asked of it (the real ones also count what other
    processes announce, later)."""

    def __init__(self) -> None:
        self.bumps = 0

    def current(self) -> int:
        return self.bumps

    def bump(self) -> None:
        self.bumps += 1

    def close(self) -> None:
        pass


def test_a_commit_that_changed_what_caches_read_moves_the_change_counter(store_url: str) -> None:
    """Updating an app (a remembered row) moves the counter once committed; inserting a token or an
    object (nothing remembers a row as missing) does not, nor does a write that rolled back."""
    store = Store.open(store_url)
    real, store.changes = store.changes, Bumps()
    counter = store.changes

    def moved(action: Callable[[Connection], object]) -> bool:
        before = counter.bumps
        with store.write() as conn:
            action(conn)
        return counter.bumps != before

    try:
        with store.write() as conn:
            conn.execute(insert(apps).values(id="1", name="App", secret_sealed=b"x", created_at=0.0))
        assert not moved(lambda conn: conn.execute(insert(tokens).values(
            hash="h", fingerprint="f", kind="user", long_lived=False, origin="user", app_id="1", scopes="[]",
            issued_at=0.0, how="exchange")))
        assert not moved(lambda conn: add_node(conn, "post", 0.0))
        assert moved(lambda conn: conn.execute(update(apps).where(apps.c.id == "1").values(name="Renamed")))
        before = counter.bumps
        with pytest.raises(RuntimeError, match="boom"), store.write() as conn:
            conn.execute(update(apps).where(apps.c.id == "1").values(name="Again"))
            raise RuntimeError("boom")
        assert counter.bumps == before
    finally:
        real.close()
        store.close()


def test_urls_and_the_null_pool_switch(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.pool import NullPool

    from pagetoken.store import db

    assert db.normalise_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    with pytest.raises(ValueError, match="unsupported database URL"):
        db.create("mysql://u@h/d")
    monkeypatch.setenv("PAGETOKEN_DB_NULLPOOL", "1")  # behind a transaction-pooling proxy: no pool of our own
    store = Store.open(pg_url)
    try:
        assert isinstance(store.engine.pool, NullPool)
        assert db.current_revision(store.engine) == db.head_revision() is not None
    finally:
        store.close()


def test_sqlite_writers_queue_on_a_lock_file_held_for_the_whole_transaction(tmp_path: Path) -> None:
    """Another process cannot take the writer lock while a writing transaction is open, and can the
    moment it commits: writers wait their turn in the kernel, not in SQLite's sleeping busy handler."""
    store = Store.open(f"sqlite:///{tmp_path / 'pagetoken.db'}")
    probe = [sys.executable, "-c", "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR);"
             "fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)", str(tmp_path / "pagetoken.db-writer")]
    try:
        with store.write() as conn:
            add_node(conn, "user", 0.0, node_id="1")
            assert subprocess.run(probe, capture_output=True).returncode != 0  # held: the probe is refused
        assert subprocess.run(probe, capture_output=True).returncode == 0  # free once committed
    finally:
        store.close()


def test_a_sqlite_write_opened_inside_another_fails_at_once(tmp_path: Path) -> None:
    """The writer lock is not reentrant: a nested write in one thread would wait for itself for ever.
    It fails instead, the outer transaction rolls back, and the next write takes its turn as usual."""
    store = Store.open(f"sqlite:///{tmp_path / 'pagetoken.db'}")
    try:
        with pytest.raises(NestedWrite), store.write() as conn:
            add_node(conn, "user", 0.0, node_id="1")
            with store.write():
                pass
        with store.write() as conn:
            add_node(conn, "user", 0.0, node_id="2")
        with store.read() as conn:
            assert [r.id for r in conn.execute(select(nodes.c.id)).all()] == ["2"]
    finally:
        store.close()
