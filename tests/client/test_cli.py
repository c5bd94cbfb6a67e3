"""`pagetoken vault …` against a fake Graph on 127.0.0.1, in-process and as real processes."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest
from typer.testing import CliRunner

from pagetoken.client import FileKeys, Vault
from pagetoken.client.cli import vault_app
from pagetoken.core.tokens import new_token

from .conftest import Receiver
from .fakegraph import FakeGraph

DAY = 86400


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    g = FakeGraph().start()  # the wall clock: the CLI runs on real time
    yield g
    g.stop()


@pytest.fixture
def base_args(graph: FakeGraph, vault_url: str, tmp_path: Path) -> list[str]:
    return ["--vault", vault_url, "--graph-url", graph.url, "--app-id", graph.app_id,
            "--app-secret", graph.secret, "--key-file", str(tmp_path / "vault.key")]


def run(args: list[str], *more: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(vault_app, [*args, *more], input=input)
    return result.exit_code, result.stdout, result.stderr


def make_due(graph: FakeGraph, token: str) -> None:
    now = int(time.time())
    graph.tokens[token].issued_at = now - 59 * DAY
    graph.tokens[token].expires_at = now + DAY


def stored(vault_url: str) -> bytes:
    """Everything the vault database holds: the SQLite file's bytes, or every PostgreSQL row."""
    if vault_url.startswith("sqlite:///"):
        return Path(vault_url.removeprefix("sqlite:///")).read_bytes()
    import psycopg

    with psycopg.connect(vault_url) as conn:
        return repr(conn.execute("SELECT * FROM vault_tokens").fetchall()).encode()


def test_add_list_show(base_args: list[str], graph: FakeGraph, vault_url: str) -> None:
    token = graph.user_token()
    code, out, err = run(base_args, "add", "me", "--token", token, "--pages", "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert [(r["name"], r["kind"], r["parent"]) for r in rows] == [
        ("me", "USER", None), ("me:111", "PAGE", "me"), ("me:222", "PAGE", "me")]
    assert token not in out
    code, out, _ = run(base_args, "list", "--json")
    listed = json.loads(out)
    assert [r["name"] for r in listed] == ["me", "me:111", "me:222"]
    assert listed[0]["expires_in"] > 59 * DAY and listed[1]["page_id"] == "111"
    code, out, _ = run(base_args, "list")
    assert code == 0 and "me:111" in out and "active" in out and "59d" in out and token not in out
    code, out, _ = run(base_args, "show", "me", "--json")
    shown = json.loads(out)
    assert code == 0 and "token" not in shown and shown["fingerprint"] == f"{token[:6]}…{token[-4:]}"
    code, out, _ = run(base_args, "show", "me")
    assert code == 0 and token not in out and "pages_show_list" in out
    code, out, _ = run(base_args, "show", "me", "--reveal", "--json")
    assert json.loads(out)["token"] == token
    raw = stored(vault_url)
    assert b"me:111" in raw and token.encode() not in raw


def test_add_by_exchange_and_from_stdin(base_args: list[str], graph: FakeGraph) -> None:
    short = graph.user_token(lifetime=3600)
    code, out, err = run(base_args, "add", "me", "--exchange-from", "-", "--json", input=short + "\n")
    assert code == 0, err
    assert graph.exchanges[short] == 1
    assert json.loads(out)[0]["expires_at"] - json.loads(out)[0]["issued_at"] == graph.lifetime


def test_bad_arguments_are_one_line_errors(base_args: list[str], graph: FakeGraph) -> None:
    cases = [
        [*base_args, "add", "me"],
        [*base_args, "add", "me", "--token", "a", "--exchange-from", "b"],
        [*base_args, "show", "nobody"],
        [*base_args, "list", "--bogus"],
        [*base_args, "watch", "--interval", "x"],
        ["--vault", "mysql://x/y", "list"],
        [*base_args, "add", "me", "--token", new_token()],  # unknown to the server
        ["--vault", base_args[1], "add", "me", "--token", "x"],  # no app credentials
    ]
    for args in cases:
        code, out, err = run(args)
        assert code != 0, args
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), (args, err)


def test_rotate_revoke_rekey_export(base_args: list[str], graph: FakeGraph, tmp_path: Path,
                                    webhook: Receiver) -> None:
    token, gone, later = graph.user_token(), graph.user_token(), graph.user_token()
    make_due(graph, token)
    make_due(graph, gone)
    assert run(base_args, "add", "me", "--token", token, "--pages")[0] == 0
    assert run(base_args, "add", "gone", "--token", gone)[0] == 0
    assert run(base_args, "add", "later", "--token", later)[0] == 0
    graph.tokens[gone].error = "password_changed"
    code, out, _ = run(base_args, "rotate", "--due", "--dry-run", "--json")
    assert sorted(r["name"] for r in json.loads(out)) == ["gone", "me"]
    hook = ["--webhook-url", webhook.url, "--webhook-secret", "s3cret"]
    code, out, _ = run([*base_args, *hook], "rotate", "--json")
    assert code == 1  # one token needs the user
    actions = {r["name"]: r["action"] for r in json.loads(out)}
    assert actions == {"me": "rotated", "me:111": "derived", "me:222": "derived", "gone": "needs_reauth"}
    assert graph.exchanges[token] == 1 and graph.revocations[token] == 1
    assert len(webhook.received) == 1 and webhook.bodies()[0]["name"] == "gone"
    code, out, _ = run(base_args, "list", "--json")
    assert {r["name"]: r["status"] for r in json.loads(out)}["gone"] == "needs_reauth"
    code, out, _ = run(base_args, "rotate", "--name", "me", "--all", "--json")
    assert code == 0 and json.loads(out)[0]["action"] == "rotated"

    key_before = (tmp_path / "vault.key").read_text()
    code, out, _ = run(base_args, "rekey", "--json")
    assert code == 0 and json.loads(out)["resealed"] == 5
    assert (tmp_path / "vault.key").read_text() != key_before
    with Vault(base_args[1], FileKeys(tmp_path / "vault.key")) as v:
        fresh = v.token("me")
    code, out, _ = run(base_args, "revoke", "me", "--json")
    assert code == 0 and graph.tokens[fresh].revoked
    code, out, _ = run(base_args, "export", "--redacted")
    exported = json.loads(out)
    assert {t["name"]: t["status"] for t in exported["tokens"]}["me"] == "revoked"
    assert "token" not in exported["tokens"][0] and fresh not in out
    code, out, _ = run(base_args, "revoke", "me:111", "--forget")
    assert code == 0
    assert "me:111" not in run(base_args, "list", "--json")[1]
    code, out, _ = run(base_args, "keygen")
    assert code == 0 and len(out.strip()) == 44


def test_two_processes_never_exchange_one_token_twice(base_args: list[str], graph: FakeGraph) -> None:
    tokens = [graph.user_token() for _ in range(16)]
    for i, t in enumerate(tokens):
        make_due(graph, t)
        assert run(base_args, "add", f"u{i:02d}", "--token", t)[0] == 0
    graph.exchange_delay = 0.08
    cmd = [sys.executable, "-m", "pagetoken.client.cli", *base_args, "rotate", "--json"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    rotated = [r["name"] for out, _ in outs for r in json.loads(out) if r["action"] == "rotated"]
    assert sorted(rotated) == [f"u{i:02d}" for i in range(16)]
    assert all(graph.exchanges[t] == 1 for t in tokens), graph.exchanges


def read_line(stream: IO[str], timeout: float = 30.0) -> str:
    """One line from a child's output, or a failure after `timeout` seconds (never a hang)."""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(stream.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout)
    except queue.Empty:
        raise AssertionError(f"no line within {timeout} s") from None


def test_watch_stops_cleanly_on_sigterm(base_args: list[str], graph: FakeGraph) -> None:
    token = graph.user_token()
    make_due(graph, token)
    assert run(base_args, "add", "me", "--token", token)[0] == 0
    cmd = [sys.executable, "-m", "pagetoken.client.cli", *base_args, "watch", "--interval", "0.2", "--json"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    first = json.loads(read_line(proc.stdout))
    assert first["name"] == "me" and first["action"] == "rotated"
    os.kill(proc.pid, signal.SIGTERM)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert graph.exchanges[token] == 1
