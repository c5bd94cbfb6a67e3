"""Fixtures for the client: a fake Graph on 127.0.0.1, vaults on SQLite, a webhook receiver, a clock."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from pagetoken.client import GraphClient, RetryPolicy, StaticKeys, Vault
from pagetoken.core.clock import ManualClock
from pagetoken.core.keyring import new_key
from tests.conftest import BACKENDS, backend_url

from .fakegraph import FakeGraph

NOW = 1_800_000_000.0


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def fake(clock: ManualClock) -> Iterator[FakeGraph]:
    g = FakeGraph(clock=clock).start()
    yield g
    g.stop()


@pytest.fixture
def client(fake: FakeGraph) -> Iterator[GraphClient]:
    with GraphClient(fake.url, "v25.0", app_id=fake.app_id, app_secret=fake.secret,
                     retry=RetryPolicy(attempts=2, base=0.01, cap=0.02)) as c:
        yield c


@pytest.fixture(params=BACKENDS)
def vault_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A vault database on SQLite, then on PostgreSQL (a fresh database of the session's cluster)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'vault.db'}"
    return backend_url(request, request.param, tmp_path)


@pytest.fixture
def key() -> bytes:
    return new_key()


@pytest.fixture
def vault(vault_url: str, key: bytes, clock: ManualClock) -> Iterator[Vault]:
    v = Vault(vault_url, StaticKeys([key]), clock=clock)
    yield v
    v.close()


@dataclass
class Receiver:
    url: str
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    def bodies(self) -> list[Any]:
        return [json.loads(body) for _, body in self.received]


@pytest.fixture
def webhook() -> Iterator[Receiver]:
    """A webhook receiver on 127.0.0.1 that keeps every request's headers and raw body."""
    got: list[tuple[dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            got.append(({k: v for k, v in self.headers.items()}, body))
            self.send_response(204)
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield Receiver(f"http://127.0.0.1:{server.server_address[1]}/hook", got)
    server.shutdown()
    server.server_close()
