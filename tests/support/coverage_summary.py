"""The end of `make test`: line and branch coverage, each on its own, from the run's coverage data.

coverage's own TOTAL mixes lines and branches into one figure; the project's bar is on lines (at least
95%), with branches reported beside them. Exits 1 below the bar.

    python -m tests.support.coverage_summary [--lines 95]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

REPORT = Path("build/coverage/coverage.json")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=float, default=95.0, help="the least share of lines covered, in percent")
    args = parser.parse_args(argv)
    subprocess.run([sys.executable, "-m", "coverage", "json", "-q", "-o", str(REPORT)], check=True)
    totals = json.loads(REPORT.read_text())["totals"]
    lines = 100.0 * totals["covered_lines"] / max(1, totals["num_statements"])
    branches = 100.0 * totals["covered_branches"] / max(1, totals["num_branches"])
    print(f"coverage: lines {lines:.1f}% ({totals['covered_lines']}/{totals['num_statements']}), "
          f"branches {branches:.1f}% ({totals['covered_branches']}/{totals['num_branches']}); "
          f"lines needed: {args.lines:.0f}%")
    if lines < args.lines:
        print(f"coverage: lines below {args.lines:.0f}%", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
