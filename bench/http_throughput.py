"""Graph calls per second against real `pagetoken serve` processes, with wrk, each as a ratio to a bare
Starlette "hello" on uvicorn measured in the same run (the framework's ceiling on this machine), on SQLite
and on PostgreSQL (a throwaway cluster); and `debug_token` beside django-oauth-toolkit's introspection.

    .venv/bin/python bench/http_throughput.py [--seconds 6] [--warmup 2] [--connections 32] [--workers 2]
        [--backends sqlite,postgresql] [--no-dot] [--results PATH]

Scenarios: the hello (served as pagetoken is: uvicorn's httptools with the same guards, a listening
socket per worker);
`GET /v25.0/{page-id}?fields=id,name` with a Page token and appsecret_proof;
`GET /v25.0/{page-id}/feed?limit=25` (25 posts) with the Page token;
`GET /v25.0/debug_token` of a Page token with the app token (these two again with every request new,
`&bench_n=<counter>` appended by bench/fresh.lua, so that none is a kept answer given again);
`fb_exchange_token` of a long-lived user
token (a write each); the app-token Page exchanges: `GET /{page-id}?fields=access_token` with the app
token and appsecret_proof (long-lived), and `client_credentials` with `page_id` (short-lived); and the
peer, django-oauth-toolkit's `/o/introspect/` on gunicorn (SQLite, as many workers), in its own venv.
Every scenario gets a warm-up run first. Only successful answers count: any non-2xx answer or socket
error fails the run (exit 1). Results go under "http". Targets only 127.0.0.1; every run is bounded.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    BIN,
    RESULTS,
    ROOT,
    Postgres,
    Server,
    free_port,
    measure,
    pagetoken_server,
    require_wrk,
    save,
    show,
)
from bench.peers import dot  # noqa: E402
from bench.scene import open_authority, seed  # noqa: E402

# Scenarios measured again with every request new (bench/fresh.lua), so none is answered from memory.
FRESH = ("page_read", "debug_token")
FRESH_LUA = Path(__file__).resolve().parent / "fresh.lua"


def proof(secret: str, token: str) -> str:
    return hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()


def urls(base: str, s: dict[str, str]) -> dict[str, str]:
    """Each scenario's URL on a server at `base` seeded with `s`."""
    return {
        "page_read": f"{base}/v25.0/{s['page_id']}?" + urlencode(
            {"fields": "id,name", "access_token": s["page_token"], "appsecret_proof": proof(s["secret"],
                                                                                             s["page_token"])}),
        "page_feed": f"{base}/v25.0/{s['page_id']}/feed?" + urlencode({"limit": "25", "access_token": s["page_token"]}),
        "debug_token": f"{base}/v25.0/debug_token?" + urlencode(
            {"input_token": s["page_token"], "access_token": s["app_token"]}),
        "fb_exchange_token": f"{base}/oauth/access_token?" + urlencode(
            {"grant_type": "fb_exchange_token", "client_id": s["app_id"], "client_secret": s["secret"],
             "fb_exchange_token": s["user_token"]}),
        "app_page_token": f"{base}/v25.0/{s['page_id']}?" + urlencode(
            {"fields": "access_token", "access_token": s["app_token"],
             "appsecret_proof": proof(s["secret"], s["app_token"])}),
        "client_credentials_page": f"{base}/oauth/access_token?" + urlencode(
            {"grant_type": "client_credentials", "client_id": s["app_id"], "client_secret": s["secret"],
             "page_id": s["page_id"]}),
    }


def hello(args: argparse.Namespace) -> dict[str, float]:
    port = free_port()
    # The hello is served as `pagetoken serve` is (bench/peers/hello.py): the same HTTP protocol and its
    # TCP_NODELAY (without it both would be capped at ~40 ms per answer by the kernel's delayed ACK), a
    # listening socket per worker, and, like `pagetoken serve` at warning, no access log.
    cmd = [str(BIN / "python"), "-m", "bench.peers.hello", "--port", str(port), "--workers", str(args.workers)]
    with Server(cmd, f"http://127.0.0.1:{port}/", {"PYTHONPATH": str(ROOT)}):
        return measure(f"http://127.0.0.1:{port}/", args.seconds, args.warmup, args.connections)


def pagetoken_runs(args: argparse.Namespace, backend: str, tmp: Path) -> dict[str, dict[str, float]]:
    """Every scenario against `pagetoken serve` on one backend."""
    if backend == "postgresql":
        with Postgres(args.postgres) as pg:
            return scenarios(args, backend, tmp / backend, pg.database("bench"))
    return scenarios(args, backend, tmp / backend, None)


def scenarios(args: argparse.Namespace, backend: str, data: Path, db_url: str | None) -> dict[str, dict[str, float]]:
    auth = open_authority(data, db_url)
    try:
        scene = seed(auth)
    finally:
        auth.close()
    out: dict[str, dict[str, float]] = {}
    with pagetoken_server(data, args.workers, db_url) as server:
        every = urls(server.url, scene)
        for name, url in every.items():
            out[name] = measure(url, args.seconds, args.warmup, args.connections)
            show(f"{name} ({backend})", out[name])
        for name in FRESH:  # the same calls, each request new: no answer given again from memory
            out[f"{name}_fresh"] = measure(every[name], args.seconds, args.warmup, args.connections, script=FRESH_LUA)
            show(f"{name}, each new ({backend})", out[f"{name}_fresh"])
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="each measured wrk run")
    parser.add_argument("--warmup", type=float, default=2.0, help="the warm-up run before each (not counted)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="server processes of each server")
    parser.add_argument("--backends", default="sqlite,postgresql", help="sqlite, postgresql or both")
    parser.add_argument("--no-dot", action="store_true", help="leave out django-oauth-toolkit")
    parser.add_argument("--postgres", default=None, help="a PostgreSQL server URL to create the database on "
                        "(default: a throwaway cluster)")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    require_wrk()
    backends = [b for b in args.backends.split(",") if b]
    if not backends or set(backends) - {"sqlite", "postgresql"}:
        parser.error("--backends takes sqlite, postgresql or both")

    results: dict[str, Any] = {}
    results["hello"] = hello(args)
    show("hello (bare Starlette)", results["hello"])
    tmp = Path(tempfile.mkdtemp(prefix="pagetoken-bench-"))
    try:
        for backend in backends:
            for name, r in pagetoken_runs(args, backend, tmp).items():
                results[f"{name}.{backend}"] = r
        if not args.no_dot:
            results["dot_introspection"] = dot.measure_introspection(args.seconds, args.warmup, args.connections,
                                                                     args.workers, tmp / "dot")
            show("django-oauth-toolkit introspection", results["dot_introspection"])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    ceiling = results["hello"]["req_s"]
    for r in results.values():
        r["ratio"] = round(r["req_s"] / ceiling, 4)
    summary: dict[str, Any] = {"workers": args.workers, "connections": args.connections, "seconds": args.seconds,
                               "warmup": args.warmup, "results": results}
    if "dot_introspection" in results:
        summary["debug_token_vs_dot"] = {
            b: round(results[f"debug_token.{b}"]["req_s"] / results["dot_introspection"]["req_s"], 2)
            for b in backends}
        print(f"  debug_token ÷ django-oauth-toolkit introspection: {summary['debug_token_vs_dot']}")
    print(f"\n  {'scenario':<34} {'req/s':>9} {'ratio to hello':>15}")
    for name, r in results.items():
        print(f"  {name:<34} {r['req_s']:>9.0f} {r['ratio']:>15.3f}")
    save(args.results, "http", summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
