"""Each benchmark in bench/ runs in a tiny mode, so the suite catches a broken one; and the rules every
benchmark keeps are checked: a failed answer fails the run, nothing is written into tracked files.

The figures themselves are never asserted (no timed assertions): only that each run completes with
every answer successful and writes its section of the results."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import need
from ..support.postgres import Cluster

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.token_validation import walk  # noqa: E402

from bench import common, scene  # noqa: E402
from pagetoken.core.tokens import is_well_formed  # noqa: E402


def need_wrk() -> None:
    need(shutil.which("wrk") is not None, "wrk is not installed (Debian: apt-get install wrk)")


def run_bench(script: str, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / script), *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)
    assert done.returncode == 0, f"{script} failed:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One results file the tiny runs of this module share (never bench/results/latest.json)."""
    return tmp_path_factory.mktemp("bench") / "latest.json"


@pytest.mark.postgres
def test_http_scenarios_on_both_backends(results: Path, pg_cluster: Cluster) -> None:
    need_wrk()
    run_bench("http_throughput.py", "--seconds", "1", "--warmup", "0", "--connections", "4", "--workers", "1",
              "--backends", "sqlite,postgresql", "--no-dot", "--postgres", pg_cluster.url, "--results", str(results))
    http = json.loads(results.read_text())["http"]
    expected = {"hello"} | {f"{name}.{backend}" for backend in ("sqlite", "postgresql") for name in
                            ("page_read", "page_feed", "debug_token", "fb_exchange_token", "app_page_token",
                             "client_credentials_page", "page_read_fresh", "debug_token_fresh")}
    assert set(http["results"]) == expected
    assert all(r["requests"] > 0 and r["req_s"] > 0 for r in http["results"].values())
    assert http["results"]["hello"]["ratio"] == 1.0
    assert http["machine"]["cores"] == common.machine()["cores"]


def test_validation_at_two_sizes(results: Path) -> None:
    need_wrk()
    run_bench("token_validation.py", "--sizes", "1000,2000", "--cold", "150", "--warm", "150", "--workers", "2",
              "--results", str(results))
    sizes = json.loads(results.read_text())["validation"]["sizes"]
    assert set(sizes) == {"1000", "2000"}
    for row in sizes.values():
        assert row["cold_p50_ms"] > 0 and row["warm_p50_ms"] > 0
        assert {"supervisor", "worker 1", "worker 2"} <= set(row["rss_mb_processes"])


def test_vault_rotation(results: Path) -> None:
    run_bench("vault_rotation.py", "--tokens", "20", "--rotators", "2", "--workers", "1", "--results", str(results))
    vault = json.loads(results.read_text())["vault"]
    assert vault["rotation"]["count"] == 20 and vault["sealed_writes"]["count"] == 20


@pytest.mark.postgres
def test_revocation_across_nodes(results: Path, pg_cluster: Cluster) -> None:
    """Without --postgres, as `make bench` runs it: on a throwaway cluster of its own."""
    del pg_cluster  # only its check that PostgreSQL is installed (fails under PAGETOKEN_REQUIRE_ALL=1)
    run_bench("revocation_nodes.py", "--rounds", "2", "--nodes", "2", "--results", str(results))
    assert json.loads(results.read_text())["revocation"]["samples"] == 2


def test_report_from_the_runs_above(results: Path, tmp_path: Path) -> None:
    """The page and the plot go where they are told (the suite never rewrites docs/), with every figure."""
    if not results.exists():  # this test run alone: one quick section to report on
        run_bench("vault_rotation.py", "--tokens", "5", "--rotators", "1", "--workers", "1", "--results", str(results))
    out, image = tmp_path / "PERFORMANCE.md", tmp_path / "images" / "performance.png"
    run_bench("report.py", "--results", str(results), "--out", str(out), "--image", str(image))
    page = out.read_text()
    assert image.read_bytes().startswith(b"\x89PNG")
    assert "](images/performance.png)" in page
    data = json.loads(results.read_text())
    for key, r in data.get("http", {}).get("results", {}).items():
        assert f"| {r['req_s']:,.0f} |" in page, key
    for size in data.get("validation", {}).get("sizes", {}):
        assert f"| {int(size):,} |" in page
    assert "## Targets" in page and "## Vault rotation" in page and "load average" in page


def test_a_failed_answer_fails_the_run(tmp_path: Path) -> None:
    """wrk's non-2xx answers are not throughput: the run stops with exit status 1."""
    need_wrk()
    port = common.free_port()
    cmd = [str(common.BIN / "uvicorn"), "bench.peers.hello:app", "--host", "127.0.0.1", "--port", str(port),
           "--log-level", "warning"]
    with common.Server(cmd, f"http://127.0.0.1:{port}/", {"PYTHONPATH": str(ROOT)}):
        assert common.wrk(f"http://127.0.0.1:{port}/", 1, 2)["requests"] > 0
        with pytest.raises(common.BenchFailure) as failed:
            common.wrk(f"http://127.0.0.1:{port}/missing", 1, 2)
    assert failed.value.code and "Non-2xx" in str(failed.value.code)


def test_a_refused_validation_fails_the_run(tmp_path: Path) -> None:
    """A token the server refuses (here: well formed, never stored) is counted as a failure, not a latency."""
    need_wrk()
    auth = scene.open_authority(tmp_path / "data")
    try:
        s = scene.seed(auth, n_posts=0)
        stored = list(scene.bulk_tokens(auth, s["app_id"], s["user_id"], 3))
    finally:
        auth.close()
    assert all(is_well_formed(t) for t in stored)
    stranger = scene.fast_token()
    with common.pagetoken_server(tmp_path / "data", 1) as server:
        prefix = "/v25.0/me?fields=id&access_token="
        good = walk(server.url, prefix, [("c", t) for t in stored] + [("h", stored[0])], tmp_path, bound=30)
        assert good["cold"]["n"] == 3 and good["warm"]["n"] == 1 and good["failed"] == 0
        with pytest.raises(common.BenchFailure, match="1 of 2 validations were refused"):
            walk(server.url, prefix, [("c", stored[1]), ("c", stranger)], tmp_path, bound=30)


def test_run_refuses_an_unknown_group() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--only", "http,nope"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "unknown group(s) nope" in done.stderr


def test_django_oauth_toolkit_peer(tmp_path: Path) -> None:
    """The peer builds its own venv under build/ (once; pip reaches the registry), sets up its database
    and tokens, and answers introspection under wrk: an active token, every answer 200."""
    need_wrk()
    from bench.peers import dot

    r = dot.measure_introspection(1, 0, 2, 1, tmp_path / "dot")
    assert r["requests"] > 0 and r["versions"]["django-oauth-toolkit"] == "3.4.1"
    assert r["active"] is True
    assert importlib.util.find_spec("oauth2_provider") is None  # never in the project's own venv
