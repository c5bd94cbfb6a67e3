"""What the server-side commands share: the data directory, the authority, output and plain errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.table import Table

from pagetoken.authority import apps, pages, storage_faults, users
from pagetoken.authority.context import Authority, Settings
from pagetoken.authority.records import App, Page, User
from pagetoken.client._cliutil import PROBLEM, USAGE, Command, console, dumps
from pagetoken.client._cliutil import fail as _fail
from pagetoken.core import errors
from pagetoken.core.lifetimes import Lifetimes
from pagetoken.store.db import SchemaBehind
from pagetoken.store.keyfile import MasterKeyError

out = console()
JsonOpt = typer.Option(False, "--json", help="Print JSON instead of a table (errors too, on stderr).")
DEFAULT_DATA_DIR = Path("pagetoken-data")


class State:
    data_dir: Path = DEFAULT_DATA_DIR
    db: str | None = None


STATE = State()


def command(group: typer.Typer, name: str | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`group.command(name)` with one-line (or JSON) errors for bad arguments."""
    return group.command(name, cls=Command)


def fail(message: str, code: int = USAGE, hint: str | None = None) -> NoReturn:
    _fail(message, code, hint)


def _plain(exc: errors.ApiError) -> str:
    """A Graph error's message without its `(#100) ` prefix."""
    message = exc.message
    if message.startswith("(#") and ") " in message:
        message = message.split(") ", 1)[1]
    return message


@contextmanager
def authority(upgrade: bool = False) -> Iterator[Authority]:
    """The authority over the chosen data; a database whose schema is behind is refused unless `upgrade`."""
    existed = STATE.data_dir.exists()
    try:
        auth = Authority.open(Settings(STATE.data_dir, STATE.db, Lifetimes.from_env()), upgrade=upgrade)
    except SchemaBehind as exc:
        fail(str(exc), PROBLEM)
    except MasterKeyError as exc:
        says_what_to_do = "run `" in str(exc)
        fail(str(exc), USAGE, "" if says_what_to_do else
             "fix the master key: the data directory's master.key (0600) or $PAGETOKEN_MASTER_KEY")
    except ValueError as exc:
        fail(str(exc), USAGE, "give --db sqlite:///PATH or postgresql://…")
    except Exception as exc:  # cannot reach the database, a read-only disk, etc.
        problem = storage_faults.opening_problem(exc, STATE.data_dir)
        fail(f"cannot open the database: {problem or exc.__class__.__name__ + ': ' + str(exc).splitlines()[0]}",
             PROBLEM if problem else USAGE,
             "make the data directory writable again" if problem and "read-only" in problem else
             "check --db / PAGETOKEN_DB and that the database is running")
    if not existed and STATE.data_dir.exists():
        typer.echo(f"note: created a new, empty data directory {STATE.data_dir.resolve()} (another one with "
                   "--data-dir DIR or PAGETOKEN_DATA_DIR)", err=True)
    try:
        yield auth
    except errors.ApiError as exc:
        fail(_plain(exc), USAGE if exc.code == errors.CODE_PARAM else PROBLEM)
    except Exception as exc:
        problem = storage_faults.storage_problem(exc)
        if problem is None:
            raise
        fail(f"{problem}; nothing was changed", PROBLEM, "free space on the disk, or make the database writable, "
                                                           "then run the command again")
    finally:
        auth.close()


def need_user(auth: Authority, user_id: str) -> User:
    user = users.get(auth, user_id)
    if user is None:
        fail(f"no user {user_id}", USAGE, "see `pagetoken users list`")
    return user


def need_app(auth: Authority, app_id: str) -> App:
    app = apps.get(auth, app_id)
    if app is None:
        fail(f"no app {app_id}", USAGE, "see `pagetoken apps list`")
    return app


def need_page(auth: Authority, page_id: str) -> Page:
    page = pages.get(auth, page_id)
    if page is None:
        fail(f"no Page {page_id}", USAGE, "see `pagetoken pages list`")
    return page


def emit(data: Any, as_json: bool, table: Callable[[], Table] | None = None) -> None:
    if as_json or table is None:
        typer.echo(dumps(data))
    else:
        out.print(table())


def table(columns: list[str], rows: list[list[Any]]) -> Callable[[], Table]:
    def build() -> Table:
        t = Table()
        for c in columns:
            t.add_column(c, overflow="fold")
        for row in rows:
            t.add_row(*[str(c) if c is not None else "" for c in row])
        return t
    return build
