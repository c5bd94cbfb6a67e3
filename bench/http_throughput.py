"""Graph calls per second against real `pagetoken serve` processes, with wrk, each as a ratio to a
bare Starlette "hello" on uvicorn measured in the same run (the framework's ceiling on this machine).

    .venv/bin/python bench/http_throughput.py [--seconds 10] [--connections 32] [--workers 2]

Scenarios: the hello; `GET /v25.0/{page-id}?fields=id,name` with a Page token and appsecret_proof;
`GET /v25.0/debug_token` of a Page token with the app token; `fb_exchange_token` (a write each).
Every scenario gets a warm-up run first. Only successful answers count: any non-2xx answer or socket
error fails the run (exit 1). Results go to bench/results/latest.json under "http". Targets only
127.0.0.1; each wrk run is bounded in time.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pagetoken.authority import apps, issue, oauth, pages, users, validation  # noqa: E402
from pagetoken.authority.context import Authority, Settings  # noqa: E402
from pagetoken.core.permissions import PAGE_PERMISSIONS  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "latest.json"
UNLIMITED = {"PAGETOKEN_RATE_APP_LIMIT": "1000000000", "PAGETOKEN_RATE_USER_LIMIT": "1000000000",
             "PAGETOKEN_RATE_PAGE_LIMIT": "1000000000", "PAGETOKEN_RATE_TIME_SECONDS": "1000000000",
             "PAGETOKEN_RATE_CPU_SECONDS": "1000000000"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(url: str, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server at {url} exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"the server at {url} did not come up in {timeout:.0f} s")


def seed(data_dir: Path) -> dict[str, str]:
    """An app, its owner, a Page, a long-lived user token and a Page token, in a fresh data folder."""
    auth = Authority.open(Settings(data_dir=data_dir))
    try:
        user, _ = users.create(auth, "Bench Owner", "bench@example.com", "correct horse battery")
        app, secret = apps.create(auth, "Bench App", owner_id=user.id)
        page = pages.create(auth, "Bench Page", "Bakery", user.id)
        short = oauth.grant_and_token(auth, app, user.id, sorted(PAGE_PERMISSIONS), [], None).access_token
        with auth.store.write() as conn:
            long_token, _ = issue.extend(auth, conn, validation.resolve(auth, short, conn))
            page_token = issue.page_token_for_user(auth, conn, validation.resolve(auth, long_token, conn), page.id)
        app_token = oauth.client_credentials(auth, app, None).access_token
    finally:
        auth.close()
    assert page_token is not None
    return {"app_id": app.id, "secret": secret, "page_id": page.id, "user_token": long_token,
            "page_token": page_token, "app_token": app_token}


LATENCY = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str, seconds: float, connections: int) -> dict[str, float]:
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds:.0f}s", "--timeout", "10s", "--latency", url],
                         capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if bad or (errors and any(int(n) for n in errors.groups())):
        raise SystemExit(f"failed answers while measuring {url.split('?')[0]}:\n{out}")
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    lat = {m.group(1): float(m.group(2)) * UNIT[m.group(3)] for m in LATENCY.finditer(out)}
    if rate is None or "50" not in lat or "99" not in lat:
        raise SystemExit(f"could not read wrk's output:\n{out}")
    return {"req_s": float(rate.group(1)), "p50_ms": lat["50"], "p99_ms": lat["99"]}


def start(cmd: list[str], env: dict[str, str], url: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    wait_up(url, proc)
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk; `make bench` installs it)")
    bindir = Path(sys.executable).parent
    results: dict[str, dict[str, float]] = {}

    def measure(name: str, url: str) -> None:
        wrk(url, 2, args.connections)  # warm-up, not counted
        results[name] = wrk(url, args.seconds, args.connections)
        print(f"  {name:<18} {results[name]['req_s']:>9.0f} req/s   p50 {results[name]['p50_ms']:.2f} ms"
              f"   p99 {results[name]['p99_ms']:.2f} ms", flush=True)

    port = free_port()
    # The hello gets the same TCP_NODELAY as pagetoken's listener (uvicorn's multi-worker socket lacks it,
    # which would cap both at ~40 ms per answer and measure the kernel's delayed ACK, not the framework).
    hello = start([str(bindir / "uvicorn"), "bench.peers.hello:app", "--port", str(port), "--workers",
                   str(args.workers), "--log-level", "warning", "--http", "pagetoken.guards:HeaderTimeoutProtocol"],
                  {"PYTHONPATH": str(ROOT)}, f"http://127.0.0.1:{port}/")
    try:
        measure("hello", f"http://127.0.0.1:{port}/")
    finally:
        stop(hello)

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        s = seed(data)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {**UNLIMITED, "PAGETOKEN_DATA_DIR": str(data)}
        server = start([str(bindir / "pagetoken"), "--data-dir", str(data), "serve", "--port", str(port),
                        "--workers", str(args.workers), "--log-level", "warning"], env, f"{base}/healthz")
        try:
            proof = hmac.new(s["secret"].encode(), s["page_token"].encode(), hashlib.sha256).hexdigest()
            measure("page_read", f"{base}/v25.0/{s['page_id']}?" + urlencode(
                {"fields": "id,name", "access_token": s["page_token"], "appsecret_proof": proof}))
            measure("debug_token", f"{base}/v25.0/debug_token?" + urlencode(
                {"input_token": s["page_token"], "access_token": s["app_token"]}))
            measure("fb_exchange_token", f"{base}/oauth/access_token?" + urlencode(
                {"grant_type": "fb_exchange_token", "client_id": s["app_id"], "client_secret": s["secret"],
                 "fb_exchange_token": s["user_token"]}))
        finally:
            stop(server)

    ceiling = results["hello"]["req_s"]
    print(f"\n  {'scenario':<18} {'req/s':>9} {'ratio to hello':>15}")
    for name, r in results.items():
        r["ratio"] = round(r["req_s"] / ceiling, 4)
        print(f"  {name:<18} {r['req_s']:>9.0f} {r['ratio']:>15.3f}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    previous["http"] = {"machine": f"{os.cpu_count()} cores", "workers": args.workers,
                        "connections": args.connections, "seconds": args.seconds, "results": results,
                        "measured_at": int(time.time())}
    RESULTS.write_text(json.dumps(previous, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
