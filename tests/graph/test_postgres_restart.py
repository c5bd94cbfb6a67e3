"""A restart of PostgreSQL under load: while it is down every Graph answer is a success or a Graph error
marked `is_transient: true` (never a bare 500, never a hang past a bound), and once it is back the same
`pagetoken serve` answers again by itself, without being restarted."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from pagetoken.authority import revoke
from tests.conftest import SHORT_LIFETIMES, need
from tests.support.postgres import Cluster
from tests.support.servers import LiveServer

BOUND = 15.0  # seconds one answer may take, outage or not: past it the call counts as a hang
HEALED = 10   # calls in a row that must succeed once PostgreSQL is back


@dataclass(frozen=True)
class Answer:
    phase: str
    call: str
    status: int | None  # None: no answer within BOUND, or the connection failed
    body: Any

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def transient(self) -> bool:
        error = self.body.get("error") if isinstance(self.body, dict) else None
        return bool(self.status and self.status >= 400 and isinstance(error, dict)
                    and error.get("is_transient") is True and error.get("code") == 2)


class Load:
    """Graph calls one after another on a thread (reads and a write), each answer kept with the phase
    the test was in when it was sent; `wait(n, phase)` returns once n answers of that phase are in."""

    def __init__(self, url: str, user_token: str, page_id: str, page_token: str) -> None:
        self.calls = [("GET /me", "GET", "/me", {"access_token": user_token}),
                      ("GET /me/accounts", "GET", "/me/accounts", {"access_token": user_token}),
                      ("POST /{page}/feed", "POST", f"/{page_id}/feed",
                       {"access_token": page_token, "message": "still here"})]
        self.url = url
        self.phase = "before"
        self.answers: list[Answer] = []
        self.arrived = threading.Condition()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=BOUND) as client:
            while not self.done.is_set():
                for name, method, path, params in self.calls:
                    phase = self.phase
                    try:
                        r = client.request(method, path, params=params if method == "GET" else None,
                                           data=params if method == "POST" else None)
                        answer = Answer(phase, name, r.status_code, _json(r))
                    except httpx.HTTPError as exc:
                        answer = Answer(phase, name, None, repr(exc))
                    with self.arrived:
                        self.answers.append(answer)
                        self.arrived.notify_all()

    def of(self, phase: str) -> list[Answer]:
        return [a for a in self.answers if a.phase == phase]

    def wait(self, n: int, phase: str, timeout: float = 120.0) -> None:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.of(phase)) >= n, timeout=timeout), self.of(phase)

    def wait_healed(self, timeout: float = 120.0) -> None:
        """Until HEALED answers in a row (after the restart) are successes."""
        def healed() -> bool:
            after = self.of("after")
            return len(after) >= HEALED and all(a.ok for a in after[-HEALED:])

        with self.arrived:
            assert self.arrived.wait_for(healed, timeout=timeout), self.of("after")[-HEALED:]


def _json(r: httpx.Response) -> Any:
    try:
        return r.json()
    except ValueError:
        return r.text


@pytest.fixture
def own_cluster() -> Iterator[Cluster]:
    """A PostgreSQL cluster of this test's own (the session's is shared: never stopped under others)."""
    need(shutil.which("pg_ctl") is not None or any(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl")),
         "PostgreSQL is not installed")
    cluster = Cluster().start()
    yield cluster
    cluster.stop()


def _long_lived_and_page(srv: LiveServer) -> tuple[str, str, dict[str, Any]]:
    """A user's long-lived token (its Page token may publish) and the first Page of /me/accounts."""
    user_id, short = srv.user_token()
    long = httpx.get(f"{srv.url}/oauth/access_token", timeout=10, params={
        "grant_type": "fb_exchange_token", "client_id": srv.app_id, "client_secret": srv.app_secret,
        "fb_exchange_token": short}).json()["access_token"]
    page = httpx.get(f"{srv.url}/me/accounts", params={"access_token": long}, timeout=10).json()["data"][0]
    return user_id, long, page


@pytest.mark.postgres
@pytest.mark.parametrize("workers", [1, 2])  # two: each process's pool and change listener heal on their own
def test_a_restart_of_postgresql_under_load_is_transient_and_heals(own_cluster: Cluster, tmp_path: Path,
                                                                   workers: int) -> None:
    # the caches' backstop far off: after the restart, only the change listener can tell of a change
    srv = LiveServer(tmp_path / "live", env={**SHORT_LIFETIMES, "PAGETOKEN_CACHE_SECONDS": "300"},
                     db=own_cluster.create_database("restart"), workers=workers)
    srv.setup_app()
    srv.start()
    try:
        user_id, user_token, page = _long_lived_and_page(srv)
        load = Load(srv.url, user_token, page["id"], page["access_token"])
        load.thread.start()
        try:
            load.wait(6, "before")
            load.phase = "down"
            own_cluster.halt()
            load.wait(6, "down")
            own_cluster.resume()
            load.phase = "after"
            load.wait_healed()
        finally:
            load.done.set()
            load.thread.join(timeout=BOUND * 2)
        assert all(a.ok for a in load.of("before")[:6]), load.of("before")  # (one more may straddle the stop)
        assert all(a.ok or a.transient for a in load.of("before")), load.of("before")
        down = load.of("down")
        assert all(a.ok or a.transient for a in down), [a for a in down if not (a.ok or a.transient)]
        assert any(a.transient for a in down)  # the outage was seen, not answered from memory alone
        after = load.of("after")
        assert all(a.ok or a.transient for a in after), [a for a in after if not (a.ok or a.transient)]
        assert httpx.get(f"{srv.url}/me", params={"access_token": user_token}, timeout=10).json()["id"] == user_id
        # Each process's change listener is back too: the Page token, read (and its answer kept) after
        # the restart, is refused by every worker once another node revokes it.
        assert _read_page(srv.url, page).status_code == _read_page(srv.url, page).status_code == 200
        other = srv.authority()
        try:
            assert revoke.revoke_token(other, page["access_token"])
        finally:
            other.close()
        _until_refused_everywhere(srv.url, page)
    finally:
        srv.stop()


def _read_page(url: str, page: dict[str, Any]) -> httpx.Response:
    """A Page read on a connection of its own (any worker may answer it)."""
    return httpx.get(f"{url}/{page['id']}", params={"fields": "id,name", "access_token": page["access_token"]},
                     headers={"Connection": "close"}, timeout=BOUND)


def _until_refused_everywhere(url: str, page: dict[str, Any], in_a_row: int = 20) -> None:
    """Read until `in_a_row` reads in a row (each on a new connection, so every worker takes some) are
    refused with 190; fail if that has not happened within BOUND seconds. Each read is the wait."""
    deadline = time.monotonic() + BOUND
    streak = 0
    while streak < in_a_row:
        assert time.monotonic() < deadline, "a worker still answers with a revoked token"
        answer = _read_page(url, page)
        streak = streak + 1 if answer.status_code == 400 and answer.json()["error"]["code"] == 190 else 0


REACH = ("the database server cannot be reached", "the database server closed the connection")


@pytest.mark.postgres
def test_a_write_while_postgresql_is_down_says_why_and_changes_nothing(own_cluster: Cluster, tmp_path: Path) -> None:
    srv = LiveServer(tmp_path / "live", env=dict(SHORT_LIFETIMES), db=own_cluster.create_database("down"))
    srv.setup_app()
    srv.start()
    try:
        _user_id, long, page = _long_lived_and_page(srv)
        feed = f"{srv.url}/{page['id']}/feed"
        own_cluster.halt()
        refused = httpx.post(feed, data={"access_token": page["access_token"], "message": "lost?"}, timeout=BOUND)
        error = refused.json()["error"]
        assert refused.status_code >= 500 and (error["code"], error["is_transient"]) == (2, True), error
        assert any(why in error["message"] for why in REACH) and "Nothing was changed" in error["message"], error
        own_cluster.resume()
        kept = httpx.post(feed, data={"access_token": page["access_token"], "message": "kept"}, timeout=BOUND)
        assert kept.status_code == 200, kept.text
        listed = httpx.get(feed, params={"access_token": page["access_token"]}, timeout=BOUND).json()["data"]
        assert [p.get("message") for p in listed] == ["kept"]  # the refused post was never written
    finally:
        srv.stop()


@pytest.mark.postgres
def test_the_cli_says_in_one_line_that_postgresql_cannot_be_reached(own_cluster: Cluster, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from pagetoken.cli import app

    url = own_cluster.create_database("cli")
    runner = CliRunner()
    assert runner.invoke(app, ["--data-dir", str(tmp_path), "--db", url, "apps", "list"]).exit_code == 0
    own_cluster.halt()
    result = runner.invoke(app, ["--data-dir", str(tmp_path), "--db", url, "apps", "list"])
    err = result.stderr.strip()
    assert result.exit_code == 1, (result.exit_code, err)
    assert err.startswith("error: cannot open the database: the database server cannot be reached"), err
    assert "\n" not in err and err.endswith("check --db / PAGETOKEN_DB and that the database is running")
    own_cluster.resume()
    assert runner.invoke(app, ["--data-dir", str(tmp_path), "--db", url, "apps", "list"]).exit_code == 0
