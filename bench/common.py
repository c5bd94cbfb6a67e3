"""What every benchmark shares: real server processes on 127.0.0.1, wrk and its strict reading (only
successful answers count; any failed answer fails the run), process memory, the machine, the results file.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "latest.json"
BIN = Path(sys.executable).parent
# Rate limits raised out of the way: the benchmarks measure the request path, not the limiter's refusals.
UNLIMITED = {"PAGETOKEN_RATE_APP_LIMIT": "1000000000", "PAGETOKEN_RATE_USER_LIMIT": "1000000000",
             "PAGETOKEN_RATE_PAGE_LIMIT": "1000000000", "PAGETOKEN_RATE_TIME_SECONDS": "1000000000",
             "PAGETOKEN_RATE_CPU_SECONDS": "1000000000", "PAGETOKEN_LOG_LEVEL": "WARNING"}


class BenchFailure(SystemExit):
    """A failed answer, a server that would not start, output that could not be read: the run fails (exit 1)."""

    def __init__(self, message: str) -> None:
        super().__init__(f"FAILED: {message}")


def require_wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise BenchFailure("wrk is not installed (Debian: apt-get install wrk; `make bench` installs it)")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def machine() -> dict[str, Any]:
    """Cores, CPU model and RAM of this machine, as the results record them."""
    model = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.M)
        model = found.group(1).strip() if found else model
    ram_mb = 0
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        found = re.search(r"^MemTotal:\s+(\d+) kB", meminfo.read_text(), re.M)
        ram_mb = int(found.group(1)) // 1024 if found else 0
    return {"cores": os.cpu_count(), "cpu": model, "ram_mb": ram_mb, "python": sys.version.split()[0],
            "load_1m": round(os.getloadavg()[0], 2)}


def save(results_path: Path, key: str, value: dict[str, Any]) -> None:
    """Write one benchmark's figures under `key`, keeping the others', with the machine they ran on."""
    results_path.parent.mkdir(parents=True, exist_ok=True)
    previous = json.loads(results_path.read_text()) if results_path.exists() else {}
    previous[key] = {**value, "machine": machine(), "measured_at": int(time.time())}
    results_path.write_text(json.dumps(previous, indent=2) + "\n")


class Postgres:
    """A PostgreSQL to benchmark on: the one at `url` (its maintenance database) when given, else a throwaway
    cluster (initdb + pg_ctl in a temporary folder, as the postgres user when root) stopped at the end."""

    def __init__(self, url: str | None = None) -> None:
        self.url, self.cluster = url, None

    def __enter__(self) -> Postgres:
        if self.url is None:
            from tests.support.postgres import Cluster

            self.cluster = Cluster().start()
            self.url = self.cluster.url
        return self

    def database(self, prefix: str) -> str:
        """A new, empty database; its URL."""
        import uuid

        import psycopg

        assert self.url is not None
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url.rsplit("/", 1)[0] + "/" + name

    def __exit__(self, *_exc: object) -> None:
        if self.cluster is not None:
            self.cluster.stop()


# ---- servers ----

class Server:
    """A server process (its output in a log file), up once `probe` answers 2xx."""

    def __init__(self, cmd: list[str], probe: str, env: dict[str, str] | None = None, cwd: Path = ROOT,
                 log: Path | None = None, url: str = "") -> None:
        self.cmd, self.probe, self.env, self.cwd = cmd, probe, env or {}, cwd
        self.url = url  # where to send requests, when it is not just the probe's origin
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0, probe_headers: dict[str, str] | None = None) -> Server:
        log = open(self.log, "ab") if self.log else None  # noqa: SIM115 - the process owns it
        self.proc = subprocess.Popen(self.cmd, env={**os.environ, **self.env}, cwd=self.cwd,
                                     stdout=log or subprocess.DEVNULL, stderr=subprocess.STDOUT)
        if log is not None:
            log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchFailure(f"{self.cmd[0]} exited with {self.proc.returncode} before answering "
                                   f"{self.probe}" + (f"; see {self.log}" if self.log else ""))
            try:
                if httpx.get(self.probe, headers=probe_headers, timeout=1.0).is_success:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise BenchFailure(f"{self.probe} did not answer within {timeout:.0f} s")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def pagetoken_server(data_dir: Path, workers: int, db_url: str | None = None,
                     env: dict[str, str] | None = None) -> Server:
    """`pagetoken serve` on a free loopback port with `workers` processes, rate limits out of the way."""
    port = free_port()
    cmd = [str(BIN / "pagetoken"), "--data-dir", str(data_dir)]
    if db_url:
        cmd += ["--db", db_url]
    cmd += ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--log-level", "warning"]
    return Server(cmd, f"http://127.0.0.1:{port}/healthz", {**UNLIMITED, **(env or {})}, log=data_dir / "server.log",
                  url=f"http://127.0.0.1:{port}")


def process_tree(pid: int) -> list[int]:
    """`pid` and every process below it (a server's workers), from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def rss_mb(pid: int) -> dict[str, float]:
    """VmRSS in MB (from /proc/PID/status) of `pid` and of every process below it, by role: "supervisor"
    (`pid` itself), "worker N", or what else it is (multiprocessing's resource tracker)."""
    out: dict[str, float] = {}
    workers = 0
    for p in process_tree(pid):
        try:
            found = re.search(r"^VmRSS:\s+(\d+) kB", Path(f"/proc/{p}/status").read_text(), re.M)
            cmdline = Path(f"/proc/{p}/cmdline").read_text().replace("\0", " ")
        except OSError:
            continue  # it ended meanwhile
        if not found:
            continue
        if p == pid:
            role = "supervisor"
        elif "resource_tracker" in cmdline:
            role = "resource tracker"
        else:
            workers += 1
            role = f"worker {workers}"
        out[role] = round(int(found.group(1)) / 1024, 1)
    return out


# ---- wrk ----

LATENCY = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str, seconds: float, connections: int, headers: dict[str, str] | None = None,
        script: Path | None = None) -> dict[str, float]:
    """One bounded wrk run: req/s, p50 and p99 in ms. Any non-2xx answer or socket error fails the run.
    `script`: a wrk Lua script that makes the requests (bench/fresh.lua: each one new)."""
    if not url.startswith("http://127.0.0.1:"):
        raise BenchFailure(f"benchmarks target 127.0.0.1 only, not {url.split('?')[0]}")
    cmd = [require_wrk(), "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s", "--latency"]
    for name, value in (headers or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    if script is not None:
        cmd += ["-s", str(script)]
    done = subprocess.run([*cmd, url], capture_output=True, text=True, timeout=seconds + 60)
    out = done.stdout
    where = url.split("?")[0]
    if done.returncode != 0:
        raise BenchFailure(f"wrk exited with {done.returncode} on {where}:\n{out}{done.stderr}")
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if bad or (errors and any(int(n) for n in errors.groups())):
        raise BenchFailure(f"failed answers while measuring {where}:\n{out}")
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    lat = {m.group(1): float(m.group(2)) * UNIT[m.group(3)] for m in LATENCY.finditer(out)}
    if rate is None or total is None or "50" not in lat or "99" not in lat:
        raise BenchFailure(f"could not read wrk's output:\n{out}")
    if int(total.group(1)) == 0:
        raise BenchFailure(f"no answer at all from {where}")
    return {"req_s": round(float(rate.group(1)), 1), "p50_ms": round(lat["50"], 3), "p99_ms": round(lat["99"], 3),
            "requests": int(total.group(1))}


def measure(url: str, seconds: float, warmup: float, connections: int,
            headers: dict[str, str] | None = None, script: Path | None = None) -> dict[str, float]:
    """A warm-up run (not counted), then the measured one."""
    if warmup > 0:
        wrk(url, warmup, connections, headers, script)
    return wrk(url, seconds, connections, headers, script)


def show(name: str, r: dict[str, Any]) -> None:
    print(f"  {name:<34} {r['req_s']:>9.0f} req/s   p50 {r['p50_ms']:7.2f} ms   p99 {r['p99_ms']:7.2f} ms", flush=True)
