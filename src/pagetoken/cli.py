"""`pagetoken …`: serve, and manage apps, users, Pages and tokens. Thin over the authority."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from pagetoken import __version__
from pagetoken.authority import apps, inspect, issue, pages, retention, revoke, roles, users
from pagetoken.authority.context import Authority, Settings
from pagetoken.client.cli import vault_app
from pagetoken.core import errors
from pagetoken.core.lifetimes import Lifetimes
from pagetoken.core.tokens import find_tokens, fingerprint
from pagetoken.store.keyfile import MasterKeyError

app = typer.Typer(help="pagetoken: a self-hosted Page access token authority.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)
apps_app = typer.Typer(help="Create and manage apps.", no_args_is_help=True)
users_app = typer.Typer(help="Create users and change their passwords.", no_args_is_help=True)
pages_app = typer.Typer(help="Create Pages and manage who works on them.", no_args_is_help=True)
tokens_app = typer.Typer(help="Inspect, revoke and find tokens.", no_args_is_help=True)
app.add_typer(apps_app, name="apps")
app.add_typer(users_app, name="users")
app.add_typer(pages_app, name="pages")
app.add_typer(tokens_app, name="tokens")

out = Console()
JsonOpt = typer.Option(False, "--json", help="Print JSON instead of a table.")


class State:
    data_dir: Path = Path("pagetoken-data")
    db: str | None = None


STATE = State()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"pagetoken {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    _show_version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit."),
    data_dir: Path = typer.Option(Path("pagetoken-data"), "--data-dir", envvar="PAGETOKEN_DATA_DIR",
                                  help="Holds the SQLite file and the master key file."),
    db: str | None = typer.Option(None, "--db", envvar="PAGETOKEN_DB",
                                  help="sqlite:///PATH or postgresql://… instead of the data dir's SQLite file."),
) -> None:
    STATE.data_dir = data_dir
    STATE.db = db


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def authority() -> Iterator[Authority]:
    try:
        auth = Authority.open(Settings(STATE.data_dir, STATE.db, Lifetimes.from_env()))
    except (MasterKeyError, ValueError) as exc:
        fail(str(exc))
    except Exception as exc:  # cannot reach the database, etc.
        fail(f"cannot open the database: {exc.__class__.__name__}: {str(exc).splitlines()[0]}")
    try:
        yield auth
    except errors.GraphError as exc:
        fail(exc.message)
    finally:
        auth.close()


def emit(data: Any, as_json: bool, table: Callable[[], Table] | None = None) -> None:
    if as_json or table is None:
        typer.echo(json.dumps(data, indent=2))
    else:
        out.print(table())


def _table(columns: list[str], rows: list[list[Any]]) -> Callable[[], Table]:
    def build() -> Table:
        t = Table(*columns)
        for row in rows:
            t.add_row(*[str(c) if c is not None else "" for c in row])
        return t
    return build


# ---- serve ---------------------------------------------------------------------------------------


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8787, min=1, max=65535, help="Port to listen on."),
    workers: int = typer.Option(1, min=1, max=64, help="Server processes (PostgreSQL recommended above 1)."),
    demo: bool = typer.Option(False, "--demo", help="Seed a demo app, user and Page, and print them."),
    public_url: str | None = typer.Option(None, "--public-url", envvar="PAGETOKEN_PUBLIC_URL",
                                          help="Base of every URL the server hands out."),
    log_level: str = typer.Option("info", help="debug, info, warning or error."),
) -> None:
    """Run the Graph API, the web tools and /metrics on one port."""
    import uvicorn

    from pagetoken.server import configure_logging

    configure_logging(log_level.upper())
    base = public_url or f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    with authority() as auth:
        if demo:
            from pagetoken.demo import seed

            d, secret = seed(auth, STATE.data_dir, base)
            typer.echo(f"pagetoken demo on {base}\n"
                       f"  app:    id {d.app_id}   secret {secret}\n"
                       f"  user:   id {d.user_id}  email {d.email}  password {d.password}\n"
                       f"  page:   id {d.page_id}\n"
                       f"  Explorer: {base}/explorer   App Dashboard: {base}/apps\n"
                       f"For the README walkthrough, paste into another shell:\n"
                       f"  export PT={base} APP_ID={d.app_id} APP_SECRET={secret} PAGE_ID={d.page_id} "
                       f"USER_ID={d.user_id}")
    os.environ["PAGETOKEN_DATA_DIR"] = str(STATE.data_dir)
    if STATE.db:
        os.environ["PAGETOKEN_DB"] = STATE.db
    if public_url:
        os.environ["PAGETOKEN_PUBLIC_URL"] = public_url
    os.environ["PAGETOKEN_LOG_LEVEL"] = log_level.upper()
    os.environ["PAGETOKEN_WORKERS"] = str(workers)  # each process enforces its share of the rate limits
    uvicorn.run("pagetoken.server:create_app", factory=True, host=host, port=port, workers=workers,
                log_level=log_level.lower(), proxy_headers=True)


# ---- apps ----------------------------------------------------------------------------------------


def _app_json(auth: Authority, a: apps.App, with_secret: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {"id": a.id, "name": a.name, "require_proof": a.require_proof,
                            "redirect_uris": list(a.redirect_uris), "deauthorize_url": a.deauthorize_url}
    if with_secret:
        data["secret"] = apps.secret(auth, a.id)
    return data


@apps_app.command("create")
def apps_create(name: str = typer.Option(..., help="The app's name."),
                redirect_uri: list[str] = typer.Option([], help="A redirect URI for the OAuth dialog (repeatable)."),
                as_json: bool = JsonOpt) -> None:
    """Create an app; prints its ID, secret and an app token."""
    with authority() as auth:
        a, secret = apps.create(auth, name, redirect_uris=redirect_uri)
        data = {"id": a.id, "secret": secret, "app_token": issue.app_token(auth, a.id)}
    emit(data, as_json, _table(["id", "secret", "app_token"], [[data["id"], data["secret"], data["app_token"]]]))


@apps_app.command("list")
def apps_list(as_json: bool = JsonOpt) -> None:
    """List every app."""
    with authority() as auth:
        data = [_app_json(auth, a) for a in apps.list_all(auth)]
    emit(data, as_json, _table(["id", "name", "require proof", "redirect URIs"],
                               [[d["id"], d["name"], d["require_proof"], " ".join(d["redirect_uris"])] for d in data]))


@apps_app.command("show")
def apps_show(app_id: str = typer.Argument(..., help="The app's ID."), as_json: bool = JsonOpt) -> None:
    """Show an app, its secret and how many live tokens it holds."""
    with authority() as auth:
        data = _app_json(auth, apps.require(auth, app_id), with_secret=True)
        data["live_tokens"] = apps.live_token_counts(auth, app_id)
    emit(data, as_json, _table(["field", "value"], [[k, json.dumps(v) if not isinstance(v, str) else v]
                                                    for k, v in data.items()]))


@apps_app.command("reset-secret")
def apps_reset_secret(app_id: str = typer.Argument(..., help="The app's ID."), as_json: bool = JsonOpt) -> None:
    """Give the app a new secret: its app tokens and app-derived Page tokens stop working."""
    with authority() as auth:
        data = {"id": app_id, "secret": apps.reset_secret(auth, app_id)}
    emit(data, as_json, _table(["id", "secret"], [[data["id"], data["secret"]]]))


def _on_off(value: str | None) -> bool | None:
    if value is None:
        return None
    if value.lower() not in ("on", "off"):
        fail(f"--require-proof takes on or off, not {value!r}")
    return value.lower() == "on"


@apps_app.command("set")
def apps_set(app_id: str = typer.Argument(..., help="The app's ID."),
             require_proof: str | None = typer.Option(None, help="on or off: demand appsecret_proof on every call."),
             redirect_uri: list[str] = typer.Option([], help="Replace the redirect URIs (repeatable)."),
             deauthorize_url: str | None = typer.Option(None, help="Where deauthorize callbacks go ('' clears)."),
             as_json: bool = JsonOpt) -> None:
    """Change an app's settings."""
    with authority() as auth:
        a = apps.configure(auth, app_id, require_proof=_on_off(require_proof),
                           redirect_uris=redirect_uri or None, deauthorize_url=deauthorize_url)
        data = _app_json(auth, a)
    emit(data, as_json, _table(["field", "value"], [[k, str(v)] for k, v in data.items()]))


# ---- users ---------------------------------------------------------------------------------------


@users_app.command("create")
def users_create(name: str = typer.Option(..., help="The user's name."),
                 email: str | None = typer.Option(None, help="Email to log in with."),
                 password: str | None = typer.Option(None, help="Password (generated when not given)."),
                 as_json: bool = JsonOpt) -> None:
    """Create a user who can log in to the web tools."""
    with authority() as auth:
        user, pw = users.create(auth, name, email, password)
    data = {"id": user.id, "email": user.email, "password": pw}
    emit(data, as_json, _table(["id", "email", "password"], [[user.id, user.email, pw]]))


@users_app.command("list")
def users_list(as_json: bool = JsonOpt) -> None:
    """List users."""
    with authority() as auth:
        data = [{"id": u.id, "name": u.name, "email": u.email, "test_user_of": u.test_app_id}
                for u in users.list_all(auth)]
    emit(data, as_json, _table(["id", "name", "email", "test user of"],
                               [[d["id"], d["name"], d["email"], d["test_user_of"]] for d in data]))


@users_app.command("set-password")
def users_set_password(user_id: str = typer.Argument(..., help="The user's ID."),
                       password: str = typer.Option(..., help="The new password (8 characters or more)."),
                       as_json: bool = JsonOpt) -> None:
    """Change a password: every token of the user stops working (190/460)."""
    with authority() as auth:
        users.set_password(auth, user_id, password)
    emit({"id": user_id, "success": True}, as_json, _table(["id", "result"], [[user_id, "password changed"]]))


# ---- pages ---------------------------------------------------------------------------------------


@pages_app.command("create")
def pages_create(name: str = typer.Option(..., help="The Page's name."),
                 category: str = typer.Option(..., help="The Page's category."),
                 owner: str = typer.Option(..., help="User ID of the owner, who holds every task."),
                 as_json: bool = JsonOpt) -> None:
    """Create a Page."""
    with authority() as auth:
        page = pages.create(auth, name, category, owner)
    emit({"id": page.id}, as_json, _table(["id", "name"], [[page.id, page.name]]))


@pages_app.command("set-tasks")
def pages_set_tasks(page_id: str = typer.Argument(..., help="The Page's ID."),
                    user_id: str = typer.Argument(..., help="The user's ID."),
                    tasks: str = typer.Option(..., help="Comma-separated tasks; empty removes the user's role."),
                    as_json: bool = JsonOpt) -> None:
    """Give a user tasks on a Page (MANAGE, CREATE_CONTENT, MODERATE, MESSAGING, ADVERTISE, ANALYZE)."""
    with authority() as auth:
        pages.require(auth, page_id)
        given = roles.set_tasks(auth, page_id, user_id, [t for t in tasks.split(",") if t.strip()])
    emit({"page_id": page_id, "user_id": user_id, "tasks": given}, as_json,
         _table(["page", "user", "tasks"], [[page_id, user_id, ",".join(given) or "(removed)"]]))


# ---- tokens --------------------------------------------------------------------------------------


@tokens_app.command("inspect")
def tokens_inspect(token: str = typer.Argument(..., help="The token (or - to read it from stdin)."),
                   as_json: bool = JsonOpt) -> None:
    """What debug_token says of a token."""
    token = sys.stdin.readline().strip() if token == "-" else token
    with authority() as auth:
        try:
            data = inspect.describe(auth, inspect.resolve(auth, token))
        except errors.TokenError as exc:
            data = inspect.describe_invalid(auth, token, exc)
    emit(data, as_json, _table(["field", "value"], [[k, json.dumps(v) if not isinstance(v, str) else v]
                                                    for k, v in data.items()]))


@tokens_app.command("revoke")
def tokens_revoke(token: str = typer.Argument(..., help="The token (or - to read it from stdin)."),
                  as_json: bool = JsonOpt) -> None:
    """Revoke a token: from now on it answers 190/467."""
    token = sys.stdin.readline().strip() if token == "-" else token
    with authority() as auth:
        if not revoke.revoke_token(auth, token):
            fail("no live token matches (it is unknown, malformed, or already revoked)")
    emit({"success": True, "token": fingerprint(token)}, as_json,
         _table(["token", "result"], [[fingerprint(token), "revoked"]]))


@tokens_app.command("purge")
def tokens_purge(older_than: float = typer.Option(30.0, "--older-than", min=0,
                                                  help="Days a token must have been dead (revoked or expired)."),
                 dry_run: bool = typer.Option(False, "--dry-run", help="Only count what would go."),
                 as_json: bool = JsonOpt) -> None:
    """Forget dead token rows and spent codes older than the retention period (they then read as unknown)."""
    with authority() as auth:
        done = retention.purge(auth, older_than, dry_run)
    data = {"tokens": done.tokens, "codes": done.codes, "dry_run": dry_run}
    emit(data, as_json, _table(["tokens", "codes", "dry run"], [[done.tokens, done.codes, dry_run]]))


def _walk(paths: list[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file():
                    yield child
        elif path.is_file():
            yield path
        else:
            fail(f"{path}: no such file or directory")


@tokens_app.command("scan")
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
            fail(f"{path}: {exc.strerror}")
        for lineno, line in enumerate(text.splitlines(), 1):
            for start, _end, tok in find_tokens(line):
                findings.append({"path": str(path), "line": lineno, "column": start + 1, "token": fingerprint(tok),
                                 "_raw": tok})
    if check and findings:
        with authority() as auth:
            for f in findings:
                try:
                    info = inspect.resolve(auth, f["_raw"])
                    f["status"] = f"live {info.kind.debug_type}"
                except errors.InvalidToken:
                    f["status"] = "unknown"
                except errors.GraphError:
                    f["status"] = "dead"
    for f in findings:
        del f["_raw"]
    emit(findings, as_json, _table(["path", "line", "column", "token", "status"],
                                   [[f["path"], f["line"], f["column"], f["token"], f.get("status", "")]
                                    for f in findings]))
    if findings:
        raise typer.Exit(1)


app.add_typer(vault_app, name="vault", help="The client-side vault: store, watch and rotate tokens.")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
