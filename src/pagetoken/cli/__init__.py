"""`pagetoken …`: serve, and manage apps, users, Pages and tokens. Thin over the authority."""

from __future__ import annotations

from pathlib import Path

import typer

from pagetoken import __version__
from pagetoken.client._cliutil import EXIT_CODES, Command, Group
from pagetoken.client.cli import vault_app

from .apps import apps_app
from .common import DEFAULT_DATA_DIR, STATE
from .db import db_app
from .dev import dev_app
from .people import pages_app, users_app
from .serve import serve
from .tokens import tokens_app

__all__ = ["app", "main"]

app = typer.Typer(cls=Group, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="pagetoken: a self-hosted Page access token authority.\n\n"
                       "Data lives in ./pagetoken-data of the folder you run it from (or --data-dir DIR, "
                       "$PAGETOKEN_DATA_DIR, or --db URL); a command that has to create it says so on stderr.\n\n"
                       + EXIT_CODES)
app.add_typer(apps_app, name="apps")
app.add_typer(users_app, name="users")
app.add_typer(pages_app, name="pages")
app.add_typer(tokens_app, name="tokens")
app.add_typer(db_app, name="db")
app.command(cls=Command)(serve)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"pagetoken {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    _show_version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit."),
    data_dir: Path = typer.Option(DEFAULT_DATA_DIR, "--data-dir", envvar="PAGETOKEN_DATA_DIR",
                                  help="Holds the SQLite file and the master key file (relative to the folder "
                                       "you run pagetoken from)."),
    db: str | None = typer.Option(None, "--db", envvar="PAGETOKEN_DB",
                                  help="sqlite:///PATH or postgresql://… instead of the data dir's SQLite file."),
) -> None:
    STATE.data_dir = data_dir
    STATE.db = db


app.add_typer(vault_app, name="vault", help="The client-side vault: store, watch and rotate tokens.")
app.add_typer(dev_app, name="dev", help="Drive a `serve --dev` server: clock, faults, tokens, state (SPEC §11).")


def main() -> None:
    app()
