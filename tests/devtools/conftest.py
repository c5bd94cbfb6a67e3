"""A `--dev` server in a thread of the test process, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pagetoken.authority.context import Authority
from pagetoken.core.clock import ManualClock
from pagetoken.core.keyring import KeyRing, new_key
from pagetoken.core.lifetimes import Lifetimes
from pagetoken.devtools.control import DevOptions
from pagetoken.server import build_app
from pagetoken.store.store import Store
from tests.support.servers import InThread


class DevServer(InThread):
    """build_app(auth, dev=…) served in a thread, with a JSON client for the control API."""

    def __init__(self, auth: Authority, options: DevOptions | None = None) -> None:
        self.auth = auth
        super().__init__(build_app(auth, dev=options or DevOptions()))
        self.http = httpx.Client(base_url=self.url, timeout=10)

    def control(self, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        r = self.http.request(method, "/_pagetoken" + path, json=body, **kw)
        assert r.status_code == 200, r.text
        return r.json()

    def graph(self, method: str, path: str, **params: Any) -> httpx.Response:
        if method == "GET":
            return self.http.get(path, params=params)
        return self.http.request(method, path, data=params)


@pytest.fixture
def dev(db_url: str, clock: ManualClock) -> Iterator[DevServer]:
    auth = Authority(Store.open(db_url), KeyRing([new_key()]), clock, Lifetimes())
    srv = DevServer(auth)
    srv.start()
    yield srv
    srv.stop()
    auth.close()
