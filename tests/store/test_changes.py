"""The change counter that empties every process's caches: shared through a file on SQLite, through
LISTEN/NOTIFY on PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from pagetoken.store.changes import FileCounter, LocalCounter, NotifyCounter, counter_for
from pagetoken.store.store import Store
from tests.support.changes import Heard


def test_a_file_counter_is_shared_by_every_process(tmp_path: Path) -> None:
    path = tmp_path / "db-changes"
    here, there = FileCounter(path), FileCounter(path)
    assert here.current() == there.current() == 0
    here.bump()
    assert there.current() == 1
    code = ("import sys; from pathlib import Path; from pagetoken.store.changes import FileCounter;"
            "c = FileCounter(Path(sys.argv[1])); [c.bump() for _ in range(100)]")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(path)]) for _ in range(3)]
    for p in procs:
        assert p.wait(timeout=60) == 0
    assert here.current() == there.current() == 301  # no bump lost between processes
    here.close()
    there.close()


def test_an_in_memory_database_counts_locally() -> None:
    counter = counter_for(create_engine("sqlite://"), "sqlite://")
    assert isinstance(counter, LocalCounter)
    counter.bump()
    assert counter.current() == 1


def test_notify_reaches_every_node(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    one, two = Store.open(pg_url), Store.open(pg_url)
    try:
        assert isinstance(one.changes, NotifyCounter) and isinstance(two.changes, NotifyCounter)
        heard = Heard(two, monkeypatch)
        before = two.changes.current()
        one.changes.bump()
        heard.until(lambda: two.changes.current() > before)
    finally:
        one.close()
        two.close()
