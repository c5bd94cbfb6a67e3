"""`pagetoken vault …`: add, list, show, rotate, revoke, watch, rekey and export the vault's tokens.

Mounted by the main CLI as ``app.add_typer(vault_app, name="vault")``; also runs on its own as
``python -m pagetoken.client.cli``. Tokens are printed only by ``show --reveal``; every command that
prints data takes ``--json``; every error is one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import typer
from rich.table import Table

from pagetoken.core.keyring import encode_key
from pagetoken.core.keyring import new_key as make_key
from pagetoken.core.tokens import fingerprint

from ._cli_base import (
    JsonOpt,
    emit,
    fail,
    graph,
    human,
    opened,
    outcome_table,
    plain_errors,
    read_token,
    records_table,
    vault_app,
)
from ._cli_rotation import rotate, watch
from ._cliutil import MODE, PROBLEM, USAGE, Command, dumps
from .exceptions import GraphError
from .keys import EnvKeys
from .rows import REVOKED, USER

__all__ = ["vault_app"]


@vault_app.command("add", cls=Command)
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
    with opened() as vault, graph() as client, plain_errors():
        value = read_token(token or exchange_from or "")
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
    emit([r.as_dict(now) for r in stored], as_json, lambda: records_table(stored, now))


@vault_app.command("list", cls=Command)
def list_(kind: str | None = typer.Option(None, "--kind", help="Only USER, PAGE or APP tokens."),
          status: str | None = typer.Option(None, "--status", help="Only tokens with this status."),
          as_json: bool = JsonOpt) -> None:
    """List the tokens: name, kind, Page, scopes, expiry and status (never the tokens)."""
    with opened() as vault, plain_errors():
        records = vault.list(kind, status)
        now = vault.now()
    emit([r.as_dict(now) for r in records], as_json, lambda: records_table(records, now))


@vault_app.command("show", cls=Command)
def show(name: str = typer.Argument(..., help="The token's name."),
         reveal: bool = typer.Option(False, "--reveal", help="Print the token itself too."),
         as_json: bool = JsonOpt) -> None:
    """Show one token's metadata; the token only with --reveal."""
    with opened() as vault, plain_errors():
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
            t.add_row(key, human(key, value, now))
        return t

    emit(data, as_json, table)


vault_app.command("rotate", cls=Command)(rotate)


@vault_app.command("revoke", cls=Command)
def revoke(name: str = typer.Argument(..., help="The token's name."),
           forget: bool = typer.Option(False, "--forget", help="Also delete it from the vault."),
           as_json: bool = JsonOpt) -> None:
    """Revoke a token on the server (DELETE /oauth/access_token) and mark it revoked.

    Exits 1 when the server refuses (a token it already treats as dead counts as revoked)."""
    with opened() as vault, graph() as client, plain_errors():
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
    emit(data, as_json, lambda: outcome_table([{"name": name, "action": "revoked", "detail": ""}]))


vault_app.command("watch", cls=Command)(watch)


@vault_app.command("rekey", cls=Command)
def rekey(keep_old: bool = typer.Option(False, "--keep-old", help="Leave the old key in the key source."),
          as_json: bool = JsonOpt) -> None:
    """Re-seal every token with a new key, without downtime.

    Exits 1 when a row does not open (altered, or sealed under a key no longer given)."""
    with opened() as vault, plain_errors():
        if isinstance(vault.source, EnvKeys) and len(vault.source.load()) < 2:
            fail("with PAGETOKEN_VAULT_KEY, put a new key first (`vault keygen`), keep the old one after a "
                 "comma, run rekey, then drop the old key")
        count = vault.rekey(drop_old=not keep_old)
        data = {"resealed": count, "keys": vault.source.describe()}
    emit(data, as_json, lambda: outcome_table([{"name": "*", "action": "re-sealed", "detail": f"{count} rows"}]))


@vault_app.command("keygen", cls=Command)
def keygen(as_json: bool = JsonOpt) -> None:
    """Print a fresh vault key (base64url), for PAGETOKEN_VAULT_KEY."""
    key = encode_key(make_key())
    typer.echo(dumps({"key": key}) if as_json else key)


@vault_app.command("export", cls=Command)
def export(kind: str | None = typer.Option(None, "--kind", help="Only USER, PAGE or APP tokens."),
           _redacted: bool = typer.Option(True, "--redacted", hidden=True,
                                          help="Accepted for older scripts: every export is redacted.")) -> None:
    """Print every row as JSON, tokens left out (to back up the tokens, copy the sealed vault file)."""
    MODE.json = True
    with opened() as vault, plain_errors():
        now = vault.now()
        rows = [r.as_dict(now) for r in vault.list(kind)]
    typer.echo(dumps({"exported_at": int(now), "tokens": rows}))


if __name__ == "__main__":
    MODE.root = "pagetoken vault"
    vault_app()
