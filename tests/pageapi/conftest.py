"""One server per test module for the permission matrix; the `server` fixture elsewhere."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from pagetoken.authority import users
from pagetoken.authority.context import Authority
from pagetoken.core.clock import ManualClock
from pagetoken.core.keyring import KeyRing, new_key
from pagetoken.core.lifetimes import Lifetimes
from pagetoken.store.store import Store
from tests.conftest import BACKENDS, backend_url
from tests.support.servers import ThreadServer

from .helpers import Scene, scene


@pytest.fixture(scope="package", autouse=True)
def quick_password_hashing() -> Iterator[None]:
    """These tests create hundreds of people; their passwords need no real hashing cost."""
    real = users._hasher
    users._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    users._hasher = real


@pytest.fixture(scope="module", params=BACKENDS)
def module_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreadServer]:
    """One server per test module and backend (SQLite, then PostgreSQL)."""
    folder: Path = tmp_path_factory.mktemp("pageapi")
    clock = ManualClock(1_800_000_000.0)
    url = backend_url(request, request.param, folder, migrated=True)
    auth = Authority(Store.open(url), KeyRing([new_key()]), clock, Lifetimes())
    s = ThreadServer(auth, clock).start()
    yield s
    s.stop()
    auth.close()


@pytest.fixture
def page_scene(server: ThreadServer) -> Scene:
    return scene(server.auth)
