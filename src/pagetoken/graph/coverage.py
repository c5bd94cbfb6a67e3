"""docs/COVERAGE.md, generated from the registry: every Graph path and field pagetoken serves, the
permission and Page task each needs, and what it deliberately leaves out.

Write it with ``python -m pagetoken.graph.coverage docs/COVERAGE.md`` (a test checks the committed
file is what this prints).
"""

from __future__ import annotations

import sys
from pathlib import Path

from .nodes import REGISTRY
from .registry import NodeType, Op

# Paths outside the node registry, answered by the Graph endpoint itself.
SPECIAL = (
    ("GET, POST", "/oauth/access_token", "client_id, client_secret (code, client_credentials, fb_exchange_token)",
     "`{access_token, token_type, expires_in?}`; with `page_id` a Page token"),
    ("DELETE", "/oauth/access_token", "the token to revoke", "`{success: true}` (pagetoken extension)"),
    ("GET", "/debug_token", "an app token (or the app owner's user token)", "`{data: {...}}`"),
    ("POST", "/ and /me", "`batch` (at most 50 requests)", "a JSON array of `{code, headers, body}`"),
    ("GET", "/?ids=A,B", "the token each object needs", "a map keyed by ID"),
    ("GET", "/dialog/oauth", "a logged-in user", "the login and consent page"),
)

# What pagetoken deliberately does not serve, and why.
LEFT_OUT = (
    ("Photos, videos, reels, stories, live video", "media storage is out of scope; posts carry `link` instead"),
    ("Events, groups, ratings, the Page's `locations`", "not part of the Page token system the seed describes"),
    ("Marketing API objects (campaigns, ad sets, creatives)", "`/{page-id}/ads` and `/billing` stand in for them"),
    ("Webhooks deliveries for content changes", "only the deauthorize callback (SPEC §7) is sent"),
    ("Instagram, WhatsApp and Messenger platform features beyond `/{page-id}/messages`",
     "out of scope for Page tokens"),
    ("User profile fields beyond `id`, `name`, `email`", "an unknown field is a `(#100)` error, never dropped"),
    ("Field expansion modifiers other than `limit` and `summary`", "accepted and ignored"),
)


def _cell(items: tuple[str, ...] | list[str]) -> str:
    return ", ".join(f"`{i}`" for i in items) if items else "—"


def _path(node: NodeType, op: Op) -> str:
    base = f"/{{{node.name}-id}}"
    return base + (f"/{op.route}" if op.route else "")


def coverage_markdown() -> str:
    lines = [
        "# Graph API coverage",
        "",
        "Generated from the registry by `python -m pagetoken.graph.coverage docs/COVERAGE.md`; do not edit by",
        "hand. Every path works with and without a version prefix (`/v25.0/...`). SPEC §2–§6 say how each",
        "answers.",
        "",
        "## Tokens and requests",
        "",
        "| method | path | needs | answers |",
        "|---|---|---|---|",
    ]
    lines += [f"| {m} | `{p}` | {needs} | {answer} |" for m, p, needs, answer in SPECIAL]
    for node in REGISTRY.types.values():
        lines += ["", f"## {node.label} (`{node.name}`)", "", node.description, "",
                  "| method | path | permissions | Page task | tokens | summary |", "|---|---|---|---|---|---|"]
        for op in node.ops:
            tokens = ", ".join(sorted(str(t) for t in op.tokens))
            lines.append(f"| {op.method} | `{_path(node, op)}` | {_cell(op.permissions)} | "
                         f"{f'`{op.task}`' if op.task else '—'} | {tokens} | {op.summary} |")
        if node.fields:
            lines += ["", "| field | permission | default | description |", "|---|---|---|---|"]
            lines += [f"| `{f.name}` | {f'`{f.permission}`' if f.permission else '—'} | "
                      f"{'yes' if f.default else ''} | {f.description} |" for f in node.fields]
    lines += ["", "## Deliberately left out", "", "| what | why |", "|---|---|"]
    lines += [f"| {what} | {why} |" for what, why in LEFT_OUT]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = coverage_markdown()
    if args:
        Path(args[0]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
