"""What every `pagetoken` command shares: one-line (or JSON) errors, JSON output, human durations.

An error names what was wrong and what to do, on stderr: ``error: no user 123; see `pagetoken users
list```, or under ``--json`` ``{"error": {"message": …, "hint": …, "exit_code": …}}``. Exit codes:
0 done, 1 the command ran and found a problem (a leaked token, a token that failed or needs the user
again, a server that refused), 2 the command was asked wrong (a bad option, an unknown ID or name,
an unusable key or database).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any, NoReturn

import typer
from rich.console import Console
from typer.core import TyperCommand, TyperGroup

try:  # typer >= 0.26 carries its own copy of click
    from typer._click.core import Context
    from typer._click.exceptions import UsageError
except ImportError:  # pragma: no cover - older typer runs on click itself
    from click import Context, UsageError  # type: ignore[assignment]

from pagetoken.core.redact import redact

__all__ = ["Command", "Group", "fail", "dumps", "duration", "moment", "console", "EXIT_CODES", "PROBLEM", "USAGE"]

PROBLEM = 1
USAGE = 2
EXIT_CODES = ("Exit status: 0 done; 1 the command ran and found a problem; 2 it was asked wrong "
              "(a bad option, an unknown ID, an unusable key or database).")


class _Mode:
    json = False
    root = "pagetoken"  # `pagetoken vault` when the vault's commands run on their own
    command = "pagetoken"


MODE = _Mode()


def console() -> Console:
    """Standard output for tables: the terminal's width, or wide enough that piped rows stay whole."""
    probe = Console()
    return probe if probe.is_terminal else Console(width=200)


def dumps(data: Any) -> str:
    """JSON as the commands print it: indented, non-ASCII kept as it is."""
    return json.dumps(data, indent=2, ensure_ascii=False, default=str)


def fail(message: str, code: int = USAGE, hint: str | None = None) -> NoReturn:
    """Say what went wrong and what to do (one line, or JSON under --json) and exit with `code`."""
    message = redact(message.splitlines()[0] if message.strip() else "failed").rstrip(".")
    hint = hint if hint is not None else f"see `{MODE.command} --help`"
    if MODE.json:
        typer.echo(json.dumps({"error": {"message": message, "hint": hint, "exit_code": code}},
                              ensure_ascii=False), err=True)
    else:
        typer.echo(f"error: {message}; {hint}" if hint else f"error: {message}", err=True)
    raise typer.Exit(code)


def _command_path(ctx: Context) -> str:
    names = []
    while ctx is not None:
        names.append(ctx.info_name or "")
        ctx = ctx.parent  # type: ignore[assignment]
    names[-1] = MODE.root
    return " ".join(reversed([n for n in names if n]))


def _parse(parse: Callable[[Context, list[str]], list[str]], ctx: Context, args: list[str]) -> list[str]:
    MODE.command = _command_path(ctx)
    MODE.json = "--json" in args
    try:
        return parse(ctx, args)
    except UsageError as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":
            raise
        fail(exc.format_message(), USAGE, f"see `{_command_path(exc.ctx or ctx)} --help`")


def _flags_take_no_value(params: list[Any]) -> list[Any]:
    """A boolean flag's help shows no `<bool>`, as if it took a value."""
    for param in params:
        if getattr(param, "is_flag", False):
            param.metavar = ""
    return params


class Command(TyperCommand):
    """Bad arguments: one line (or JSON) on stderr and exit code 2, not Click's usage block. The help
    ends with the exit codes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.epilog = self.epilog or EXIT_CODES

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        return _parse(super().parse_args, ctx, args)

    def get_params(self, ctx: Context) -> list[Any]:
        return _flags_take_no_value(super().get_params(ctx))


class Group(TyperGroup):
    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        return _parse(super().parse_args, ctx, args)

    def resolve_command(self, ctx: Context, args: list[str]) -> Any:
        try:
            return super().resolve_command(ctx, args)
        except UsageError as exc:  # no such command
            fail(exc.format_message(), USAGE, f"see `{_command_path(ctx)} --help`")

    def get_params(self, ctx: Context) -> list[Any]:
        return _flags_take_no_value(super().get_params(ctx))


def duration(seconds: float | None) -> str:
    """59d 23h, 4h 12m, 3m 20s; "never" for no expiry, "expired" at or below zero."""
    if seconds is None:
        return "never"
    if seconds <= 0:
        return "expired"
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    return f"{days}d {hours}h" if days else f"{hours}h {rest // 60}m" if hours else f"{rest // 60}m {rest % 60}s"


def moment(epoch: float | None, now: float) -> str:
    """An epoch as UTC time with how far away it is: 2026-01-28 09:40 UTC (in 59d 23h)."""
    if not epoch:
        return "never"
    when = dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    delta = epoch - now
    return f"{when} (in {duration(delta)})" if delta > 0 else f"{when} ({duration(-delta)} ago)"
