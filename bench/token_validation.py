"""How fast is the hot path? Token validation in-process, and `GET /me` over loopback HTTP.

Prints figures; asserts nothing. Bounded loops, 127.0.0.1 only.
Usage: python bench/token_validation.py [--tokens N] [--lookups N] [--requests N] [--db URL]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.servers import InThread  # noqa: E402

from pagetoken.authority import apps, inspect, oauth, users  # noqa: E402
from pagetoken.authority.context import Authority  # noqa: E402
from pagetoken.core.keyring import KeyRing, new_key  # noqa: E402
from pagetoken.server import build_app  # noqa: E402
from pagetoken.store.store import Store  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tokens", type=int, default=2000, help="tokens in the database")
    parser.add_argument("--lookups", type=int, default=5000, help="in-process validations")
    parser.add_argument("--requests", type=int, default=1500, help="HTTP requests")
    parser.add_argument("--db", default=None, help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="pagetoken-bench-")
    auth = Authority(Store.open(args.db or f"sqlite:///{tmp}/bench.db"), KeyRing([new_key()]))
    user, _ = users.create(auth, "Bench", None, "bench-password")
    app, _secret = apps.create(auth, "Bench")
    t0 = time.perf_counter()
    toks = [oauth.grant_and_token(auth, app, user.id, ["pages_show_list"], [], None).access_token
            for _ in range(args.tokens)]
    issue_s = time.perf_counter() - t0
    print(f"issued {args.tokens} user tokens in {issue_s:.2f}s ({args.tokens / issue_s:,.0f}/s)")

    lat = []
    for i in range(args.lookups):
        start = time.perf_counter()
        inspect.resolve(auth, toks[i % len(toks)])
        lat.append(time.perf_counter() - start)
    total = sum(lat)
    print(f"validated {args.lookups} tokens in-process: {args.lookups / total:,.0f}/s, "
          f"p50 {statistics.median(lat) * 1e6:.0f} µs, p99 {percentile(lat, 0.99) * 1e6:.0f} µs")

    server = InThread(build_app(auth)).start()
    url = server.url
    lat = []
    with httpx.Client(base_url=url) as client:
        for i in range(args.requests):
            start = time.perf_counter()
            r = client.get("/v25.0/me", params={"access_token": toks[i % len(toks)]})
            lat.append(time.perf_counter() - start)
            assert r.status_code == 200
    total = sum(lat)
    print(f"GET /me over HTTP, one client: {args.requests / total:,.0f} req/s, "
          f"p50 {statistics.median(lat) * 1e3:.2f} ms, p99 {percentile(lat, 0.99) * 1e3:.2f} ms")
    server.stop()
    auth.close()


if __name__ == "__main__":
    main()
