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


TEMPLATE = "pagetoken_template"

# Every fixture that touches the store runs each test on SQLite and on PostgreSQL.
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """One PostgreSQL cluster per test session, with a migrated template database: each test's database is
    a copy of it (CREATE DATABASE … TEMPLATE), which is much quicker than migrating every time."""
    bindir_found = shutil.which("pg_config") is not None or any(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    need(bindir_found, "PostgreSQL is not installed")
    cluster = Cluster().start()
    Store.open(cluster.create_database(TEMPLATE)).close()
    yield cluster
    cluster.stop()


@pytest.fixture
def pg_url(pg_cluster: Cluster) -> str:
    """A fresh, empty database of the session's cluster."""
    return pg_cluster.create_database("t_" + uuid.uuid4().hex[:12])


def backend_url(request: pytest.FixtureRequest, backend: str, folder: Path, migrated: bool = False) -> str:
    """A fresh store on `backend`: a new SQLite file in `folder`, or a new PostgreSQL database, empty or (for
    the fixtures that open an Authority on it at once) a copy of the migrated template."""
    if backend == "sqlite":
        return f"sqlite:///{folder / 'pagetoken.db'}"
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    return cluster.create_database("t_" + uuid.uuid4().hex[:12], template=TEMPLATE if migrated else None)


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a SQLite file, then a PostgreSQL database."""
    return backend_url(request, request.param, tmp_path)


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database ready for an Authority: a SQLite file, then a copy of the migrated PostgreSQL template."""
    return backend_url(request, request.param, tmp_path, migrated=True)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_800_000_000.0)


@pytest.fixture
def sqlite_auth(tmp_path: Path, clock: ManualClock) -> Iterator[Authority]:
    """An authority on a SQLite file, for tests about one process's own behaviour (HTTP framing, cookies)."""
    a = Authority(Store.open(f"sqlite:///{tmp_path / 'pagetoken.db'}"), KeyRing([new_key()]), clock, Lifetimes())
    yield a
    a.close()


@pytest.fixture
def auth(store_url: str, clock: ManualClock) -> Iterator[Authority]:
    a = Authority(Store.open(store_url), KeyRing([new_key()]), clock, Lifetimes())
    yield a
    a.close()


@pytest.fixture
def server(auth: Authority, clock: ManualClock) -> Iterator[ThreadServer]:
    """A threaded server on the test's backend (SQLite, then PostgreSQL)."""
    s = ThreadServer(auth, clock).start()
    yield s
    s.stop()


@pytest.fixture
def any_server(server: ThreadServer) -> ThreadServer:
    """The same as `server` (both backends); kept for the tests that name it."""
    return server


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


@pytest.fixture
def live_server_on(tmp_path: Path, db_url: str) -> Iterator[LiveServer]:
    """`live_server` on SQLite, then on PostgreSQL."""
    srv = LiveServer(tmp_path / "live", env=dict(SHORT_LIFETIMES), db=None if db_url.startswith("sqlite") else db_url)
    srv.setup_app()
    srv.start()
    yield srv
    srv.stop()
