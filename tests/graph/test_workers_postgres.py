"""Several stateless server processes on one PostgreSQL: a revocation on one is seen by all within a second."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from tests.support.servers import ProcessServer


@pytest.mark.postgres
def test_two_workers_share_one_postgresql(process_server_factory: type[ProcessServer], pg_url: str,
                                          tmp_path: Path) -> None:
    srv = process_server_factory(tmp_path / "data", db=pg_url, workers=2)
    created = json.loads(srv.cli("apps", "create", "--name", "Pool", "--json").stdout)
    srv.start()
    client = httpx.Client(base_url=srv.url, timeout=10)
    tu = client.post(f"/{created['id']}/accounts/test-users",
                     data={"access_token": created["app_token"], "installed": "true",
                           "permissions": "pages_show_list"}).json()
    token = tu["access_token"]
    for _ in range(20):  # warm both workers' caches with the valid token
        assert client.get("/me", params={"access_token": token}).status_code == 200
    assert client.delete("/oauth/access_token", params={"access_token": token}).json() == {"success": True}
    revoked_at = time.monotonic()
    deadline = revoked_at + 1.6
    while time.monotonic() < deadline:  # every request sent after the bound must get the 467
        sent = time.monotonic()
        body = client.get("/me", params={"access_token": token}).json()
        if sent - revoked_at > 1.2:  # one second, and a margin for a read that raced the revocation
            assert body["error"]["error_subcode"] == 467
    body = client.get("/me", params={"access_token": token}).json()
    assert body["error"]["code"] == 190 and body["error"]["error_subcode"] == 467
