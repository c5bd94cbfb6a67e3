"""`make bench`: every benchmark of the hot path, then docs/PERFORMANCE.md and its plot.

    .venv/bin/python bench/run.py [--only http,validation,vault,revocation,report] [--results PATH]

Groups (`make bench BENCH=http,validation` runs a subset; the report is rewritten from what the
results file holds, so figures of groups not run are kept from their last run):
  http        hello, Page read, Page feed, debug_token, fb_exchange_token and the app-token Page
              exchanges on SQLite and PostgreSQL, and django-oauth-toolkit's introspection (~4 min)
  validation  validation latency, cold and warm, and server RSS with 10k, 100k and 1M tokens (~4 min)
  vault       the client vault rotating 10k due tokens against a real server (~3 to 7 min)
  revocation  a revocation seen by every other node, three nodes on one PostgreSQL (~1 min)
  report      docs/PERFORMANCE.md and docs/images/performance.png from bench/results/latest.json

Any failed answer in any benchmark stops the run with exit status 1 (the report is not rewritten).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import RESULTS  # noqa: E402

HERE = Path(__file__).resolve().parent
GROUPS = {
    "http": "http_throughput.py",
    "validation": "token_validation.py",
    "vault": "vault_rotation.py",
    "revocation": "revocation_nodes.py",
    "report": "report.py",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 2)[2],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="all", help="comma-separated groups (default: all)")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    wanted = list(GROUPS) if args.only in ("", "all") else [g.strip() for g in args.only.split(",") if g.strip()]
    unknown = [g for g in wanted if g not in GROUPS]
    if unknown:
        parser.error(f"unknown group(s) {', '.join(unknown)}; choose from {', '.join(GROUPS)} or all")
    started = time.monotonic()
    for group in wanted:
        print(f"== {group} (bench/{GROUPS[group]})", flush=True)
        t0 = time.monotonic()
        code = subprocess.run([sys.executable, str(HERE / GROUPS[group]), "--results", str(args.results)]).returncode
        if code != 0:
            print(f"== {group} FAILED (exit {code}); stopping", file=sys.stderr)
            return 1
        print(f"== {group}: {time.monotonic() - t0:.0f} s", flush=True)
    print(f"== all done in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
