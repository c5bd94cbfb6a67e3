"""How fast is the hot path? Token validation in-process, and `GET /me` over loopback HTTP.

Each is measured twice, after a warm-up: cold (every validation reads the database: the caches are
emptied before each one, outside the timing) and warm (the same few tokens again and again, mostly
answered from the one-second validation cache). Only successful validations count; any failure is
reported and the script exits non-zero. Bounded loops, 127.0.0.1 only.
Usage: python bench/token_validation.py [--tokens N] [--lookups N] [--requests N] [--db URL]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.servers import InThread  # noqa: E402

from pagetoken.authority import apps, oauth, users, validation  # noqa: E402
from pagetoken.authority.context import Authority  # noqa: E402
from pagetoken.core.keyring import KeyRing, new_key  # noqa: E402
from pagetoken.server import build_app  # noqa: E402
from pagetoken.store.store import Store  # noqa: E402

WARM_SET = 50  # tokens the warm runs cycle through


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Run:
    """Latencies of the successful attempts, and how many failed."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.ok: list[float] = []
        self.failed = 0

    def time(self, attempt: Callable[[], bool], before: Callable[[], None] | None = None) -> None:
        if before is not None:
            before()
        start = time.perf_counter()
        try:
            good = attempt()
        except Exception:
            good = False
        elapsed = time.perf_counter() - start
        if good:
            self.ok.append(elapsed)
        else:
            self.failed += 1

    def report(self, unit: str = "µs", scale: float = 1e6) -> None:
        if not self.ok:
            print(f"{self.label}: no successful attempt, {self.failed} failed")
            return
        total = sum(self.ok)
        p50, p99 = statistics.median(self.ok) * scale, percentile(self.ok, 0.99) * scale
        print(f"{self.label}: {len(self.ok)} ok, {self.failed} failed, {len(self.ok) / total:,.0f}/s, "
              f"p50 {p50:.0f} {unit}, p99 {p99:.0f} {unit}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tokens", type=int, default=2000, help="tokens in the database")
    parser.add_argument("--lookups", type=int, default=5000, help="in-process validations per run")
    parser.add_argument("--requests", type=int, default=1500, help="HTTP requests per run")
    parser.add_argument("--db", default=None, help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    n_tokens, lookups, requests = (max(WARM_SET, min(args.tokens, 100_000)), max(1, min(args.lookups, 1_000_000)),
                                   max(1, min(args.requests, 100_000)))

    tmp = tempfile.mkdtemp(prefix="pagetoken-bench-")
    auth = Authority(Store.open(args.db or f"sqlite:///{tmp}/bench.db"), KeyRing([new_key()]))
    user, _ = users.create(auth, "Bench", None, "bench-password")
    app, _secret = apps.create(auth, "Bench")
    t0 = time.perf_counter()
    toks = [oauth.grant_and_token(auth, app, user.id, ["pages_show_list"], [], None).access_token
            for _ in range(n_tokens)]
    issue_s = time.perf_counter() - t0
    print(f"issued {n_tokens} user tokens in {issue_s:.2f}s ({n_tokens / issue_s:,.0f}/s)")

    def forget() -> None:
        auth.token_cache.clear()
        auth.app_cache.clear()

    def valid(token: str) -> bool:
        return bool(validation.resolve(auth, token).user_id)

    for token in toks[:200]:  # warm-up: connections, statements, imports
        valid(token)
    runs: list[Run] = []
    cold, warm = Run("validate in-process, cold (database every time)"), Run("validate in-process, warm (cached)")
    for i in range(lookups):
        cold.time(lambda i=i: valid(toks[i % n_tokens]), before=forget)
    for i in range(lookups):
        warm.time(lambda i=i: valid(toks[i % WARM_SET]))
    runs += [cold, warm]

    server = InThread(build_app(auth)).start()
    with httpx.Client(base_url=server.url) as client:
        def me(token: str) -> bool:
            return client.get("/v25.0/me", params={"access_token": token}).status_code == 200

        for token in toks[:200]:
            me(token)
        cold_http, warm_http = Run("GET /me over HTTP, cold"), Run("GET /me over HTTP, warm")
        for i in range(requests):
            cold_http.time(lambda i=i: me(toks[i % n_tokens]), before=forget)
        for i in range(requests):
            warm_http.time(lambda i=i: me(toks[i % WARM_SET]))
    runs += [cold_http, warm_http]
    server.stop()
    auth.close()
    for run in runs[:2]:
        run.report()
    for run in runs[2:]:
        run.report("ms", 1e3)
    failed = sum(r.failed for r in runs)
    if failed:
        print(f"FAILED: {failed} validations did not succeed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
