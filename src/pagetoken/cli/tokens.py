"""`pagetoken tokens …`: inspect, revoke, purge and find leaked tokens."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

from pagetoken.authority import retention, revoke, validation
from pagetoken.client._cliutil import Group, moment
from pagetoken.core import errors
from pagetoken.core.tokens import APP_SECRET_PAIR_RE, APP_TOKEN_RE, find_tokens, fingerprint

from .common import JsonOpt, authority, command, emit, fail, table

tokens_app = typer.Typer(cls=Group, help="Inspect, revoke and find tokens.", no_args_is_help=True)


def _read(token: str) -> str:
    return sys.stdin.readline().strip() if token == "-" else token


def _field(key: str, value: Any, now: float) -> str:
    if key.endswith("_at") and isinstance(value, int | float):
        return moment(value, now)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ", ".join(value)
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


@command(tokens_app, "inspect")
def tokens_inspect(token: str = typer.Argument(..., help="The token (or - to read it from stdin)."),
                   as_json: bool = JsonOpt) -> None:
    """What debug_token says of a token (a dead token too: is_valid false and why)."""
    token = _read(token)
    with authority() as auth:
        try:
            data = validation.describe(auth, validation.resolve(auth, token))
        except errors.TokenError as exc:
            data = validation.describe_invalid(auth, token, exc)
        now = auth.now()
    emit(data, as_json, table(["field", "value"], [[k, _field(k, v, now)] for k, v in data.items()]))


@command(tokens_app, "revoke")
def tokens_revoke(token: str = typer.Argument(..., help="The token (or - to read it from stdin)."),
                  as_json: bool = JsonOpt) -> None:
    """Revoke a token: from now on it answers 190/466. Exits 2 when no live token matches."""
    token = _read(token)
    if APP_TOKEN_RE.fullmatch(token) or APP_SECRET_PAIR_RE.fullmatch(token):
        fail("an app token cannot be revoked; reset the app secret instead", 2,
             "`pagetoken apps reset-secret APPID` gives the app a new secret, and a new app token with it")
    with authority() as auth:
        if not revoke.revoke_token(auth, token):
            fail("no live token matches (it is unknown, malformed, or already revoked)", 2,
                 "check it with `pagetoken tokens inspect TOKEN`")
    emit({"success": True, "token": fingerprint(token)}, as_json,
         table(["token", "result"], [[fingerprint(token), "revoked"]]))


@command(tokens_app, "purge")
def tokens_purge(older_than: float = typer.Option(30.0, "--older-than", min=0, metavar="DAYS",
                                                  help="Days a token must have been dead (revoked or expired)."),
                 dry_run: bool = typer.Option(False, "--dry-run", help="Only count what would go."),
                 as_json: bool = JsonOpt) -> None:
    """Forget dead token rows and spent codes older than the retention period (they then read as unknown)."""
    with authority() as auth:
        done = retention.purge(auth, older_than, dry_run)
    data = {"tokens": done.tokens, "codes": done.codes, "dry_run": dry_run}
    emit(data, as_json, table(["tokens", "codes", "dry run"], [[done.tokens, done.codes, dry_run]]))


def _walk(paths: list[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file():
                    yield child
        elif path.is_file():
            yield path
        else:
            fail(f"{path}: no such file or directory", 2, "give files or folders that exist")


@command(tokens_app, "scan")
def tokens_scan(paths: list[Path] = typer.Argument(..., help="Files or folders to search."),
                as_json: bool = JsonOpt,
                check: bool = typer.Option(True, help="Say whether each token found is live in this authority.")
                ) -> None:
    """Find leaked tokens in files or logs; exits 1 when any is found. Tokens are shown masked."""
    findings: list[dict[str, Any]] = []
    for path in _walk(paths):
        try:
            text = path.read_text(errors="replace")
        except OSError as exc:
            fail(f"{path}: {exc.strerror}", 2, "give files this user can read")
        for lineno, line in enumerate(text.splitlines(), 1):
            for start, _end, tok in find_tokens(line):
                findings.append({"path": str(path), "line": lineno, "column": start + 1, "token": fingerprint(tok),
                                 "_raw": tok})
    if check and findings:
        with authority() as auth:
            for f in findings:
                try:
                    info = validation.resolve(auth, f["_raw"])
                    f["status"] = f"live {info.kind.debug_type}"
                except errors.InvalidToken:
                    f["status"] = "unknown"
                except errors.ApiError:
                    f["status"] = "dead"
    for f in findings:
        del f["_raw"]
    emit(findings, as_json, table(["path", "line", "column", "token", "status"],
                                  [[f["path"], f["line"], f["column"], f["token"], f.get("status", "")]
                                   for f in findings]))
    if findings:
        raise typer.Exit(1)
