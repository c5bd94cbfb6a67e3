"""Several stateless server processes on one PostgreSQL: a revocation on one is seen by all within a second.

Every request opens a fresh connection, so it may land on any worker; the `X-Pagetoken-Worker` header
names the process that answered, and the test requires every worker to have refused the token after
the bound (SPEC §4: one second).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import httpx
import pytest

from tests.support.servers import ProcessServer

BOUND = 1.0  # SPEC §4: a revoked token stops working everywhere within one second
WORKERS = 2


def fresh(srv: ProcessServer, method: str, path: str, **params: str) -> httpx.Response:
    """One request on a new connection (no keep-alive), so the kernel may hand it to any worker."""
    with httpx.Client(base_url=srv.url, timeout=10, headers={"Connection": "close"}) as client:
        return client.request(method, path, params=params)


@pytest.mark.postgres
def test_every_worker_refuses_a_revoked_token_after_the_bound(process_server_factory: type[ProcessServer],
                                                               pg_url: str, tmp_path: Path) -> None:
    srv = process_server_factory(tmp_path / "data", db=pg_url, workers=WORKERS)
    created = json.loads(srv.cli("apps", "create", "--name", "Pool", "--json").stdout)
    srv.start()
    tu = httpx.post(f"{srv.url}/{created['id']}/accounts/test-users", timeout=10,
                    data={"access_token": created["app_token"], "installed": "true",
                          "permissions": "pages_show_list"}).json()
    token = tu["access_token"]
    warmed: dict[str, int] = {}
    for _ in range(400):  # until every worker has validated (and cached) the token a few times
        r = fresh(srv, "GET", "/me", access_token=token)
        assert r.status_code == 200, r.text
        warmed[r.headers["x-pagetoken-worker"]] = warmed.get(r.headers["x-pagetoken-worker"], 0) + 1
        if len(warmed) == WORKERS and min(warmed.values()) >= 3:
            break
    assert len(warmed) == WORKERS, f"only {warmed} answered"
    assert str(srv.proc.pid if srv.proc else "") not in warmed  # the answers came from the workers
    assert all(pid.isdigit() and int(pid) != os.getpid() for pid in warmed)

    revoked_at = time.monotonic()  # before the DELETE: every cached validation is older than this
    revoked = fresh(srv, "DELETE", "/oauth/access_token", access_token=token)
    assert revoked.json() == {"success": True}
    after_bound: dict[str, list[int]] = {pid: [] for pid in warmed}
    for _ in range(2000):  # poll on fresh connections until every worker answered a few times after the bound
        sent = time.monotonic()
        r = fresh(srv, "GET", "/me", access_token=token)
        pid = r.headers["x-pagetoken-worker"]
        assert pid in after_bound, f"an unknown process {pid} answered"
        if sent - revoked_at > BOUND:
            body = r.json()
            after_bound[pid].append(body.get("error", {}).get("error_subcode", r.status_code))
        if min(len(v) for v in after_bound.values()) >= 5:
            break
    assert all(len(v) >= 5 for v in after_bound.values()), f"a worker never answered after the bound: {after_bound}"
    assert after_bound == {pid: [466] * len(v) for pid, v in after_bound.items()}
