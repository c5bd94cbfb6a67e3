"""`pagetoken db`: the database's schema, and bringing it up to date."""

from __future__ import annotations

import typer
from sqlalchemy import Engine

from pagetoken.client._cliutil import Group
from pagetoken.store import db

from .common import STATE, JsonOpt, authority, command, emit, table

db_app = typer.Typer(cls=Group, no_args_is_help=True, help="The database's schema: status and upgrade.")


def _status(engine: Engine) -> dict[str, object]:
    current, head = db.current_revision(engine), db.head_revision()
    return {"current": current, "head": head, "up_to_date": current == head}


@command(db_app, "status")
def status(as_json: bool = JsonOpt) -> None:
    """Which schema revision the database is at, and which this pagetoken needs.

    Exits 1 when the schema is behind: `pagetoken db upgrade` brings it up to date."""
    engine = db.create(STATE.db or db.default_url(STATE.data_dir))
    try:
        data = _status(engine)
    finally:
        engine.dispose()
    emit(data, as_json, table(["current", "needed", "up to date"],
                              [[data["current"] or "(empty)", data["head"], data["up_to_date"]]]))
    if not data["up_to_date"]:
        raise typer.Exit(1)


@command(db_app, "upgrade")
def upgrade(as_json: bool = JsonOpt) -> None:
    """Bring the database's schema to the revision this pagetoken needs (take a backup first).

    Safe to run again, and with several servers on one PostgreSQL (they wait for each other)."""
    with authority(upgrade=True) as auth:
        data = _status(auth.store.engine)
    emit(data, as_json, table(["schema", "up to date"], [[data["current"], data["up_to_date"]]]))
