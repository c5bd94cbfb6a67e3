"""How long until every other node refuses a revoked token: three `pagetoken serve` nodes on one
PostgreSQL (a throwaway cluster), a token revoked through the first, the others polled until they
answer 190. Reports the distribution; SPEC §4's bound is a quarter of a second.

    .venv/bin/python bench/revocation_nodes.py [--rounds 40] [--nodes 3] [--results PATH]

Targets only 127.0.0.1; every loop is bounded (a node that still accepts after 5 s fails the run).
Results go to bench/results/latest.json under "revocation".
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import RESULTS, UNLIMITED, BenchFailure, Postgres, save  # noqa: E402
from tests.support.servers import ProcessServer  # noqa: E402

from pagetoken.authority import apps, oauth, users  # noqa: E402
from pagetoken.authority.context import Authority, Settings  # noqa: E402

BOUND = 5.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--nodes", type=int, default=3)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--postgres", default=None, help="a PostgreSQL server URL to create the database on "
                        "(default: a throwaway cluster)")
    args = parser.parse_args(argv)
    if args.nodes < 2 or args.rounds < 1:
        parser.error("--nodes takes 2 or more, --rounds 1 or more")
    servers: list[ProcessServer] = []
    with Postgres(args.postgres) as pg, tempfile.TemporaryDirectory() as tmp:
        try:
            db_url = pg.database("revocation")
            data = Path(tmp) / "data"
            auth = Authority.open(Settings(data_dir=data, db_url=db_url))
            user, _ = users.create(auth, "Bench", None, "correct horse battery")
            app, _ = apps.create(auth, "Bench App")
            env = {**UNLIMITED, "PAGETOKEN_CACHE_SECONDS": "300"}  # only the change signal may empty the caches
            servers = [ProcessServer(data, env=env, db=db_url).start() for _ in range(args.nodes)]
            clients = [httpx.Client(base_url=s.url, timeout=10) for s in servers]
            seen: list[float] = []
            for _ in range(args.rounds):
                token = oauth.grant_and_token(auth, app, user.id, ["pages_show_list"], [], None).access_token
                for c in clients:
                    answer = c.get("/me", params={"access_token": token})
                    if answer.status_code != 200:
                        raise BenchFailure(f"a node refused a fresh token: {answer.status_code} {answer.text}")
                revoked = clients[0].delete("/oauth/access_token", params={"access_token": token})
                if revoked.status_code != 200:
                    raise BenchFailure(f"the revocation was refused: {revoked.status_code} {revoked.text}")
                start = time.perf_counter()
                for c in clients[1:]:
                    while (answer := c.get("/me", params={"access_token": token})).status_code == 200:
                        if time.perf_counter() - start > BOUND:
                            raise BenchFailure(f"a node still accepted the token {BOUND:.0f} s after its revocation")
                    seen.append(time.perf_counter() - start)
                    if answer.status_code != 400 or answer.json().get("error", {}).get("code") != 190:
                        raise BenchFailure(f"a node answered neither 200 nor 190: {answer.status_code} {answer.text}")
            for c in clients:
                c.close()
            auth.close()
        finally:
            for s in servers:
                s.stop()
    ms = sorted(x * 1000 for x in seen)
    summary = {"nodes": args.nodes, "samples": len(ms), "p50_ms": round(statistics.median(ms), 2),
               "p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 2), "max_ms": round(ms[-1], 2),
               "within_250ms": sum(1 for x in ms if x <= 250) / len(ms)}
    print(f"  revocation seen by every other node: p50 {summary['p50_ms']} ms, p99 {summary['p99_ms']} ms, "
          f"max {summary['max_ms']} ms, {summary['within_250ms']:.0%} within 250 ms ({len(ms)} samples)")
    save(args.results, "revocation", summary)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
