"""What every `pagetoken vault` command shares: the options, the vault and Graph they open, errors and tables."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from ._cliutil import EXIT_CODES, PROBLEM, USAGE, Group, console, dumps, duration, moment
from ._cliutil import fail as _fail
from .exceptions import ClientError, GraphError, TokenNotFound, VaultKeyError, VaultTampered
from .graph import DEFAULT_BASE_URL, GraphClient
from .keys import default_source
from .notify import Notifier
from .rotation import Rotator
from .rows import TokenRecord
from .vault import Vault, default_url

__all__ = ["vault_app", "SETTINGS"]


vault_app = typer.Typer(cls=Group, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                        help="The client-side vault: an app's tokens sealed at rest and rotated before expiry.\n\n"
                             "Its files live in the data directory unless told otherwise: pagetoken --data-dir, "
                             "$PAGETOKEN_DATA_DIR or "
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
    data_dir: Path | None = None  # `pagetoken --data-dir`, when the vault runs under the main command


SETTINGS = Settings()


@vault_app.callback()
def vault_options(
    ctx: typer.Context,
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
    data_dir = ctx.find_root().params.get("data_dir")
    fresh = Settings(vault, graph_url, graph_version, app_id, app_secret, key_file, os_keyring, webhook_url,
                     webhook_secret, margin, Path(data_dir) if data_dir else None)
    SETTINGS.__dict__.update(fresh.__dict__)  # one object, so the command modules see the options


def fail(message: str, code: int = PROBLEM, hint: str | None = None) -> NoReturn:
    _fail(message, code, hint)


@contextmanager
def plain_errors() -> Iterator[None]:
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
        fail(str(exc), PROBLEM, "run the command again; `pagetoken vault list` shows each token's status")
    except ValueError as exc:
        fail(str(exc), USAGE)
    except OSError as exc:
        fail(f"{type(exc).__name__}: {exc}", PROBLEM, "check the vault's path and permissions")


@contextmanager
def opened() -> Iterator[Vault]:
    with plain_errors():
        source = default_source(SETTINGS.key_file, SETTINGS.os_keyring, folder=SETTINGS.data_dir)
        url = SETTINGS.vault or default_url(SETTINGS.data_dir)
        file = Path(url.split(":///", 1)[1]) if url.startswith("sqlite:///") else None
        existed = SETTINGS.vault is not None or file is None or file.exists()  # only the default is news
        try:
            vault = Vault(url, source)
        except ClientError:
            raise
        except Exception as exc:
            fail(f"cannot open the vault: {type(exc).__name__}: {str(exc).splitlines()[0]}", USAGE,
                 "check --vault / $PAGETOKEN_VAULT")
        if not existed:
            typer.echo(f"note: created a new, empty vault {file and file.resolve()} (another one with --vault URL, "
                       "or $PAGETOKEN_DATA_DIR)", err=True)
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


def rotator_for(vault: Vault, client: GraphClient) -> Rotator:
    notifier = Notifier(SETTINGS.webhook_url, SETTINGS.webhook_secret)
    if SETTINGS.margin is not None:  # an explicit margin is taken as it is, whatever the lifetime
        return Rotator(vault, client, SETTINGS.margin, ratio=1.0, notifier=notifier)
    return Rotator(vault, client, notifier=notifier)


def records_table(records: list[TokenRecord], now: float) -> Table:
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


def emit(data: Any, as_json: bool, table: Callable[[], Table]) -> None:
    if as_json:
        typer.echo(dumps(data))
    else:
        out.print(table())


def read_token(value: str) -> str:
    return sys.stdin.readline().strip() if value == "-" else value.strip()


def human(key: str, value: Any, now: float) -> str:
    """A field of a record as people read it: times and durations, not epochs and raw floats."""
    if value is None:
        return "never" if key.endswith("expires_at") else ""
    if key.endswith("_at") and isinstance(value, int | float):
        return moment(value, now)
    if key == "expires_in" and isinstance(value, int | float):
        return duration(value)
    return ", ".join(value) if isinstance(value, list) else str(value)


def outcome_table(rows: list[dict[str, Any]]) -> Table:
    t = Table("name", "action", "detail")
    for r in rows:
        t.add_row(r["name"], r["action"], r["detail"])
    return t

