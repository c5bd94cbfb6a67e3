"""The Store: after-commit actions run once a writing transaction commits, never after a rollback."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pagetoken.store.store import Store, add_node
from pagetoken.store.tables import nodes


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
