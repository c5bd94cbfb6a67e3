"""The client vault's rotation of N due tokens against a real `pagetoken serve`: total time and tokens/s.

    .venv/bin/python bench/vault_rotation.py [--tokens 10000] [--rotators 4] [--workers 2] [--results PATH]

N long-lived user tokens are bulk-loaded into the server's store (the rows `issue` writes), then put into
a SQLite vault (sealed writes, timed) with metadata of 60-day tokens that expire in 3 days, so every one is due
under the 7-day margin. `--rotators` threads, each with its own vault and client, run `rotate_due`: per
token a lease, `fb_exchange_token`, `debug_token`, the sealed write of the fresh token and the revocation
of the old one. The run fails (exit 1) unless every due token was rotated exactly once: one exchange per
old token (counted in the server's store), every old token revoked, no row left due. 127.0.0.1 only.
Results: "vault".
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import RESULTS, BenchFailure, pagetoken_server, save  # noqa: E402
from bench.scene import DAY, bulk_tokens, open_authority, seed  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from pagetoken.client import GraphClient, Rotator, StaticKeys, TokenInfo, Vault  # noqa: E402
from pagetoken.core.keyring import new_key  # noqa: E402
from pagetoken.store.tables import tokens as tokens_table  # noqa: E402


def rate(label: str, count: int, seconds: float) -> dict[str, float]:
    print(f"  {label:<30} {count:>7} in {seconds:7.2f} s   {count / seconds:9.0f}/s", flush=True)
    return {"count": count, "seconds": round(seconds, 3), "per_s": round(count / seconds, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tokens", type=int, default=10_000, help="due tokens in the vault")
    parser.add_argument("--rotators", type=int, default=2, help="rotating threads, one vault and client each")
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    n = max(1, min(args.tokens, 200_000))
    out: dict[str, Any] = {"tokens": n, "rotators": args.rotators, "workers": args.workers, "backend": "sqlite"}
    with tempfile.TemporaryDirectory(prefix="pagetoken-bench-") as tmp:
        folder = Path(tmp)
        auth = open_authority(folder / "data")
        try:
            scene = seed(auth)
            olds = list(bulk_tokens(auth, scene["app_id"], scene["user_id"], n))
            old_hashes = [auth.hash(t) for t in olds]
        finally:
            auth.close()
        url, key = f"sqlite:///{folder / 'vault.db'}", new_key()
        with pagetoken_server(folder / "data", args.workers) as server:
            base = server.url
            vault = Vault(url, StaticKeys([key]))
            soon = int(time.time() + 3 * DAY)  # a 60-day token with 3 days left: due under the 7-day margin
            issued = soon - int(60 * DAY)
            started = time.perf_counter()
            for i, token in enumerate(olds):
                vault.put(f"user-{i:06d}", token, TokenInfo(True, "USER", scene["app_id"], "Bench App",
                                                            scene["user_id"], "", ("pages_show_list",),
                                                            issued, soon, soon))
            out["sealed_writes"] = rate("sealed writes", n, time.perf_counter() - started)
            with GraphClient(base, app_id=scene["app_id"], app_secret=scene["secret"]) as client:
                due = len(Rotator(vault, client).due())
            outcomes: Counter[str] = Counter()
            lock = threading.Lock()

            def rotator() -> None:
                with Vault(url, StaticKeys([key])) as v, \
                        GraphClient(base, app_id=scene["app_id"], app_secret=scene["secret"]) as c:
                    done = Counter(o.action for o in Rotator(v, c).rotate_due())
                with lock:
                    outcomes.update(done)

            started = time.perf_counter()
            threads = [threading.Thread(target=rotator) for _ in range(args.rotators)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            out["rotation"] = rate(f"rotated by {args.rotators} rotators", outcomes["rotated"],
                                   time.perf_counter() - started)
            with GraphClient(base, app_id=scene["app_id"], app_secret=scene["secret"]) as client:
                still_due = len(Rotator(vault, client).due())
            vault.close()
        auth = open_authority(folder / "data")
        try:
            with auth.store.read() as conn:
                ids = select(tokens_table.c.id).where(tokens_table.c.hash.in_(old_hashes)).scalar_subquery()
                per_parent = conn.execute(select(tokens_table.c.parent_id, func.count()).where(
                    tokens_table.c.parent_id.in_(ids)).group_by(tokens_table.c.parent_id)).all()
                revoked = conn.execute(select(func.count()).where(tokens_table.c.hash.in_(old_hashes),
                                                                 tokens_table.c.revoked_at.is_not(None))).scalar_one()
        finally:
            auth.close()
    exchanged_once = sum(1 for _parent, count in per_parent if count == 1)
    other = {a: c for a, c in outcomes.items() if a not in ("rotated", "skipped")}  # skipped: another held it
    problems = []
    if due != n or outcomes["rotated"] != n or exchanged_once != n or len(per_parent) != n:
        problems.append(f"{due} due, {outcomes['rotated']} rotated, {exchanged_once} of {n} exchanged exactly once")
    if revoked != n or still_due or other:
        problems.append(f"{revoked} of {n} old tokens revoked, {still_due} still due, other outcomes {other}")
    if problems:
        raise BenchFailure("; ".join(problems))
    save(args.results, "vault", out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
