"""The SQLite database and its WAL files are created readable by their owner only."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from pagetoken.authority.context import Authority, Settings
from pagetoken.core.lifetimes import Lifetimes


@pytest.fixture
def open_umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_database_files_are_0600(tmp_path: Path, open_umask: None) -> None:
    data = tmp_path / "data"
    auth = Authority.open(Settings(data_dir=data, db_url=None, lifetimes=Lifetimes()))
    try:
        names = sorted(p.name for p in data.iterdir())
        assert {"pagetoken.db", "pagetoken.db-wal", "master.key"} <= set(names)
        for path in data.iterdir():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, (path.name, oct(path.stat().st_mode))
    finally:
        auth.close()


def test_an_existing_readable_database_is_tightened(tmp_path: Path, open_umask: None) -> None:
    data = tmp_path / "data"
    Authority.open(Settings(data_dir=data, db_url=None, lifetimes=Lifetimes())).close()
    (data / "pagetoken.db").chmod(0o644)
    Authority.open(Settings(data_dir=data, db_url=None, lifetimes=Lifetimes())).close()
    assert stat.S_IMODE((data / "pagetoken.db").stat().st_mode) == 0o600
