"""How fast is the vault? Sealed writes and reads, the due scan, and a rotation pass by N workers.

Prints figures; exits non-zero unless every due token was rotated exactly once.
Bounded loops, 127.0.0.1 only (a stand-in Graph from the tests).
Usage: python bench/vault_rotation.py [--tokens N] [--workers N] [--db URL]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.client.fakegraph import FakeGraph  # noqa: E402

from pagetoken.client import GraphClient, Rotator, StaticKeys, ValidToken, Vault  # noqa: E402
from pagetoken.core.clock import ManualClock  # noqa: E402
from pagetoken.core.keyring import new_key  # noqa: E402

DAY = 86400


def rate(label: str, count: int, seconds: float) -> None:
    print(f"{label:<34} {count:>6} in {seconds:6.2f} s   {count / seconds:9.0f}/s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tokens", type=int, default=300, help="tokens in the vault")
    parser.add_argument("--workers", type=int, default=4, help="rotating workers (threads, one vault each)")
    parser.add_argument("--db", default=None, help="vault URL (default: SQLite in a temporary folder)")
    args = parser.parse_args()

    url = args.db or f"sqlite:///{Path(tempfile.mkdtemp()) / 'vault.db'}"
    key = new_key()
    clock = ManualClock(1_800_000_000.0)
    graph = FakeGraph(clock=clock).start()
    try:
        vault = Vault(url, StaticKeys([key]), clock)
        tokens = [graph.user_token() for _ in range(args.tokens)]
        started = time.perf_counter()
        for i, token in enumerate(tokens):
            t = graph.tokens[token]
            vault.put(f"u{i:05d}", token, ValidToken(True, "USER", graph.app_id, "", t.user_id, "", t.scopes,
                                                    t.issued_at, t.expires_at, t.data_access_expires_at))
        rate("sealed writes", len(tokens), time.perf_counter() - started)
        started = time.perf_counter()
        for i in range(len(tokens)):
            vault.token(f"u{i:05d}")
        rate("sealed reads", len(tokens), time.perf_counter() - started)

        clock.advance(55 * DAY)
        with GraphClient(graph.url, app_id=graph.app_id, app_secret=graph.secret) as client:
            started = time.perf_counter()
            due = Rotator(vault, client).due()
            rate("due scan (rows scanned)", args.tokens, time.perf_counter() - started)
        print(f"{'due':<34} {len(due):>6}")

        outcomes: list[str] = []

        def worker() -> None:
            with Vault(url, StaticKeys([key]), clock) as v, \
                    GraphClient(graph.url, app_id=graph.app_id, app_secret=graph.secret) as c:
                outcomes.extend(o.action for o in Rotator(v, c).rotate_due())

        started = time.perf_counter()
        threads = [threading.Thread(target=worker) for _ in range(args.workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        rotated = outcomes.count("rotated")
        rate(f"rotated by {args.workers} workers", rotated, time.perf_counter() - started)
        twice = sum(1 for token in tokens if graph.exchanges[token] > 1)
        print(f"{'exchanged more than once':<34} {twice:>6}")
        vault.close()
    finally:
        graph.stop()
    other = [a for a in outcomes if a not in ("rotated", "skipped")]  # skipped: another worker held its lease
    if rotated != len(due) or twice or other:
        print(f"FAILED: {rotated} of {len(due)} due tokens rotated, {twice} exchanged twice, other outcomes "
              f"{sorted(set(other))}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
