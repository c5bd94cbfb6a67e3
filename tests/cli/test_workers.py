"""`serve --workers N`: each worker listens on a socket of its own (SO_REUSEPORT), so a burst of
connections is spread over the workers instead of landing on whichever woke first; a worker that dies
is replaced on its socket without a connection being refused; SIGHUP replaces the workers, SIGTTIN and
SIGTTOU add and remove one, SIGTERM stops them all, and a worker that cannot start stops the server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from uvicorn.config import STARTUP_FAILURE

from pagetoken.cli import workers
from pagetoken.devtools.launch import free_port
from tests.support.servers import ProcessServer

pytestmark = pytest.mark.skipif(not workers.balanced(), reason="SO_REUSEPORT balancing is Linux's")

BURST = 32


CLOSED = "closed"


def burst(url: str, n: int = BURST) -> Counter[str]:
    """Open `n` connections at once, then ask one request on each: how many each worker answered, and
    how many were closed unanswered (`CLOSED`: what a worker stopping gracefully does to a connection
    it accepted and had no request on yet)."""
    host, port = url.removeprefix("http://").split(":")
    conns = [socket.create_connection((host, int(port)), timeout=10) for _ in range(n)]
    try:
        for conn in conns:
            conn.sendall(f"GET /healthz HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        answered: Counter[str] = Counter()
        for conn in conns:
            head = b""
            while b"\r\n\r\n" not in head and (chunk := _recv(conn)):
                head += chunk
            if not head:
                answered[CLOSED] += 1
                continue
            assert head.startswith(b"HTTP/1.1 200"), head
            worker = next(line.split(b":", 1)[1].strip() for line in head.split(b"\r\n")
                          if line.lower().startswith(b"x-pagetoken-worker:"))
            answered[worker.decode()] += 1
        return answered
    finally:
        for conn in conns:
            conn.close()


def _recv(conn: socket.socket) -> bytes:
    try:
        return conn.recv(4096)
    except ConnectionResetError:
        return b""


def worker_pids(srv: ProcessServer, workers: int = 2, timeout: float = 60) -> set[str]:
    """The workers answering once all `workers` listen (a worker's socket gets connections from the
    moment it listens, and the server answers `/healthz` as soon as the first one does)."""
    deadline = time.monotonic() + timeout
    while len(seen := set(burst(srv.url)) - {CLOSED}) < workers:
        assert time.monotonic() < deadline, f"only {seen} answered"
        time.sleep(0.1)
    return seen


def test_a_burst_of_connections_is_spread_over_every_worker(process_server_factory: type[ProcessServer],
                                                             tmp_path: Path) -> None:
    srv = process_server_factory(tmp_path / "data", workers=2).start()
    worker_pids(srv)
    for _ in range(3):
        answered = burst(srv.url)
        assert sum(answered.values()) == BURST and CLOSED not in answered
        # By the kernel's hash of each connection, every worker gets its share: at most 28 of 32 to one
        # (a 1-in-50,000 chance of failing by bad luck). With one socket shared, the first worker awake
        # accepts every connection waiting.
        assert len(answered) == 2 and min(answered.values()) >= 4, answered


def test_a_killed_worker_is_replaced_on_its_socket_and_no_connection_is_refused(
        process_server_factory: type[ProcessServer], tmp_path: Path) -> None:
    srv = process_server_factory(tmp_path / "data", workers=2).start()
    before = worker_pids(srv)
    assert len(before) == 2
    doomed = sorted(before)[0]
    os.kill(int(doomed), signal.SIGKILL)
    # Connections that reach the dead worker's socket wait for its replacement instead of being refused.
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: httpx.get(f"{srv.url}/healthz", timeout=30,
                                                    headers={"Connection": "close"}), range(24)))
    assert all(a.status_code == 200 for a in answers)
    after = worker_pids(srv)
    assert doomed not in after and len(after) == 2 and before - {doomed} <= after


def test_sighup_replaces_the_workers_and_sigterm_stops_them_all(process_server_factory: type[ProcessServer],
                                                               tmp_path: Path) -> None:
    srv = process_server_factory(tmp_path / "data", workers=2).start()
    assert srv.proc is not None
    before = worker_pids(srv)
    srv.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 60
    # Served all along (a connection the old worker had accepted, with no request on it yet, may be
    # closed as it stops, as on any graceful restart), by new workers at last.
    while (seen := set(burst(srv.url)) - {CLOSED}) & before or len(seen) < 2:
        assert time.monotonic() < deadline, f"still answered by {seen & before}"
    assert len(seen) == 2
    srv.proc.send_signal(signal.SIGTERM)
    assert srv.proc.wait(timeout=30) == 0
    for pid in seen:
        with pytest.raises(ProcessLookupError):
            os.kill(int(pid), 0)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{srv.url}/healthz", timeout=5)


def test_sigttin_adds_a_worker_and_sigttou_removes_one_but_never_the_last(
        process_server_factory: type[ProcessServer], tmp_path: Path) -> None:
    srv = process_server_factory(tmp_path / "data", workers=2).start()
    assert srv.proc is not None
    two = worker_pids(srv)
    srv.proc.send_signal(signal.SIGTTIN)
    three = worker_pids(srv, workers=3)
    assert two < three and len(three) == 3
    for _ in range(3):  # the third finds one worker left, and keeps it
        srv.proc.send_signal(signal.SIGTTOU)
        time.sleep(0.5)  # one at a time: a signal sent again before it is handled counts once
    deadline = time.monotonic() + 60
    while len(seen := set(burst(srv.url)) - {CLOSED}) != 1:
        assert time.monotonic() < deadline, f"still answered by {seen}"
    for _ in range(3):
        answered = burst(srv.url)
        assert set(answered) == seen and answered[next(iter(seen))] == BURST
    assert seen < three


def test_a_worker_that_cannot_start_stops_the_server(tmp_path: Path) -> None:
    code = (f"import sys; from uvicorn.config import Config; from pagetoken.cli.workers import Workers; "
            f"sys.exit(Workers(Config('tests.no_such_module:app', port={free_port()}, workers=2)).run())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == STARTUP_FAILURE, done.stderr
    assert "failed to start" in done.stderr


def test_serve_with_one_worker_or_elsewhere_runs_uvicorn_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[str] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **_kw: ran.append(app))
    assert workers.serve("x:app", workers=1) == 0
    monkeypatch.setattr(workers, "balanced", lambda: False)
    assert workers.serve("x:app", workers=3) == 0
    assert ran == ["x:app", "x:app"]


def test_the_sockets_share_one_port_and_a_plain_socket_cannot_take_it() -> None:
    port = free_port()
    first = workers.listener("127.0.0.1", port)
    second = workers.listener("127.0.0.1", port)
    plain = socket.socket()
    try:
        with pytest.raises(OSError):
            plain.bind(("127.0.0.1", port))  # without SO_REUSEPORT nothing else may bind it
        assert first.getsockname() == second.getsockname()
    finally:
        for sock in (first, second, plain):
            sock.close()
