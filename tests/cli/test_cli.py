"""`pagetoken …`: every command has help, prints JSON on demand, and fails with one line and a non-zero exit."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pagetoken.cli import app

runner = CliRunner()


def run(data_dir: Path, *args: str, ok: bool = True) -> str:
    result = runner.invoke(app, ["--data-dir", str(data_dir), *args])
    if ok:
        assert result.exit_code == 0, (result.output, result.stderr if result.stderr_bytes else "")
    return result.stdout


COMMANDS = [[], ["serve"], ["tokens", "purge"],
            ["apps"], ["apps", "create"], ["apps", "list"], ["apps", "show"], ["apps", "reset-secret"],
            ["apps", "set"], ["users"], ["users", "create"], ["users", "list"], ["users", "set-password"], ["pages"],
            ["pages", "create"], ["pages", "set-tasks"], ["tokens"], ["tokens", "inspect"], ["tokens", "revoke"],
            ["tokens", "scan"]]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "root")
def test_every_command_has_help(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output and len(result.output) > 80


def test_the_whole_story_from_the_command_line(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """On the data dir's SQLite file, then on PostgreSQL (--db from PAGETOKEN_DB)."""
    if db_url.startswith("postgresql"):
        monkeypatch.setenv("PAGETOKEN_DB", db_url)
    d = tmp_path / "data"
    created = json.loads(run(d, "apps", "create", "--name", "Shop Bot", "--json"))
    assert set(created) == {"id", "secret", "app_token", "owner"}
    key = d / "master.key"
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    user = json.loads(run(d, "users", "create", "--name", "Ana", "--email", "ana@example.com", "--json"))
    assert set(user) == {"id", "email", "password"}
    page = json.loads(run(d, "pages", "create", "--name", "Ana's", "--category", "Shop", "--owner", user["id"],
                          "--json"))
    assert set(page) == {"id", "name"}
    info = json.loads(run(d, "tokens", "inspect", created["app_token"], "--json"))
    assert info["type"] == "APP" and info["is_valid"] is True and info["app_id"] == created["id"]
    shown = json.loads(run(d, "apps", "show", created["id"], "--json"))
    assert shown["secret"] == created["secret"] and shown["live_tokens"]["app"] == 1
    run(d, "apps", "set", created["id"], "--require-proof", "on", "--redirect-uri", "https://shop.example/cb",
        "--deauthorize-url", "https://shop.example/deauth")
    listed = json.loads(run(d, "apps", "list", "--json"))
    assert listed[0]["require_proof"] is True and listed[0]["redirect_uris"] == ["https://shop.example/cb"]
    leaked = tmp_path / "app.log"
    leaked.write_text(f"INFO calling with token={created['app_token']}\nnothing here EAAxyz\n")
    scan = runner.invoke(app, ["--data-dir", str(d), "tokens", "scan", str(leaked), "--json"])
    assert scan.exit_code == 1
    found = json.loads(scan.stdout)
    assert [(f["line"], f["status"]) for f in found] == [(1, "live APP")]
    assert created["app_token"] not in scan.output
    assert created["app_token"].startswith(created["id"] + "|")
    refused = runner.invoke(app, ["--data-dir", str(d), "tokens", "revoke", created["app_token"]])
    assert refused.exit_code != 0 and "reset the app secret" in refused.output
    new = json.loads(run(d, "apps", "reset-secret", created["id"], "--json"))
    assert new["secret"] != created["secret"]
    info = json.loads(run(d, "tokens", "inspect", created["app_token"], "--json"))
    assert info["is_valid"] is False and info["error"]["code"] == 190
    run(d, "users", "set-password", user["id"], "--password", "a fresh password")
    table = run(d, "users", "list")
    assert "ana@example.com" in table
    # The Page keeps at least one person with MANAGE, from the CLI as from the Graph API.
    refused = runner.invoke(app, ["--data-dir", str(d), "pages", "set-tasks", page["id"], user["id"],
                                  "--tasks", "analyze"])
    assert refused.exit_code != 0 and "MANAGE" in refused.stderr
    helper = json.loads(run(d, "users", "create", "--name", "Bo", "--json"))
    tasks = json.loads(run(d, "pages", "set-tasks", page["id"], helper["id"], "--tasks", "manage", "--json"))
    assert tasks["tasks"] == ["MANAGE"]
    tasks = json.loads(run(d, "pages", "set-tasks", page["id"], user["id"], "--tasks", "analyze", "--json"))
    assert tasks["tasks"] == ["ANALYZE"]


@pytest.mark.parametrize("args", [
    ["apps", "show", "42"],
    ["apps", "set", "42", "--require-proof", "maybe"],
    ["users", "create", "--name", "X", "--password", "short"],
    ["users", "create", "--name", "X", "--email", "not-an-email"],
    ["pages", "create", "--name", "P", "--category", "C", "--owner", "404"],
    ["tokens", "revoke", "EAAnope"],
    ["tokens", "scan", "/no/such/file"],
    ["apps", "create", "--name", ""],
])
def test_bad_arguments_give_one_line_and_non_zero_exit(tmp_path: Path, db_url: str, args: list[str]) -> None:
    db = [] if db_url.startswith("sqlite") else ["--db", db_url]  # SQLite: the data dir's own file
    run(tmp_path / "d", *db, "users", "list")
    result = runner.invoke(app, ["--data-dir", str(tmp_path / "d"), *db, *args])
    assert result.exit_code != 0
    err = result.stderr.strip()
    assert err.startswith("error: ") and "\n" not in err and "Traceback" not in err


def test_a_group_readable_master_key_is_refused(tmp_path: Path) -> None:
    d = tmp_path / "d"
    run(d, "apps", "list")
    os.chmod(d / "master.key", 0o644)
    result = runner.invoke(app, ["--data-dir", str(d), "apps", "list"])
    assert result.exit_code == 2 and "chmod 600" in result.stderr


def test_version() -> None:
    from pagetoken import __version__

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"pagetoken {__version__}"
