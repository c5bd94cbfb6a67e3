"""The vault against a real `pagetoken serve` with shortened lifetimes (1 h user tokens, 1 day long-lived).

No test here depends on real time: no token can expire while the tests run, and what is due is decided by
the margin alone.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

from pagetoken.client import verify_signature
from tests.support.receiver import Receiver
from tests.support.servers import LiveServer

MARGIN = "7200"  # due: the 1 h user tokens; not due: the 1-day tokens rotation makes


class Vault:
    """Runs `pagetoken vault …` for one vault file against the live server."""

    def __init__(self, server: LiveServer, folder: Path, **extra: str) -> None:
        self.server = server
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.args = ["--vault", f"sqlite:///{folder / 'vault.db'}", "--graph-url", server.url, "--graph-version",
                     "v25.0", "--app-id", server.app_id, "--app-secret", server.app_secret, "--key-file",
                     str(folder / "vault.key"), "--margin", MARGIN]
        for key, value in extra.items():
            self.args += [f"--{key.replace('_', '-')}", value]

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "pagetoken.cli", "vault", *self.args, *args]

    def run(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(self.command(*args), capture_output=True, text=True, timeout=120)
        if ok:
            assert result.returncode == 0, result.stderr
        return result

    def json(self, *args: str, ok: bool = True) -> Any:
        return json.loads(self.run(*args, "--json", ok=ok).stdout)

    def token(self, name: str) -> str:
        return str(self.json("show", name, "--reveal")["token"])


def me(server: LiveServer, token: str) -> dict[str, Any]:
    return httpx.get(f"{server.url}/me", params={"access_token": token}, timeout=10).json()


@pytest.fixture
def live_server(live_server_on: LiveServer) -> LiveServer:
    """Every live vault test against a server on SQLite, then on PostgreSQL."""
    return live_server_on


def test_add_rotate_revokes_old_and_rederives_pages(live_server: LiveServer, tmp_path: Path) -> None:
    vault = Vault(live_server, tmp_path / "v")
    _uid, short = live_server.user_token()
    added = vault.json("add", "main", "--token", short, "--pages")
    assert [r["kind"] for r in added] == ["USER", "PAGE"]
    page_name = added[1]["name"]
    old_page = vault.token(page_name)
    assert "pages_manage_posts" not in added[1]["scopes"]  # from a short-lived user token: basic only
    dry = vault.json("rotate", "--dry-run")
    assert [r["name"] for r in dry] == ["main"]
    results = vault.json("rotate")
    assert {(r["name"], r["action"]) for r in results} == {("main", "rotated"), (page_name, "derived")}
    fresh = vault.token("main")
    assert fresh != short and me(live_server, fresh)["id"]
    assert me(live_server, short)["error"]["error_subcode"] == 466  # the old one was revoked, after storing
    assert live_server.exchanged_count(short) == 1
    listed = {r["name"]: r for r in vault.json("list")}
    assert listed["main"]["status"] == "active" and listed["main"]["expires_in"] > int(MARGIN)
    new_page = vault.token(page_name)
    assert new_page != old_page and "pages_manage_posts" in listed[page_name]["scopes"]
    assert me(live_server, new_page)["id"] == listed[page_name]["page_id"]
    assert vault.json("rotate") == []  # nothing is due any more
    raw = (tmp_path / "v" / "vault.db").read_bytes()
    assert fresh.encode() not in raw and new_page.encode() not in raw


@pytest.mark.parametrize("how", ["app_removed", "password_changed"])
def test_user_action_marks_needs_reauth_and_reports_once(live_server: LiveServer, tmp_path: Path, how: str) -> None:
    receiver = Receiver()
    vault = Vault(live_server, tmp_path / "v", webhook_url=receiver.url, webhook_secret="hook-secret")
    uid, short = live_server.user_token(with_page=False)
    vault.json("add", "main", "--token", short)
    if how == "app_removed":
        r = httpx.delete(f"{live_server.url}/{uid}/permissions", params={"access_token": live_server.app_token})
        assert r.json() == {"success": True}
    else:
        live_server.cli("users", "set-password", uid, "--password", "a brand new password")
    first = vault.run("rotate", "--json", ok=False)
    assert first.returncode == 1  # a token needs the user: rotate says so in its exit code
    assert [r["action"] for r in json.loads(first.stdout)] == ["needs_reauth"]
    second = vault.run("rotate", "--json", ok=False)
    assert json.loads(second.stdout) == []  # never retried in a loop
    assert vault.json("list")[0]["status"] == "needs_reauth"
    assert len(receiver.on()) == 1
    body, signature = receiver.on()[0].body, receiver.on()[0].headers.get("x-pagetoken-signature")
    assert verify_signature(body, signature, "hook-secret")
    assert not verify_signature(body, signature, "other-secret")
    report = json.loads(body)
    assert short not in body.decode()
    assert report["name"] == "main" and str({"app_removed": 458, "password_changed": 460}[how]) in json.dumps(report)
    assert live_server.exchanged_count(short) == 0
    receiver.close()


def test_two_watchers_exchange_each_token_exactly_once(live_server: LiveServer, tmp_path: Path) -> None:
    vault = Vault(live_server, tmp_path / "v")
    shorts = []
    for i in range(10):
        _uid, short = live_server.user_token(with_page=False)
        vault.json("add", f"user{i}", "--token", short)
        shorts.append(short)
    lines: list[list[str]] = [[], []]
    printed = threading.Condition()

    def read(stream: IO[str], into: list[str]) -> None:
        for line in stream:
            with printed:
                into.append(line)
                printed.notify_all()

    def rotated() -> list[str]:
        return [json.loads(line)["name"] for out in lines for line in out
                if json.loads(line)["action"] == "rotated"]

    errors = [open(tmp_path / f"watcher{i}.err", "w") for i in range(2)]  # noqa: SIM115 - closed below
    watchers = [subprocess.Popen(vault.command("watch", "--interval", "0.2", "--json"), stdout=subprocess.PIPE,
                                 stderr=err, text=True) for err in errors]
    readers = [threading.Thread(target=read, args=(w.stdout, out), daemon=True) for w, out in zip(watchers, lines)]
    for r in readers:
        r.start()
    try:
        with printed:  # each watcher prints a line per rotation: wait for the tenth, however they share them
            assert printed.wait_for(lambda: len(rotated()) >= 10, timeout=120), lines
    finally:
        for w in watchers:
            w.send_signal(signal.SIGTERM)
        codes = [w.wait(timeout=30) for w in watchers]
        for r in readers:
            r.join(timeout=30)
        for err in errors:
            err.close()
    stderr = [(tmp_path / f"watcher{i}.err").read_text() for i in range(2)]
    assert codes == [0, 0], stderr
    assert [live_server.exchanged_count(s) for s in shorts] == [1] * 10
    assert sorted(rotated()) == sorted(f"user{i}" for i in range(10))  # each by one watcher only
    assert all(r["status"] == "active" for r in vault.json("list"))
