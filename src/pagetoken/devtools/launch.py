"""Starting `pagetoken serve` as a subprocess on a free loopback port, for the pytest plugin and the test suite.

A subprocess tells nobody when it listens, so this is the one place that waits for that by asking: it
tries `/healthz`, and between tries waits on the process itself (so a server that exits, having failed
to bind its port, is noticed at once), all within a bound.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import httpx

POLL_SECONDS = 0.05


def free_port() -> int:
    """A loopback port that was free a moment ago, for a server that binds it itself (the caller retries
    with another one if something took it meanwhile)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(url: str, proc: subprocess.Popen[bytes] | subprocess.Popen[str], timeout: float = 60.0) -> bool:
    """True once `url`/healthz answers 200; False if `proc` exited first; RuntimeError past `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        try:
            proc.wait(timeout=POLL_SECONDS)
            return False
        except subprocess.TimeoutExpired:
            pass
    raise RuntimeError(f"server at {url} did not come up within {timeout} s")


def start_serve(command: Callable[[int], list[str]], log_path: Path, env: Mapping[str, str] | None = None,
                port: int | None = None, timeout: float = 60.0, attempts: int = 5
                ) -> tuple[subprocess.Popen[bytes], int]:
    """Run `command(port)` (a `pagetoken serve … --port PORT`), its output appended to `log_path`, until it
    answers; with another port when the one chosen was taken before the server could bind it.
    Returns the process and its port; RuntimeError, with the log's tail, when it never comes up."""
    port = port or free_port()
    for _attempt in range(attempts):
        with open(log_path, "ab") as log:
            proc = subprocess.Popen(command(port), stdout=log, stderr=subprocess.STDOUT,
                                    env=None if env is None else dict(env))
        try:
            if wait_until_up(f"http://127.0.0.1:{port}", proc, timeout):
                return proc, port
        except RuntimeError:
            stop(proc)
            raise RuntimeError(f"`pagetoken serve` did not start:\n{_tail(log_path)}") from None
        port = free_port()
    raise RuntimeError(f"`pagetoken serve` could not bind a port:\n{_tail(log_path)}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate, then kill if it does not go."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _tail(path: Path) -> str:
    try:
        return path.read_text(errors="replace")[-2000:]
    except OSError:
        return ""
