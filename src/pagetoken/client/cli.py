"""`pagetoken vault …`: add, list, show, rotate, revoke, watch, rekey and export the vault's tokens.

Mounted by the main CLI as ``app.add_typer(vault_app, name="vault")``; also runs on its own as
``python -m pagetoken.client.cli``. Tokens are printed only by ``show --reveal``; every command that
prints data takes ``--json``; every error is one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pagetoken.core.keyring import encode_key
from pagetoken.core.keyring import new_key as make_key
from pagetoken.core.redact import redact
from pagetoken.core.tokens import fingerprint

from ._cliutil import EXIT_CODES, MODE, PROBLEM, USAGE, Command, Group, console, dumps, duration, moment
from ._cliutil import fail as _fail
from .exceptions import ClientError, GraphError, TokenNotFound, VaultKeyError, VaultTampered
from .graph import DEFAULT_BASE_URL, GraphClient
from .keys import EnvKeys, default_source
from .notify import Notifier
from .records import REVOKED, USER, TokenRecord
from .rotation import Outcome, Rotator
from .vault import Vault

__all__ = ["vault_app"]

_Command = Command
vault_app = typer.Typer(cls=Group, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                        help="The client-side vault: an app's tokens sealed at rest and rotated before expiry.\n\n"
                             "Its files live in the data directory unless told otherwise: $PAGETOKEN_DATA_DIR or "
                             "./pagetoken-data (vault.db, and vault.key unless $PAGETOKEN_VAULT_KEY is set).\n\n"
                             + EXIT_CODES)
out = console()
err = Console(stderr=True)
JsonOpt = typer.Option(False, "--json", help="Print JSON instead of a table (errors too, on stderr).")
FAILED = ("failed", "needs_reauth", "expired", "revoked")


@dataclass
class Settings:
    vault: str | None = None
    graph_url: str = DEFAULT_BASE_URL
    graph_version: str | None = None
    app_id: str | None = None
    app_secret: str | None = None
    key_file: str | None = None
    os_keyring: bool = False
    webhook_url: str | None = None
    webhook_secret: str | None = None
    margin: float | None = None


SETTINGS = Settings()


@vault_app.callback()
def vault_options(
    vault: str | None = typer.Option(None, "--vault", envvar="PAGETOKEN_VAULT",
                                     help="sqlite:///PATH or postgresql://… holding the vault (default: "
                                          "sqlite:///DATA_DIR/vault.db)."),
    graph_url: str = typer.Option(DEFAULT_BASE_URL, "--graph-url", envvar="PAGETOKEN_GRAPH_URL",
                                  help="The Graph API: pagetoken's URL, or the real one."),
    graph_version: str | None = typer.Option(None, "--graph-version", envvar="PAGETOKEN_GRAPH_VERSION",
                                             help="A version prefix such as v25.0 (none by default)."),
    app_id: str | None = typer.Option(None, "--app-id", envvar="PAGETOKEN_APP_ID", help="The app's ID."),
    app_secret: str | None = typer.Option(None, "--app-secret", envvar="PAGETOKEN_APP_SECRET",
                                          help="The app's secret (for debug_token, exchanges and proofs)."),
    key_file: str | None = typer.Option(None, "--key-file", envvar="PAGETOKEN_VAULT_KEY_FILE",
                                        help="The vault's 0600 key file (else $PAGETOKEN_VAULT_KEY, else "
                                             "DATA_DIR/vault.key)."),
    os_keyring: bool = typer.Option(False, "--os-keyring", help="Keep the vault's key in the OS keyring."),
    webhook_url: str | None = typer.Option(None, "--webhook-url", envvar="PAGETOKEN_WEBHOOK_URL",
                                           help="POST a signed JSON report here when a token needs the user."),
    webhook_secret: str | None = typer.Option(None, "--webhook-secret", envvar="PAGETOKEN_WEBHOOK_SECRET",
                                              help="Signs webhook bodies (X-Pagetoken-Signature: sha256=…)."),
    margin: float | None = typer.Option(None, "--margin", envvar="PAGETOKEN_VAULT_MARGIN", min=0,
                                        help="Rotate tokens expiring within this many seconds (default: 7 days, "
                                             "or 12% of a shorter lifetime)."),
) -> None:
    """Options shared by every vault command."""
    global SETTINGS
    SETTINGS = Settings(vault, graph_url, graph_version, app_id, app_secret, key_file, os_keyring, webhook_url,
                        webhook_secret, margin)


def fail(message: str, code: int = PROBLEM, hint: str | None = None) -> NoReturn:
    _fail(message, code, hint)


@contextmanager
def _errors() -> Iterator[None]:
    """Exceptions as plain errors: what was wrong (exit 2) or what failed (exit 1), and what to do."""
    try:
        yield
    except TokenNotFound as exc:
        fail(str(exc), USAGE, "see `pagetoken vault list`")
    except VaultKeyError as exc:
        fail(str(exc), USAGE, "give the vault's key: --key-file PATH, $PAGETOKEN_VAULT_KEY or --os-keyring")
    except VaultTampered as exc:
        fail(str(exc), PROBLEM, "restore the vault from a backup, or remove that row and add the token again")
    except GraphError as exc:
        fail(str(exc), PROBLEM, f"check --graph-url ({SETTINGS.graph_url}), the app's ID and secret, and the "
                                "token (`pagetoken vault list`)")
    except ClientError as exc:
        fail(str(exc), PROBLEM, "")
    except ValueError as exc:
        fail(str(exc), USAGE)
    except OSError as exc:
        fail(f"{type(exc).__name__}: {exc}", PROBLEM, "check the vault's path and permissions")


@contextmanager
def opened() -> Iterator[Vault]:
    with _errors():
        source = default_source(SETTINGS.key_file, SETTINGS.os_keyring)
        try:
            vault = Vault(SETTINGS.vault, source)
        except ClientError:
            raise
        except Exception as exc:
            fail(f"cannot open the vault: {type(exc).__name__}: {str(exc).splitlines()[0]}", USAGE,
                 "check --vault / $PAGETOKEN_VAULT")
        try:
            yield vault
        finally:
            vault.close()


@contextmanager
def graph() -> Iterator[GraphClient]:
    if not (SETTINGS.app_id and SETTINGS.app_secret):
        fail("this command needs the app's ID and secret", USAGE,
             "give --app-id and --app-secret, or set PAGETOKEN_APP_ID and PAGETOKEN_APP_SECRET")
    with GraphClient(SETTINGS.graph_url, SETTINGS.graph_version, app_id=SETTINGS.app_id,
                     app_secret=SETTINGS.app_secret) as client:
        yield client


def _rotator(vault: Vault, client: GraphClient) -> Rotator:
    notifier = Notifier(SETTINGS.webhook_url, SETTINGS.webhook_secret)
    if SETTINGS.margin is not None:  # an explicit margin is taken as it is, whatever the lifetime
        return Rotator(vault, client, SETTINGS.margin, ratio=1.0, notifier=notifier)
    return Rotator(vault, client, notifier=notifier)


def _table(records: list[TokenRecord], now: float) -> Table:
    """One row a token; a scope a line, never cut short; IDs never folded."""
    table = Table()
    table.add_column("name", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    show_page = any(r.page_id and r.page_id not in r.name for r in records)
    if show_page:
        table.add_column("Page", no_wrap=True)
    table.add_column("scopes", no_wrap=True)
    table.add_column("expires in", no_wrap=True)
    table.add_column("status", no_wrap=True)
    style = {"active": "green", "needs_reauth": "bold red", "error": "yellow", "expired": "red", "revoked": "dim"}
    for r in records:
        cells = [r.name, r.kind, *([r.page_id or ""] if show_page else []), "\n".join(r.scopes),
                 duration(r.expires_in(now)), f"[{style.get(r.status, '')}]{r.status}[/]"]
        table.add_row(*cells)
    return table


def _emit(data: Any, as_json: bool, table: Callable[[], Table]) -> None:
    if as_json:
        typer.echo(dumps(data))
    else:
        out.print(table())


def _read_token(value: str) -> str:
    return sys.stdin.readline().strip() if value == "-" else value.strip()


@vault_app.command("add", cls=_Command)
def add(name: str = typer.Argument(..., help="The name to keep the token under."),
        token: str | None = typer.Option(None, "--token", help="The token to store ('-' reads it from stdin)."),
        exchange_from: str | None = typer.Option(None, "--exchange-from",
                                                 help="A short-lived user token: exchange it for a long-lived "
                                                      "one and store that ('-' reads stdin)."),
        pages: bool = typer.Option(False, "--pages", help="Also derive and store a Page token for each Page."),
        as_json: bool = JsonOpt) -> None:
    """Store a token with its metadata from debug_token.

    Exits 1 when the server refuses the token or the exchange, 2 when asked wrong."""
    if (token is None) == (exchange_from is None):
        fail("give exactly one of --token and --exchange-from", USAGE, "see `pagetoken vault add --help`")
    with opened() as vault, graph() as client, _errors():
        value = _read_token(token or exchange_from or "")
        if exchange_from is not None:
            value = client.exchange_long_lived(value).access_token
        info = client.debug_token(value)
        if not info.is_valid:
            fail(f"the token is not valid: {info.error or 'debug_token says so'}", PROBLEM,
                 "get a fresh one, e.g. from the Graph API Explorer")
        stored = [vault.put(name, value, info)]
        if pages:
            if stored[0].kind != USER:
                fail("--pages needs a user token", USAGE, "leave out --pages for Page and app tokens")
            for page in client.page_tokens(value):
                stored.append(vault.put(f"{name}:{page.page_id}", page.access_token,
                                        client.debug_token(page.access_token), parent=name))
        now = vault.now()
    _emit([r.as_dict(now) for r in stored], as_json, lambda: _table(stored, now))


@vault_app.command("list", cls=_Command)
def list_(kind: str | None = typer.Option(None, "--kind", help="Only USER, PAGE or APP tokens."),
          status: str | None = typer.Option(None, "--status", help="Only tokens with this status."),
          as_json: bool = JsonOpt) -> None:
    """List the tokens: name, kind, Page, scopes, expiry and status (never the tokens)."""
    with opened() as vault, _errors():
        records = vault.list(kind, status)
        now = vault.now()
    _emit([r.as_dict(now) for r in records], as_json, lambda: _table(records, now))


def _human(key: str, value: Any, now: float) -> str:
    """A field of a record as people read it: times and durations, not epochs and raw floats."""
    if value is None:
        return "never" if key.endswith("expires_at") else ""
    if key.endswith("_at") and isinstance(value, int | float):
        return moment(value, now)
    if key == "expires_in" and isinstance(value, int | float):
        return duration(value)
    return ", ".join(value) if isinstance(value, list) else str(value)


@vault_app.command("show", cls=_Command)
def show(name: str = typer.Argument(..., help="The token's name."),
         reveal: bool = typer.Option(False, "--reveal", help="Print the token itself too."),
         as_json: bool = JsonOpt) -> None:
    """Show one token's metadata; the token only with --reveal."""
    with opened() as vault, _errors():
        record = vault.get(name)
        token = vault.token(name)
        now = vault.now()
        data = record.as_dict(now)
        data["fingerprint"] = fingerprint(token)
        if reveal:
            data["token"] = token

    def table() -> Table:
        t = Table()
        t.add_column("field")
        t.add_column("value", overflow="fold")
        for key, value in data.items():
            t.add_row(key, _human(key, value, now))
        return t

    _emit(data, as_json, table)


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


def _outcome_table(rows: list[dict[str, Any]]) -> Table:
    t = Table("name", "action", "detail")
    for r in rows:
        t.add_row(r["name"], r["action"], r["detail"])
    return t


def _problems(results: list[Outcome]) -> list[str]:
    """Every row, Page tokens re-derived from a user token included, that failed or needs the user."""
    return [r["name"] for r in _outcome_rows(results) if r["action"] in FAILED]


@vault_app.command("rotate", cls=_Command)
def rotate(due: bool = typer.Option(True, "--due/--all", help="Rotate only due tokens (default), or all."),
           dry_run: bool = typer.Option(False, "--dry-run", help="Only list what would be rotated."),
           names: list[str] = typer.Option([], "--name", help="Only this token (repeatable)."),
           as_json: bool = JsonOpt) -> None:
    """Exchange due tokens for fresh ones, store them, revoke the old ones, re-derive Page tokens.

    Exits 1 when any token, a re-derived Page token included, failed or needs the user again (see
    `vault list`); 0 when all went well or nothing was due."""
    with opened() as vault, _errors():
        if dry_run:
            with GraphClient(SETTINGS.graph_url) as offline:
                rotator = _rotator(vault, offline)
            now = vault.now()
            pool = rotator.due() if due else [r for r in vault.list()
                                              if r.kind != "APP" and r.status in ("active", "error")]
            chosen = [r for r in pool if not names or r.name in names]
            if not chosen and not as_json:
                out.print("nothing due" if due else "nothing to rotate")
                return
            _emit([r.as_dict(now) for r in chosen], as_json, lambda: _table(chosen, now))
            return
        with graph() as client:
            results = _run_rotation(_rotator(vault, client), names or None, force=not due, stop=None,
                                    quiet=as_json or not err.is_terminal)
    rows = _outcome_rows(results)
    if not rows and not as_json:
        out.print("nothing due")
    else:
        _emit(rows, as_json, lambda: _outcome_table(rows))
    if _problems(results):
        raise typer.Exit(PROBLEM)


@vault_app.command("revoke", cls=_Command)
def revoke(name: str = typer.Argument(..., help="The token's name."),
           forget: bool = typer.Option(False, "--forget", help="Also delete it from the vault."),
           as_json: bool = JsonOpt) -> None:
    """Revoke a token on the server (DELETE /oauth/access_token) and mark it revoked."""
    with opened() as vault, graph() as client, _errors():
        token = vault.token(name)
        try:
            client.revoke(token)
        except GraphError as exc:
            if exc.code != 190:
                raise
        if forget:
            vault.remove(name)
        else:
            vault.mark(name, REVOKED, "revoked from the vault")
    data = {"name": name, "revoked": True, "forgotten": forget}
    _emit(data, as_json, lambda: _outcome_table([{"name": name, "action": "revoked", "detail": ""}]))


@vault_app.command("watch", cls=_Command)
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
        with opened() as vault, graph() as client, _errors():
            rotator = _rotator(vault, client)
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


@vault_app.command("rekey", cls=_Command)
def rekey(keep_old: bool = typer.Option(False, "--keep-old", help="Leave the old key in the key source."),
          as_json: bool = JsonOpt) -> None:
    """Re-seal every token with a new key, without downtime."""
    with opened() as vault, _errors():
        if isinstance(vault.source, EnvKeys) and len(vault.source.load()) < 2:
            fail("with PAGETOKEN_VAULT_KEY, put a new key first (`vault keygen`), keep the old one after a "
                 "comma, run rekey, then drop the old key")
        count = vault.rekey(drop_old=not keep_old)
        data = {"resealed": count, "keys": vault.source.describe()}
    _emit(data, as_json, lambda: _outcome_table([{"name": "*", "action": "re-sealed", "detail": f"{count} rows"}]))


@vault_app.command("keygen", cls=_Command)
def keygen(as_json: bool = JsonOpt) -> None:
    """Print a fresh vault key (base64url), for PAGETOKEN_VAULT_KEY."""
    key = encode_key(make_key())
    typer.echo(dumps({"key": key}) if as_json else key)


@vault_app.command("export", cls=_Command)
def export(kind: str | None = typer.Option(None, "--kind", help="Only USER, PAGE or APP tokens."),
           _redacted: bool = typer.Option(True, "--redacted", hidden=True,
                                          help="Accepted for older scripts: every export is redacted.")) -> None:
    """Print every row as JSON, tokens left out (tokens never leave the vault in the clear; back up the
    vault file itself, it is sealed)."""
    MODE.json = True
    with opened() as vault, _errors():
        now = vault.now()
        rows = [r.as_dict(now) for r in vault.list(kind)]
    typer.echo(dumps({"exported_at": int(now), "tokens": rows}))


if __name__ == "__main__":
    MODE.root = "pagetoken vault"
    vault_app()
