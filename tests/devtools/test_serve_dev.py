"""`serve --dev` as a real process: off by default, loopback only without a control token, and on
PostgreSQL one clock and one set of faults for every server process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner, Result

from pagetoken import cli
from pagetoken.cli.dev import check_dev_options, is_loopback
from pagetoken.server import dev_from_env
from tests.support.servers import ProcessServer, ThreadServer

CONTROL_CALLS = [("GET", "clock"), ("POST", "clock"), ("GET", "faults"), ("POST", "faults"), ("DELETE", "faults"),
                 ("POST", "tokens"), ("POST", "apps"), ("POST", "users"), ("POST", "pages"), ("POST", "reset"),
                 ("GET", "state"), ("PUT", "state"), ("GET", "requests"), ("GET", "")]


def test_without_dev_every_control_path_is_an_unknown_graph_path(server: ThreadServer) -> None:
    w = server.world()
    for method, path in CONTROL_CALLS:
        for token in (None, w.user_token, w.app_token):
            r = httpx.request(method, f"{server.url}/_pagetoken/{path}", timeout=10,
                              params={"access_token": token} if token else None,
                              json={"advance": 7200, "kind": "app", "app_id": w.app_id})
            assert r.status_code in (400, 500) and r.json()["error"]["code"] in (100, 104, 2500), (method, path)
    assert server.get("/me", access_token=w.user_token).status_code == 200  # the clock did not move


def test_serve_without_dev_ignores_a_leftover_environment(tmp_path: Path) -> None:
    srv = ProcessServer(tmp_path / "data", env={"PAGETOKEN_DEV": "1"}).start()
    try:
        for method, path in CONTROL_CALLS:
            r = httpx.request(method, f"{srv.url}/_pagetoken/{path}", json={"advance": 7200}, timeout=10)
            assert r.status_code == 400 and r.json()["error"]["code"] in (100, 104, 2500), (method, path)
    finally:
        srv.stop()


def test_dev_comes_only_from_the_serve_option(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAGETOKEN_DEV", raising=False)
    assert dev_from_env() is None
    monkeypatch.setenv("PAGETOKEN_DEV", "0")
    assert dev_from_env() is None
    monkeypatch.setenv("PAGETOKEN_DEV", "1")
    monkeypatch.setenv("PAGETOKEN_CONTROL_TOKEN", "t0k")
    options = dev_from_env()
    assert options is not None and options.control_token == "t0k"


def _serve(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pagetoken.cli", "--data-dir", str(tmp_path), "serve", *args],
                          capture_output=True, text=True, timeout=60)


def test_dev_beyond_loopback_without_a_control_token_refuses_to_start(tmp_path: Path) -> None:
    for host in ("0.0.0.0", "192.0.2.7", "::"):
        done = _serve(tmp_path, "--dev", "--host", host, "--port", "9")
        assert done.returncode == 2 and "--control-token" in done.stderr, host
    done = _serve(tmp_path, "--seed", str(tmp_path / "x.json"), "--port", "9")
    assert done.returncode == 2 and "--seed needs --dev" in done.stderr
    check_dev_options("0.0.0.0", True, "a-token", None)  # allowed: the token guards it
    check_dev_options("127.0.0.1", True, None, None)
    assert [is_loopback(h) for h in ("127.0.0.1", "::1", "localhost", "127.8.8.8", "0.0.0.0", "example.com")] == [
        True, True, True, True, False, False]


@pytest.mark.postgres
def test_two_processes_on_postgresql_share_the_clock_faults_and_log(pg_url: str, tmp_path: Path) -> None:
    env = {"PAGETOKEN_CLOCK_REFRESH_SECONDS": "0", "PAGETOKEN_CACHE_SECONDS": "0"}
    a = ProcessServer(tmp_path / "data", db=pg_url, env=env, serve_args=["--dev"]).start()
    b = ProcessServer(tmp_path / "data", db=pg_url, env=env, serve_args=["--dev"]).start()
    try:
        ca, cb = httpx.Client(base_url=a.url, timeout=10), httpx.Client(base_url=b.url, timeout=10)
        app = ca.post("/_pagetoken/apps", json={"name": "Pool"}).json()
        user = ca.post("/_pagetoken/users", json={"app_id": app["id"], "permissions": ["pages_show_list"]}).json()
        token = cb.post("/_pagetoken/tokens", json={"kind": "user_short", "app_id": app["id"],
                                                    "user_id": user["id"]}).json()["access_token"]
        # faults set on one process are taken, one by one, by both
        cb.post("/_pagetoken/faults", json={"match": {"path": "me"}, "error": {"code": 2}, "times": 2})
        assert ca.get("/me", params={"access_token": token}).json()["error"]["code"] == 2
        assert cb.get("/me", params={"access_token": token}).json()["error"]["code"] == 2
        assert ca.get("/me", params={"access_token": token}).status_code == 200
        assert cb.get("/me", params={"access_token": token}).status_code == 200
        cb.post("/_pagetoken/faults", json={"error": {"code": 4}, "times": 5})
        assert ca.delete("/_pagetoken/faults").json()["cleared"] == 1
        assert cb.get("/me", params={"access_token": token}).status_code == 200
        # the clock moved through one process has moved for the other
        ca.post("/_pagetoken/clock", json={"advance": 7200})
        assert cb.get("/_pagetoken/clock").json()["offset"] == 7200
        err = cb.get("/me", params={"access_token": token}).json()["error"]
        assert (err["code"], err["error_subcode"]) == (190, 463)
        logged = ca.get("/_pagetoken/requests", params={"limit": 50}).json()["data"]  # calls of both processes
        assert [(r["path"], r["status"]) for r in reversed(logged)] == [("/me", s) for s in (500, 500, 200, 200, 200,
                                                                                             400)]
    finally:
        a.stop()
        b.stop()


def test_the_dev_cli_drives_a_seeded_server(tmp_path: Path, db_url: str) -> None:
    secret = "0123456789abcdef" * 2
    fixture = tmp_path / "fixture.json"
    fixture.write_text(json.dumps({
        "apps": [{"name": "Sched", "id": "1234567890", "secret": secret}],
        "users": [{"name": "Ada", "id": "2000000001", "apps": {"Sched": ["pages_show_list", "pages_manage_posts"]}}],
        "pages": [{"name": "Bakery", "id": "3000000001", "owner": "Ada"}]}))
    srv = ProcessServer(tmp_path / "data", db=None if db_url.startswith("sqlite") else db_url,
                        serve_args=["--dev", "--seed", str(fixture)]).start()
    try:
        runner = CliRunner()

        def run(*args: str) -> Result:
            return runner.invoke(cli.app, ["dev", *args])

        def dev(*args: str) -> str:
            done = run("--url", srv.url, *args)
            assert done.exit_code == 0, done.output
            return done.stdout

        def dev_json(*args: str) -> object:
            return json.loads(dev(*args, "--json"))

        assert '"1234567890"' in srv.log_path.read_text()  # the seed's summary
        token = dev("mint", "user_short", "--app-id", "1234567890", "--user-id", "2000000001").strip()
        page = dev_json("mint", "page", "--app-id", "1234567890", "--user-id", "2000000001",
                        "--page-id", "3000000001")
        assert isinstance(page, dict) and 60 * 86400 - 60 <= page["expires_in"] <= 60 * 86400
        assert httpx.get(f"{srv.url}/me", params={"access_token": token}).json()["id"] == "2000000001"
        clock = dev_json("clock", "--advance", "2h")
        assert isinstance(clock, dict) and clock["offset"] == 7200
        assert "offset +7200" in dev("clock")
        err = httpx.get(f"{srv.url}/me", params={"access_token": token}).json()["error"]
        assert (err["code"], err["error_subcode"]) == (190, 463)
        added = dev_json("fault", "add", "--code", "32", "--path", "3000000001", "--times", "3")
        assert isinstance(added, dict) and added["times"] == 3
        assert "3000000001" in dev("fault", "list")
        r = httpx.get(f"{srv.url}/3000000001", params={"access_token": page["access_token"]})
        assert r.json()["error"]["message"].startswith("(#32)")
        assert "cleared 1" in dev("fault", "clear")
        calls = dev_json("requests", "--limit", "2")
        assert isinstance(calls, list) and calls[0]["code"] == 32 and page["access_token"] not in json.dumps(calls)
        state = tmp_path / "state.json"
        dev("export", str(state))
        assert secret not in state.read_text() and token not in state.read_text()
        assert dev_json("reset") == {"success": True}
        assert httpx.get(f"{srv.url}/3000000001", params={"access_token": page["access_token"]}).status_code == 400
        loaded = dev_json("import", str(state))
        assert isinstance(loaded, dict) and loaded["success"] is True
        assert httpx.get(f"{srv.url}/3000000001", params={"access_token": page["access_token"]}).status_code == 200
        assert httpx.get(f"{srv.url}/1234567890", params={"access_token": f"1234567890|{secret}"}).status_code == 200
        for args in (["clock"], ["fault", "add"], ["fault", "list"], ["fault", "clear"], ["mint"], ["reset"],
                     ["export"], ["import"], ["requests"]):
            helped = run(*args, "--help")
            assert helped.exit_code == 0 and "--json" in helped.stdout, args
        assert run("--url", srv.url, "clock", "--advance", "2 fortnights").exit_code == 2
        elsewhere = run("--url", "http://127.0.0.1:9", "clock")
        assert elsewhere.exit_code == 1 and "cannot reach" in elsewhere.stderr
    finally:
        srv.stop()
