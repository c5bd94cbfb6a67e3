"""One server per test module for the permission matrix; the `server` fixture elsewhere."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

from pagetoken.authority import callbacks, users
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


@pytest.fixture
def rounds(monkeypatch: pytest.MonkeyPatch) -> Callable[[Authority], None]:
    """`rounds(auth)` wakes the callback worker and returns once it has run a whole round that began after
    the call: whatever was not sent then was not due (no sleeping, no guessing the poll interval)."""
    finished: list[int] = [0]
    done = threading.Condition()
    real = callbacks.deliver_due

    def counted(*args: Any, **kwargs: Any) -> int:
        try:
            return real(*args, **kwargs)
        finally:
            with done:
                finished[0] += 1
                done.notify_all()

    monkeypatch.setattr(callbacks, "deliver_due", counted)

    def one_round(auth: Authority) -> None:
        with done:
            target = finished[0] + 2  # the round in progress may have begun before the call
        worker = callbacks.worker_for(auth)
        with done:
            while finished[0] < target:
                worker.on_app_removed()
                assert done.wait(timeout=10), "the callback worker did not run"
    return one_round
