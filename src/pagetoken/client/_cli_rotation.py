"""`pagetoken vault rotate` and `vault watch`: rotation passes, what they print, and their exit codes."""

from __future__ import annotations

import json
import signal
import threading
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pagetoken.core.redact import redact

from ._cli_base import (
    FAILED,
    SETTINGS,
    JsonOpt,
    emit,
    err,
    graph,
    opened,
    out,
    outcome_table,
    plain_errors,
    records_table,
    rotator_for,
)
from ._cliutil import PROBLEM, dumps, duration
from .exceptions import ClientError
from .graph import GraphClient
from .rotation import Outcome, Rotator


def _run_rotation(rotator: Rotator, names: list[str] | None, force: bool, stop: threading.Event | None,
                  quiet: bool) -> list[Outcome]:
    if force:
        rows = [r for r in rotator.vault.list() if r.kind != "APP" and r.status in ("active", "error")]
        picked = {r.name for r in rows if not names or r.name in names}
        todo = [r.name for r in rows if r.name in picked and not (r.parent and r.parent in picked)]
    else:
        todo = [r.name for r in rotator.due() if not names or r.name in names]
    results: list[Outcome] = []
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True, disable=quiet) as progress:
        task = progress.add_task("rotating", total=len(todo))
        for name in todo:
            if stop is not None and stop.is_set():
                break
            progress.update(task, description=f"rotating {name}")
            results.append(rotator.rotate(name, force=force))
            progress.advance(task)
    return results


def _outcome_rows(results: list[Outcome]) -> list[dict[str, Any]]:
    rows = []
    for o in results:
        rows.append({"name": o.name, "action": o.action, "detail": o.detail})
        rows += [{"name": c.name, "action": c.action, "detail": c.detail} for c in o.children]
    return rows


def _problems(results: list[Outcome]) -> list[str]:
    """Every row, Page tokens re-derived from a user token included, that failed or needs the user."""
    return [r["name"] for r in _outcome_rows(results) if r["action"] in FAILED]


def rotate(due: bool = typer.Option(True, "--due/--all", help="Rotate only due tokens (default), or all."),
           dry_run: bool = typer.Option(False, "--dry-run", help="Only list what would be rotated."),
           names: list[str] = typer.Option([], "--name", help="Only this token (repeatable)."),
           as_json: bool = JsonOpt) -> None:
    """Exchange due tokens for fresh ones, store them, revoke the old ones, re-derive Page tokens.

    Exits 1 when any token, a re-derived Page token included, failed or needs the user again (see
    `vault list`); 0 when all went well or nothing was due."""
    with opened() as vault, plain_errors():
        if dry_run:
            with GraphClient(SETTINGS.graph_url) as offline:
                rotator = rotator_for(vault, offline)
            now = vault.now()
            pool = rotator.due() if due else [r for r in vault.list()
                                              if r.kind != "APP" and r.status in ("active", "error")]
            chosen = [r for r in pool if not names or r.name in names]
            if not chosen and not as_json:
                out.print("nothing due" if due else "nothing to rotate")
                return
            emit([r.as_dict(now) for r in chosen], as_json, lambda: records_table(chosen, now))
            return
        with graph() as client:
            results = _run_rotation(rotator_for(vault, client), names or None, force=not due, stop=None,
                                    quiet=as_json or not err.is_terminal)
    rows = _outcome_rows(results)
    if not rows and not as_json:
        out.print("nothing due")
    else:
        emit(rows, as_json, lambda: outcome_table(rows))
    if _problems(results):
        raise typer.Exit(PROBLEM)


def watch(interval: float = typer.Option(3600.0, "--interval", min=0.1, help="Seconds between rotation passes."),
          once: bool = typer.Option(False, "--once", help="Run one pass, print what it did, and exit."),
          as_json: bool = JsonOpt) -> None:
    """Rotate due tokens on a schedule until SIGTERM or SIGINT (the token in hand is finished first).

    Each pass prints what it did (under --json a JSON line per token; with --once one JSON list).
    With --once, exits 1 when a token failed or needs the user again; otherwise 0 when stopped."""
    stop = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    problems: list[str] = []
    try:
        with opened() as vault, graph() as client, plain_errors():
            rotator = rotator_for(vault, client)
            while not stop.is_set():
                try:
                    results = _run_rotation(rotator, None, False, stop, quiet=as_json or not err.is_terminal)
                except ClientError as exc:
                    err.print(f"rotation pass failed: {redact(str(exc))}")
                    results = []
                rows = _outcome_rows(results)
                problems = _problems(results)
                if once and as_json:
                    typer.echo(dumps(rows))
                elif as_json:
                    for row in rows:
                        typer.echo(json.dumps(row, ensure_ascii=False))
                else:
                    for row in rows:
                        out.print(f"{row['name']}: {row['action']} {row['detail']}".rstrip())
                    if not rows:
                        out.print("nothing due" + ("" if once else f"; next pass in {duration(interval)}"))
                if once:
                    break
                stop.wait(interval)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if once and problems:
        raise typer.Exit(PROBLEM)


