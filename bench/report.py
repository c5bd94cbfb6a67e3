"""Write docs/PERFORMANCE.md and its plot (docs/images/performance.png) from bench/results/latest.json.

    .venv/bin/python bench/report.py [--results PATH] [--out docs/PERFORMANCE.md] [--image docs/images/performance.png]

Every figure in the results goes into a table with its ratio to the hello and its target (issue
"The hot path at the framework's ceiling"), and whether the target is met. Generated: edit this
script, not the page.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import RESULTS, ROOT  # noqa: E402

NAMES = {
    "hello": "bare Starlette hello on uvicorn, httptools, a listening socket per worker (the ceiling)",
    "page_read": "`GET /v25.0/{page-id}?fields=id,name`, Page token + appsecret_proof",
    "page_read_fresh": "the same Page read, each request new (nothing given again from memory)",
    "page_feed": "`GET /v25.0/{page-id}/feed?limit=25`, Page token",
    "debug_token": "`GET /v25.0/debug_token` of a Page token, app token",
    "debug_token_fresh": "the same `debug_token`, each request new (nothing given again from memory)",
    "fb_exchange_token": "`fb_exchange_token` of a long-lived user token",
    "app_page_token": "app token → Page token: `GET /{page-id}?fields=access_token` + appsecret_proof",
    "client_credentials_page": "app → Page token: `client_credentials` with `page_id`",
    "dot_introspection": "django-oauth-toolkit introspection (gunicorn, SQLite)",
}
LIMITS = Path(__file__).resolve().parent / "limits.md"  # hand-written: what limits the figures now
RATIO_TARGETS = {"page_read": 0.5, "debug_token": 0.5}
MIN_RATE = {"fb_exchange_token.sqlite": 1000.0}


def mark(met: bool | None) -> str:
    return "—" if met is None else ("yes" if met else "**no**")


def when(section: dict[str, Any]) -> str:
    """When a section was measured, and how busy the machine was then (other work skews every figure)."""
    at = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(section.get("measured_at", 0)))
    load = section.get("machine", {}).get("load_1m")
    return f"{at}, load average {load:.1f}" if load is not None else at


def http_rows(http: dict[str, Any]) -> tuple[list[str], list[tuple[str, str, bool | None]]]:
    results: dict[str, Any] = http["results"]
    lines = ["| scenario | backend | req/s | p50 ms | p99 ms | ratio to hello | target | met |",
             "|---|---|---:|---:|---:|---:|---|---|"]
    targets: list[tuple[str, str, bool | None]] = []
    for key, r in results.items():
        name, _, backend = key.partition(".")
        target, met = "", None
        if name in RATIO_TARGETS:
            target, met = f"≥ {RATIO_TARGETS[name]} of hello", r["ratio"] >= RATIO_TARGETS[name]
        if key in MIN_RATE:
            target, met = f"≥ {MIN_RATE[key]:,.0f} req/s", r["req_s"] >= MIN_RATE[key]
        lines.append(f"| {NAMES.get(name, name)} | {backend or '—'} | {r['req_s']:,.0f} | {r['p50_ms']:.2f} | "
                     f"{r['p99_ms']:.2f} | {r['ratio']:.3f} | {target or '—'} | {mark(met)} |")
        if met is not None:
            targets.append((f"{name} ({backend})", target, met))
    for backend, times in http.get("debug_token_vs_dot", {}).items():
        targets.append((f"debug_token ({backend}) ÷ django-oauth-toolkit", "≥ 10×", times >= 10))
    return lines, targets


def validation_rows(v: dict[str, Any]) -> tuple[list[str], list[tuple[str, str, bool | None]]]:
    sizes = v["sizes"]
    first = sizes[min(sizes, key=int)]
    lines = ["| tokens stored | cold p50 ms | cold p99 ms | warm p50 ms | warm p99 ms | cold p50 ÷ smallest | "
             "RSS largest process MB | RSS all processes MB |", "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for size, row in sorted(sizes.items(), key=lambda kv: int(kv[0])):
        lines.append(f"| {int(size):,} | {row['cold_p50_ms']:.2f} | {row['cold_p99_ms']:.2f} | {row['warm_p50_ms']:.2f}"
                     f" | {row['warm_p99_ms']:.2f} | {row['cold_p50_ms'] / first['cold_p50_ms']:.2f} | "
                     f"{row['rss_mb_max']:.0f} | {row['rss_mb_total']:.0f} ({len(row['rss_mb_processes'])}) |")
    targets: list[tuple[str, str, bool | None]] = []
    if "1000000" in sizes and "10000" in sizes:
        big, small = sizes["1000000"], sizes["10000"]
        for kind in ("cold", "warm"):
            ratio = big[f"{kind}_p50_ms"] / small[f"{kind}_p50_ms"]
            targets.append((f"validation p50, {kind}: 1M ÷ 10k = {ratio:.2f}", "≤ 1.2", ratio <= 1.2))
        targets.append((f"RSS at 1M: largest process {big['rss_mb_max']:.0f} MB (all {big['rss_mb_total']:.0f} MB)",
                        "< 150 MB per process", big["rss_mb_max"] < 150))
    return lines, targets


def plot(results: dict[str, Any], image: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5.2), gridspec_kw={"width_ratios": [3, 2]})
    http = results.get("http", {}).get("results", {})
    keys = [k for k in http if k != "hello"]
    left.barh(keys, [http[k]["ratio"] for k in keys], color=["#4c72b0" if "dot" not in k else "#c44e52" for k in keys])
    left.axvline(0.5, color="#55a868", linestyle="--", label="target for the Page read and debug_token (0.5)")
    left.set_xlabel("requests/s as a ratio of the bare Starlette hello, same run")
    left.invert_yaxis()
    left.legend(loc="lower right", fontsize=8)
    left.set_title("Throughput (wrk, 32 connections)")
    sizes = results.get("validation", {}).get("sizes", {})
    if sizes:
        xs = sorted(int(s) for s in sizes)
        for kind, style in (("cold", "o-"), ("warm", "s--")):
            for q in ("p50", "p99"):
                right.plot(xs, [sizes[str(x)][f"{kind}_{q}_ms"] for x in xs], style,
                           alpha=1.0 if q == "p50" else 0.5, label=f"{kind} {q}")
        right.set_xscale("log")
        right.set_ylim(bottom=0)
        right.set_xlabel("tokens stored")
        right.set_ylabel("validation latency, ms")
        rss = right.twinx()
        rss_max = [sizes[str(x)]["rss_mb_max"] for x in xs]
        rss.plot(xs, rss_max, "^:", color="grey", label="RSS, largest process")
        rss.axhline(150, color="grey", linestyle="--", linewidth=0.8, label="RSS target (150 MB)")
        rss.set_ylabel("RSS, MB")
        rss.set_ylim(0, max(160, *rss_max) * 1.15)
        right.legend(loc="upper left", fontsize=8)
        rss.legend(loc="upper right", fontsize=8)
        right.set_title("Validation latency and memory")
    fig.tight_layout()
    image.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(image, dpi=90)
    plt.close(fig)


def render(results: dict[str, Any], image_rel: str) -> str:
    some = next((s for s in results.values() if isinstance(s, dict) and "machine" in s), {})
    m = some.get("machine", {})
    out = ["# Performance", "",
           "Generated by `make bench` (bench/report.py) from bench/results/latest.json; do not edit by hand.", "",
           f"Machine: {m.get('cores', '?')} cores, {m.get('cpu', '?')}, {m.get('ram_mb', 0) / 1024:.1f} GB RAM, "
           f"Python {m.get('python', '?')}. Every server runs on this same machine as wrk, on 127.0.0.1; a load "
           f"average above the core count when a section was measured means other work shared the machine.", ""]
    targets: list[tuple[str, str, bool | None]] = []
    sections: list[str] = []
    if "http" in results:
        h = results["http"]
        lines, t = http_rows(h)
        targets += t
        sections += ["## Throughput", "",
                     f"wrk, 1 thread, {h['connections']} connections, {h['seconds']:.0f} s measured after a "
                     f"{h['warmup']:.0f} s warm-up; {h['workers']} server processes each (pagetoken, the hello, "
                     f"gunicorn); rate limits raised out of the way. Only successful answers count: any "
                     f"failed answer fails the run. Measured {when(h)}.", "", *lines, ""]
        for backend, times in h.get("debug_token_vs_dot", {}).items():
            sections.append(f"- `debug_token` on {backend} answers {times:.1f}× the requests/s of "
                            f"django-oauth-toolkit's introspection (target ≥ 10×).")
        if "dot_introspection" in h["results"]:
            v = h["results"]["dot_introspection"].get("versions", {})
            sections += ["", "The peer: " + ", ".join(f"{k} {val}" for k, val in v.items()) + ", in its own venv."]
        sections.append("")
    if "validation" in results:
        v = results["validation"]
        lines, t = validation_rows(v)
        targets += t
        sections += ["## Validation latency and memory by tokens stored", "",
                     f"`{v['endpoint']}` over one connection ({v['workers']} server processes, SQLite), each size a "
                     f"fresh server: {v['cold_count']:,} distinct random stored tokens validated once each (cold: the "
                     f"server's first sight of them), then {v['warm_count']:,} validations of 100 of them again "
                     f"(warm), timed per request. RSS: VmRSS of every server process. Measured {when(v)}.", "",
                     *lines, ""]
    if "revocation" in results:
        r = results["revocation"]
        targets.append((f"revocation seen by every other node: max {r['max_ms']:.0f} ms", "≤ 250 ms",
                        r["max_ms"] <= 250))
        sections += ["## Revocation across nodes", "",
                     f"{r['nodes']} `pagetoken serve` nodes on one PostgreSQL; a token revoked through the first, the "
                     f"others polled until they refuse it. {r['samples']} samples: p50 {r['p50_ms']:.1f} ms, p99 "
                     f"{r['p99_ms']:.1f} ms, max {r['max_ms']:.1f} ms; {r['within_250ms']:.0%} within 250 ms. "
                     f"Measured {when(r)}.", ""]
    if "vault" in results:
        v = results["vault"]
        sections += ["## Vault rotation", "",
                     f"{v['tokens']:,} due tokens in a SQLite vault, rotated by {v['rotators']} rotators against "
                     f"`pagetoken serve` ({v['workers']} processes): exchange, `debug_token`, sealed write, "
                     f"revocation of the old token, each exactly once. Measured {when(v)}.", "",
                     "| step | tokens | seconds | tokens/s |", "|---|---:|---:|---:|",
                     f"| sealed writes into the vault | {v['sealed_writes']['count']:,} | "
                     f"{v['sealed_writes']['seconds']:.1f} | {v['sealed_writes']['per_s']:,.0f} |",
                     f"| rotation | {v['rotation']['count']:,} | {v['rotation']['seconds']:.1f} | "
                     f"{v['rotation']['per_s']:,.0f} |", ""]
    head = ["## Targets", "", "| target | wanted | met |", "|---|---|---|"]
    head += [f"| {name} | {wanted} | {mark(met)} |" for name, wanted, met in targets]
    out += head + ["", f"![Throughput ratios and validation latency]({image_rel})", ""] + sections
    if LIMITS.exists():
        notes = re.sub(r"<!--.*?-->\s*", "", LIMITS.read_text(), flags=re.S).strip()
        out += ["## What limits it now", "", notes, ""]
    out += ["## Running it", "",
            "`make bench` (installs wrk from Debian when missing) runs everything in 8 to 12 minutes on two "
            "cores; `make bench BENCH=http,validation` runs a subset (`make bench-help` lists them). Each "
            "script in bench/ runs alone too (`--help`).", ""]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "PERFORMANCE.md")
    parser.add_argument("--image", type=Path, default=ROOT / "docs" / "images" / "performance.png")
    args = parser.parse_args(argv)
    results = json.loads(args.results.read_text())
    plot(results, args.image)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(results, os.path.relpath(args.image, args.out.parent)))
    print(f"  wrote {args.out} and {args.image}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
