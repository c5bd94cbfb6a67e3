"""django-oauth-toolkit's introspection as the benchmark's peer: what a Python user would deploy instead of
`debug_token`. Installed into a throwaway venv of its own (build/bench-peers/dot-venv, rebuilt when
dotbench/requirements.txt changes), never into the project's; served by gunicorn with SQLite."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from bench.common import ROOT, BenchFailure, Server, free_port, measure

PEERS = Path(__file__).resolve().parent
REQUIREMENTS = PEERS / "dotbench" / "requirements.txt"
VENV = ROOT / "build" / "bench-peers" / "dot-venv"


def venv(path: Path = VENV) -> Path:
    """The peer's venv, built on first use (pip reaches the package registry); its python."""
    python = path / "bin" / "python"
    stamp = path / ".installed"
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted and python.exists():
        return python
    print(f"  installing django-oauth-toolkit into {path.relative_to(ROOT)} (once)", flush=True)
    try:
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(path)], check=True, capture_output=True, timeout=300)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r",
                        str(REQUIREMENTS)], check=True, capture_output=True, text=True, timeout=600)
    except subprocess.CalledProcessError as e:
        raise BenchFailure(f"could not install the django-oauth-toolkit peer: {e.stderr or e.stdout}") from e
    stamp.write_text(wanted)
    return python


def versions(python: Path) -> dict[str, str]:
    out = subprocess.run([str(python), "-c", "import importlib.metadata as m, json; print(json.dumps("
                          "{p: m.version(p) for p in ('django-oauth-toolkit', 'Django', 'gunicorn')}))"],
                         capture_output=True, text=True, check=True, timeout=60).stdout
    return dict(json.loads(out))


def measure_introspection(seconds: float, warmup: float, connections: int, workers: int,
                          folder: Path) -> dict[str, Any]:
    """req/s, p50 and p99 of `GET /o/introspect/?token=…` (Bearer token with the introspection scope)."""
    python = venv()
    folder.mkdir(parents=True, exist_ok=True)
    env = {"DOTBENCH_DB": str(folder / "dot.sqlite3"), "PYTHONPATH": str(PEERS)}
    made = subprocess.run([str(python), str(PEERS / "dotbench" / "setup_tokens.py")], capture_output=True, text=True,
                          env={**env, "PATH": str(python.parent)}, cwd=PEERS, timeout=300)
    if made.returncode != 0:
        raise BenchFailure(f"the django-oauth-toolkit peer could not set up its database:\n{made.stderr}")
    tokens = json.loads(made.stdout.strip().splitlines()[-1])
    port = free_port()
    cmd = [str(python.parent / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
           "--chdir", str(PEERS), "--log-level", "warning", "--no-control-socket", "dotbench.wsgi:application"]
    url = f"http://127.0.0.1:{port}/o/introspect/?" + urlencode({"token": tokens["token"]})
    headers = {"Authorization": f"Bearer {tokens['introspector']}"}
    server = Server(cmd, f"http://127.0.0.1:{port}/o/introspect/?token=probe", env, log=folder / "gunicorn.log")
    server.start(probe_headers=headers)
    try:
        answer = httpx.get(url, headers=headers, timeout=10)
        if answer.status_code != 200 or answer.json().get("active") is not True:
            raise BenchFailure(f"the peer does not find its token active: {answer.status_code} {answer.text}")
        result: dict[str, Any] = dict(measure(url, seconds, warmup, connections, headers))
    finally:
        server.stop()
    result["versions"] = versions(python)
    result["active"] = True
    return result
