"""Fixtures: authorities on real SQLite and PostgreSQL, and real servers on free loopback ports."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pagetoken.authority.context import Authority
from pagetoken.core.clock import ManualClock
from pagetoken.core.keyring import KeyRing, new_key
from pagetoken.core.lifetimes import Lifetimes
from pagetoken.store.store import Store

from .support.postgres import Cluster
from .support.servers import LiveServer, ProcessServer, ThreadServer

REQUIRE_ALL = os.environ.get("PAGETOKEN_REQUIRE_ALL") == "1"


def need(condition: bool, why: str) -> None:
    """Skip when something the test needs is missing, unless CI demands everything (then fail)."""
    if condition:
        return
    if REQUIRE_ALL:
        pytest.fail(f"PAGETOKEN_REQUIRE_ALL=1 and {why}")
    pytest.skip(why)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    bindir_found = shutil.which("pg_config") is not None or any(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    need(bindir_found, "PostgreSQL is not installed")
    cluster = Cluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture
def pg_url(pg_cluster: Cluster) -> str:
    return pg_cluster.create_database("t_" + uuid.uuid4().hex[:12])


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'pagetoken.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_800_000_000.0)


@pytest.fixture
def auth(db_url: str, clock: ManualClock) -> Iterator[Authority]:
    a = Authority(Store.open(db_url), KeyRing([new_key()]), clock, Lifetimes())
    yield a
    a.close()


@pytest.fixture
def sqlite_auth(tmp_path: Path, clock: ManualClock) -> Iterator[Authority]:
    a = Authority(Store.open(f"sqlite:///{tmp_path / 'pagetoken.db'}"), KeyRing([new_key()]), clock, Lifetimes())
    yield a
    a.close()


@pytest.fixture
def server(sqlite_auth: Authority, clock: ManualClock) -> Iterator[ThreadServer]:
    s = ThreadServer(sqlite_auth, clock).start()
    yield s
    s.stop()


@pytest.fixture
def pg_server(pg_url: str, clock: ManualClock) -> Iterator[ThreadServer]:
    a = Authority(Store.open(pg_url), KeyRing([new_key()]), clock, Lifetimes())
    s = ThreadServer(a, clock).start()
    yield s
    s.stop()
    a.close()


@pytest.fixture
def any_server(request: pytest.FixtureRequest, db_url: str, clock: ManualClock) -> Iterator[ThreadServer]:
    """A threaded server on SQLite and on PostgreSQL (the lifecycle tests run on both)."""
    a = Authority(Store.open(db_url), KeyRing([new_key()]), clock, Lifetimes())
    s = ThreadServer(a, clock).start()
    yield s
    s.stop()
    a.close()


@pytest.fixture
def process_server_factory(tmp_path: Path) -> Iterator[type[ProcessServer]]:
    started: list[ProcessServer] = []

    class Factory(ProcessServer):
        def start(self) -> ProcessServer:
            started.append(self)
            return super().start()

    yield Factory
    for s in started:
        s.stop()


# Lifetimes the live tests never outlive (pytest's timeout is 300 s), yet short enough to tell apart:
# a user token (1 h) is due under the vault tests' 2 h margin, a long-lived token (1 day) is not. So no
# test depends on real time passing or not passing.
SHORT_LIFETIMES = {"PAGETOKEN_SHORT_LIVED_SECONDS": "3600", "PAGETOKEN_LONG_LIVED_SECONDS": "86400",
                   "PAGETOKEN_CACHE_SECONDS": "0"}


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A real `pagetoken serve` subprocess with shortened lifetimes (1 h / 1 day) and an app ready."""
    srv = LiveServer(tmp_path / "live", env=dict(SHORT_LIFETIMES))
    srv.setup_app()
    srv.start()
    yield srv
    srv.stop()
