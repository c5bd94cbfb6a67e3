"""A full disk and a read-only database give clear Graph and CLI errors, and lose nothing: after
recovery every token a client received still works and the database is whole."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from pagetoken.authority.context import Authority, Settings
from pagetoken.cli import app as cli_app
from pagetoken.core.clock import ManualClock
from pagetoken.core.keyring import KeyRing, new_key
from pagetoken.core.lifetimes import Lifetimes
from pagetoken.store.store import Store

from ..support.servers import ThreadServer, World


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 6 MB tmpfs for the data directory (mounting needs root; elsewhere the test is skipped)."""
    mount = tmp_path / "data"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount)],
                                           capture_output=True).returncode != 0:
        pytest.skip("mounting a small tmpfs needs root")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path:
    """Fill the disk to the last byte. Unbuffered: a buffered file could still hold bytes when it closes,
    and its closing flush would then fail outside the loop that expects the disk to fill."""
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
        except OSError:
            pass
    return filler


class Scene:
    def __init__(self, server: ThreadServer, world: World) -> None:
        self.server = server
        self.w = world
        self.received: list[str] = [world.user_token, world.app_token]

    def writes(self) -> list[httpx.Response]:
        """Calls that write: each either fails cleanly or hands out something that must last."""
        s, w = self.server, self.w
        answers = [
            s.get("/oauth/access_token", grant_type="fb_exchange_token", client_id=w.app_id, client_secret=w.secret,
                  fb_exchange_token=w.user_token),
            s.get(f"/{w.page_id}", fields="access_token", access_token=w.user_token),
            s.post(f"/{w.page_id}/feed", message="x" * 4000, access_token=w.user_token),
            s.get("/oauth/access_token", grant_type="client_credentials", client_id=w.app_id, client_secret=w.secret),
        ]
        for r in answers:
            if r.status_code == 200 and "access_token" in r.json():
                self.received.append(r.json()["access_token"])
        return answers

    def all_received_work(self) -> None:
        for token in self.received:
            r = self.server.get("/debug_token", input_token=token, access_token=self.w.app_token)
            assert r.json()["data"]["is_valid"] is True, r.text


@pytest.fixture
def scene(small_disk: Path) -> Iterator[Scene]:
    clock = ManualClock(1_800_000_000.0)
    auth = Authority.open(Settings(data_dir=small_disk, lifetimes=Lifetimes()), clock)
    server = ThreadServer(auth, clock).start()
    yield Scene(server, server.world())
    server.stop()
    auth.close()


def assert_clean_fault(answers: list[httpx.Response], words: str) -> None:
    failed = [r for r in answers if r.status_code != 200]
    assert failed, "the fault did not show"
    for r in failed:
        error = r.json()["error"]
        assert r.status_code == 500 and error["code"] == 2 and error["is_transient"] is True, error
        assert words in error["message"] and "sqlite" not in error["message"].lower()


def cli(data_dir: Path, *args: str) -> Any:
    return CliRunner().invoke(cli_app, ["--data-dir", str(data_dir), *args])


def test_a_full_disk(scene: Scene, small_disk: Path) -> None:
    for _ in range(3):
        scene.writes()
    filler = fill(small_disk)
    answers = [r for _ in range(5) for r in scene.writes()]
    assert_clean_fault(answers, "disk holding the database is full")
    result = cli(small_disk, "users", "create", "--name", "Late", "--email", "late@example.com", "--password",
                 "a long password", "--json")
    assert result.exit_code != 0 and "full" in result.output and "Traceback" not in result.output
    filler.unlink()
    scene.all_received_work()
    assert all(r.status_code == 200 for r in scene.writes())
    scene.all_received_work()
    created = cli(small_disk, "users", "create", "--name", "Late", "--email", "late@example.com", "--password",
                  "a long password", "--json")
    assert created.exit_code == 0 and json.loads(created.output)["email"] == "late@example.com"
    with sqlite3.connect(small_disk / "pagetoken.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_read_only_sqlite_database(small_disk: Path) -> None:
    clock = ManualClock(1_800_000_000.0)
    auth = Authority.open(Settings(data_dir=small_disk, lifetimes=Lifetimes()), clock)
    server = ThreadServer(auth, clock).start()
    scene = Scene(server, server.world())
    scene.writes()
    server.stop()
    auth.close()
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    try:
        result = cli(small_disk, "apps", "create", "--name", "Late", "--json")
        assert result.exit_code != 0 and "read-only" in result.output and "Traceback" not in result.output
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    auth = Authority.open(Settings(data_dir=small_disk, lifetimes=Lifetimes()), clock)
    scene.server = ThreadServer(auth, clock).start()
    try:
        scene.all_received_work()
        assert all(r.status_code == 200 for r in scene.writes())
    finally:
        scene.server.stop()
        auth.close()


@pytest.mark.postgres
def test_a_read_only_postgresql_database(pg_cluster: Any, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import psycopg

    monkeypatch.setenv("PAGETOKEN_DB_NULLPOOL", "1")  # each transaction on a new session, which reads the setting
    clock = ManualClock(1_800_000_000.0)
    auth = Authority(Store.open(pg_url), KeyRing([new_key()]), clock, Lifetimes())
    server = ThreadServer(auth, clock).start()
    name = pg_url.rsplit("/", 1)[1]
    try:
        scene = Scene(server, server.world())
        scene.writes()
        with psycopg.connect(pg_cluster.url, autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
        assert_clean_fault(scene.writes(), "read-only")
        with psycopg.connect(pg_cluster.url, autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = off')
        assert all(r.status_code == 200 for r in scene.writes())
        scene.all_received_work()
    finally:
        server.stop()
        auth.close()
