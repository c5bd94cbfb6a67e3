"""`pagetoken apps …`: create apps, their developers, secrets and settings."""

from __future__ import annotations

from typing import Any

import typer

from pagetoken.authority import apps, issue
from pagetoken.authority.context import Authority
from pagetoken.client._cliutil import Group, dumps

from .common import JsonOpt, authority, command, emit, fail, need_app, need_user, table

apps_app = typer.Typer(cls=Group, help="Create and manage apps and their developers.", no_args_is_help=True)


def _app_json(auth: Authority, a: apps.App, with_secret: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {"id": a.id, "name": a.name, "require_proof": a.require_proof,
                            "redirect_uris": list(a.redirect_uris), "deauthorize_url": a.deauthorize_url,
                            "developers": apps.developers(auth, a.id)}
    if with_secret:
        data["secret"] = apps.secret(auth, a.id)
    return data


def _people(developers: list[dict[str, str]]) -> str:
    return ", ".join(f"{d['name']} ({d['id']}{', administrator' if d['role'] == 'administrator' else ''})"
                     for d in developers)


def _fields(data: dict[str, Any]) -> list[list[Any]]:
    return [[k, _people(v) if k == "developers" else v if isinstance(v, str) else dumps(v)]
            for k, v in data.items()]


@command(apps_app, "create")
def apps_create(name: str = typer.Option(..., help="The app's name."),
                owner: str | None = typer.Option(None, "--owner", metavar="USER_ID",
                                                 help="The user who administers it (the App Dashboard shows it "
                                                      "to them)."),
                redirect_uri: list[str] = typer.Option([], help="A redirect URI for the OAuth dialog (repeatable)."),
                as_json: bool = JsonOpt) -> None:
    """Create an app; prints its ID, secret and an app token."""
    with authority() as auth:
        if owner is not None:
            need_user(auth, owner)
        a, secret = apps.create(auth, name, owner_id=owner, redirect_uris=redirect_uri)
        data = {"id": a.id, "secret": secret, "app_token": issue.app_token(auth, a.id), "owner": owner}
    emit(data, as_json, table(["id", "secret", "app_token", "owner"],
                              [[data["id"], data["secret"], data["app_token"], owner or "(none)"]]))
    if owner is None and not as_json:
        typer.echo(f"note: nobody owns this app, so the App Dashboard shows it to no one; "
                   f"give it one with `pagetoken apps add-developer {a.id} USER_ID`", err=True)


@command(apps_app, "add-developer")
def apps_add_developer(app_id: str = typer.Argument(..., help="The app's ID."),
                       user_id: str = typer.Argument(..., help="The user's ID."),
                       as_json: bool = JsonOpt) -> None:
    """Let a user develop an app: it appears in their App Dashboard (the first one of an ownerless app owns it)."""
    with authority() as auth:
        need_app(auth, app_id)
        need_user(auth, user_id)
        added = apps.add_developer(auth, app_id, user_id)
        people = apps.developers(auth, app_id)
    emit({"id": app_id, "added": added, "developers": people}, as_json,
         table(["app", "developers"], [[app_id, _people(people)]]))


@command(apps_app, "list")
def apps_list(as_json: bool = JsonOpt) -> None:
    """List every app."""
    with authority() as auth:
        data = [_app_json(auth, a) for a in apps.list_all(auth)]
    emit(data, as_json, table(["id", "name", "require proof", "redirect URIs", "developers"],
                              [[d["id"], d["name"], d["require_proof"], " ".join(d["redirect_uris"]),
                                _people(d["developers"])] for d in data]))


@command(apps_app, "show")
def apps_show(app_id: str = typer.Argument(..., help="The app's ID."), as_json: bool = JsonOpt) -> None:
    """Show an app, its secret, its developers and how many live tokens it holds."""
    with authority() as auth:
        data = _app_json(auth, need_app(auth, app_id), with_secret=True)
        data["live_tokens"] = apps.live_token_counts(auth, app_id)
    emit(data, as_json, table(["field", "value"], _fields(data)))


@command(apps_app, "reset-secret")
def apps_reset_secret(app_id: str = typer.Argument(..., help="The app's ID."), as_json: bool = JsonOpt) -> None:
    """Give the app a new secret: its app tokens and app-derived Page tokens stop working."""
    with authority() as auth:
        need_app(auth, app_id)
        data = {"id": app_id, "secret": apps.reset_secret(auth, app_id)}
    emit(data, as_json, table(["id", "secret"], [[data["id"], data["secret"]]]))


def _on_off(value: str | None) -> bool | None:
    if value is None:
        return None
    if value.lower() not in ("on", "off"):
        fail(f"--require-proof takes on or off, not {value!r}", 2, "give --require-proof on or --require-proof off")
    return value.lower() == "on"


@command(apps_app, "set")
def apps_set(app_id: str = typer.Argument(..., help="The app's ID."),
             require_proof: str | None = typer.Option(None, metavar="on|off",
                                                      help="Demand appsecret_proof on every call, or not."),
             redirect_uri: list[str] = typer.Option([], help="Replace the redirect URIs (repeatable)."),
             deauthorize_url: str | None = typer.Option(None, help="Where deauthorize callbacks go ('' clears)."),
             as_json: bool = JsonOpt) -> None:
    """Change an app's settings."""
    proof = _on_off(require_proof)
    with authority() as auth:
        need_app(auth, app_id)
        a = apps.configure(auth, app_id, require_proof=proof,
                           redirect_uris=redirect_uri or None, deauthorize_url=deauthorize_url)
        data = _app_json(auth, a)
    emit(data, as_json, table(["field", "value"], _fields(data)))
