"""What a newcomer meets in the first hour: rotate's exit code for cron, a taken port, the demo
password, where the vault's files go, and what `make serve` installs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pagetoken.authority import users
from pagetoken.authority.context import Authority, Settings
from pagetoken.cli import app
from pagetoken.cli.serve import _demo_banner
from pagetoken.client import Vault
from pagetoken.core.lifetimes import Lifetimes
from pagetoken.demo import seed
from tests.support.servers import LiveServer, listening_socket

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


@pytest.fixture
def live_server(live_server_on: LiveServer) -> LiveServer:
    """The live server on SQLite, then on PostgreSQL."""
    return live_server_on


def test_rotate_exits_1_when_a_rederived_page_token_needs_the_user(live_server: LiveServer, tmp_path: Path) -> None:
    vault = ["vault", "--vault", f"sqlite:///{tmp_path / 'v.db'}", "--key-file", str(tmp_path / "v.key"),
             "--graph-url", live_server.url, "--app-id", live_server.app_id, "--app-secret", live_server.app_secret]
    uid, short = live_server.user_token()
    added = runner.invoke(app, [*vault, "add", "shop", "--token", short, "--pages", "--json"])
    assert added.exit_code == 0, added.output
    page_id = json.loads(added.stdout)[1]["page_id"]
    other = json.loads(live_server.cli("users", "create", "--name", "Other Manager", "--json").stdout)["id"]
    live_server.cli("pages", "set-tasks", page_id, other, "--tasks", "MANAGE")  # a Page keeps one manager
    live_server.cli("pages", "set-tasks", page_id, uid, "--tasks", "")  # the user loses every task on the Page
    rotated = runner.invoke(app, [*vault, "rotate", "--all", "--json"])
    actions = {r["name"]: r["action"] for r in json.loads(rotated.stdout)}
    assert actions == {"shop": "rotated", f"shop:{page_id}": "needs_reauth"}
    assert rotated.exit_code == 1  # cron and CI see it


def test_serve_refuses_a_taken_port_before_printing_anything(tmp_path: Path) -> None:
    with listening_socket() as holder:  # a port this process holds and listens on
        port = int(holder.getsockname()[1])
        result = runner.invoke(app, ["--data-dir", str(tmp_path / "d"), "serve", "--demo", "--port", str(port)])
    assert result.exit_code == 1 and result.stdout == ""
    assert f"error: port {port} on 127.0.0.1 is taken" in result.stderr
    assert "make serve PORT=N" in result.stderr
    if shutil.which("ss"):
        assert f"(pid {os.getpid()})" in result.stderr


def test_the_demo_password_is_never_stale(tmp_path: Path, db_url: str) -> None:
    auth = Authority.open(Settings(tmp_path / "d", None if db_url.startswith("sqlite") else db_url, Lifetimes()))
    try:
        first, _ = seed(auth, tmp_path / "d", "http://127.0.0.1:8787")
        again, _ = seed(auth, tmp_path / "d", "http://127.0.0.1:8787")
        assert first.password and again.password == first.password
        users.set_password(auth, first.user_id, "a brand new password")
        after, secret = seed(auth, tmp_path / "d", "http://127.0.0.1:8787")
    finally:
        auth.close()
    assert after.password is None and (after.app_id, after.user_id) == (first.app_id, first.user_id)
    banner = _demo_banner("http://x", after.password, after.app_id, secret, after.user_id, after.email, after.page_id)
    assert first.password not in banner and "password changed since" in banner


def test_the_vault_keeps_its_files_in_the_data_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PAGETOKEN_VAULT_KEY", raising=False)
    monkeypatch.setenv("PAGETOKEN_DATA_DIR", str(tmp_path / "data"))
    with Vault() as vault:
        vault.list()
        vault.source.load()
    assert sorted(p.name for p in (tmp_path / "data").iterdir() if not p.name.endswith(("-wal", "-shm"))) == [
        "vault.db", "vault.key"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


@pytest.mark.parametrize("path", ["pagetoken-data/vault.db", "pagetoken-data/vault.key", "pagetoken-vault.key",
                                  "pagetoken-vault.db", "pagetoken-vault.db-wal"])
def test_vault_files_are_ignored_by_git(path: str) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    assert subprocess.run(["git", "check-ignore", "-q", "--no-index", path], cwd=ROOT).returncode == 0


def _dry_run(*args: str) -> str:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    return subprocess.run(["make", "-n", "-B", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout


def test_make_serve_installs_only_what_the_server_needs() -> None:
    serve = _dry_run("serve", "PORT=8799")
    assert "pip install --quiet -e ." in serve and "[dev]" not in serve
    assert "pagetoken serve --demo --port 8799" in serve
    assert "pip install --quiet -e '.[dev]'" in _dry_run("test")
