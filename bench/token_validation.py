"""Validation latency with 10k, 100k and 1M tokens stored, and the server's memory at each size.

    .venv/bin/python bench/token_validation.py [--sizes 10000,100000,1000000] [--cold 2000] [--warm 2000]
        [--workers 2] [--results PATH]

Tokens are bulk-loaded straight into the store's table (executemany, exactly the row `issue` writes:
keyed hash, fingerprint, kind, scopes…), growing the same SQLite store from one size to the next. At
each size a fresh `pagetoken serve` (`--workers` processes) answers `GET /v25.0/me?fields=id` over one
wrk connection (so one server process) walking: a warm-up of distinct tokens (not counted); `--cold`
distinct random stored tokens, each the server's first sight of it (cold: a database read); then
`--warm` validations cycling 100 of those, now in that process's cache (warm). Latency is timed per
request inside wrk (bench/validate.lua). Then VmRSS of every server process (/proc/PID/status). Any
answer other than 200 fails the run (exit 1). 127.0.0.1 only; every run is bounded. Results: "validation".
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import RESULTS, BenchFailure, pagetoken_server, require_wrk, rss_mb, save  # noqa: E402
from bench.scene import bulk_tokens, open_authority, seed  # noqa: E402

SCRIPT = Path(__file__).resolve().parent / "validate.lua"
WARM_SET = 100
WARM_UP = 300


def walk(url: str, prefix: str, sequence: list[tuple[str, str]], folder: Path, bound: float) -> dict[str, Any]:
    """Run wrk over `sequence` of (phase, token) on one connection; the per-phase figures it prints."""
    listing = folder / "sequence.txt"
    listing.write_text("".join(f"{phase} {token}\n" for phase, token in sequence))
    cmd = [require_wrk(), "-t1", "-c1", f"-d{int(bound)}s", "--timeout", "10s", "-s", str(SCRIPT), url, "--",
           str(listing), prefix]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    result: dict[str, Any] | None = None
    deadline = time.monotonic() + bound
    for line in proc.stdout:  # ends when wrk ends (at -d at the latest)
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT "):])
            proc.send_signal(signal.SIGINT)  # wrk stops its loop and prints its summary
            break
        if time.monotonic() > deadline:
            break
    rest, err = proc.communicate(timeout=60)
    if result is None:
        raise BenchFailure(f"wrk did not finish the {len(sequence)} validations within {bound:.0f} s:\n{rest}{err}")
    if result["failed"]:
        raise BenchFailure(f"{result['failed']} of {len(sequence)} validations were refused")
    for phase, label in (("c", "cold"), ("h", "warm")):
        if result[label]["n"] != sum(1 for p, _t in sequence if p == phase):
            raise BenchFailure(f"{result[label]['n']} {label} answers counted for "
                               f"{sum(1 for p, _t in sequence if p == phase)} {label} validations")
    if "Socket errors" in rest:
        raise BenchFailure(f"socket errors while validating:\n{rest}")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="tokens stored, comma-separated, growing")
    parser.add_argument("--cold", type=int, default=2000, help="distinct tokens validated cold at each size")
    parser.add_argument("--warm", type=int, default=2000, help="warm validations at each size")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    if sizes != sorted(sizes) or sizes[0] < 1 or sizes[-1] > 5_000_000:
        parser.error("--sizes must grow, from 1 to 5,000,000")
    require_wrk()
    need = WARM_UP + args.cold
    rng = random.Random(9)
    out: dict[str, Any] = {"workers": args.workers, "cold_count": args.cold, "warm_count": args.warm,
                           "endpoint": "GET /v25.0/me?fields=id", "backend": "sqlite", "sizes": {}}
    with tempfile.TemporaryDirectory(prefix="pagetoken-bench-") as tmp:
        folder = Path(tmp)
        auth = open_authority(folder / "data")
        scene = seed(auth)
        kept: list[str] = []
        stored = 0
        try:
            for size in sizes:
                # Keep one stored token in `keep` (up to ~250k kept): enough to sample from at every size.
                keep = max(1, min(size // (need * 2), 4))
                added, started = size - stored, time.perf_counter()
                kept.extend(bulk_tokens(auth, scene["app_id"], scene["user_id"], added, keep_every=keep))
                load_s = time.perf_counter() - started
                print(f"  stored {size:>9,} tokens (+{added:,} in {load_s:.1f} s)", flush=True)
                stored = size
                picked = rng.sample(kept, min(need, len(kept)))
                if len(picked) < need:
                    raise BenchFailure(f"{size} stored tokens are too few for {need} distinct validations")
                cold = picked[WARM_UP:]
                sequence = [("w", t) for t in picked[:WARM_UP]] + [("c", t) for t in cold]
                sequence += [("h", cold[i % WARM_SET]) for i in range(args.warm)]
                with pagetoken_server(folder / "data", args.workers) as server:
                    prefix = "/v25.0/me?fields=id&access_token="
                    figures = walk(server.url, prefix, sequence, folder, bound=60 + len(sequence) * 0.05)
                    rss = rss_mb(server.pid)
                row = {"cold_p50_ms": round(figures["cold"]["p50_us"] / 1000, 3),
                       "cold_p99_ms": round(figures["cold"]["p99_us"] / 1000, 3),
                       "warm_p50_ms": round(figures["warm"]["p50_us"] / 1000, 3),
                       "warm_p99_ms": round(figures["warm"]["p99_us"] / 1000, 3),
                       "rss_mb_total": round(sum(rss.values()), 1), "rss_mb_max": max(rss.values()),
                       "rss_mb_processes": rss,
                       "load_rows_per_s": round(added / max(load_s, 1e-9))}
                out["sizes"][str(size)] = row
                print(f"  {size:>9,} stored: cold p50 {row['cold_p50_ms']:.2f} ms p99 {row['cold_p99_ms']:.2f} ms,"
                      f" warm p50 {row['warm_p50_ms']:.2f} ms p99 {row['warm_p99_ms']:.2f} ms; RSS "
                      f"{row['rss_mb_total']:.0f} MB in {len(rss)} processes (largest {row['rss_mb_max']:.0f} MB)",
                      flush=True)
        finally:
            auth.close()
    save(args.results, "validation", out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
