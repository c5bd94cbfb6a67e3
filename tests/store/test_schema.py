"""The schema: a new database is created at the newest revision; one that is behind is refused with
what to run, and `pagetoken db upgrade` brings it up to date."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alembic import command
from typer.testing import CliRunner

from pagetoken.cli import app
from pagetoken.store import db
from pagetoken.store.store import Store

runner = CliRunner()


def _behind(url: str) -> None:
    """A database left at the first revision, as an old pagetoken would have left it."""
    engine = db.create(url)
    cfg = db.alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    engine.dispose()


def test_a_new_database_is_created_without_asking(db_url: str) -> None:
    store = Store.open(db_url, upgrade=False)
    assert db.current_revision(store.engine) == db.head_revision()
    store.close()


def test_a_database_behind_is_refused_until_upgraded(db_url: str) -> None:
    _behind(db_url)
    with pytest.raises(db.SchemaBehind, match="pagetoken db upgrade"):
        Store.open(db_url, upgrade=False)
    store = Store.open(db_url, upgrade=True)
    assert db.current_revision(store.engine) == db.head_revision()
    store.close()
    Store.open(db_url, upgrade=False).close()


def test_the_cli_refuses_then_upgrades(tmp_path: Path, db_url: str) -> None:
    data = tmp_path / "data"
    data.mkdir()
    url = db.default_url(data) if db_url.startswith("sqlite") else db_url  # SQLite: the data dir's own file
    given = [] if db_url.startswith("sqlite") else ["--db", db_url]
    _behind(url)
    status = runner.invoke(app, ["--data-dir", str(data), *given, "db", "status", "--json"])
    assert status.exit_code == 1 and json.loads(status.stdout)["up_to_date"] is False
    refused = runner.invoke(app, ["--data-dir", str(data), *given, "apps", "list"])
    assert refused.exit_code == 1 and "pagetoken db upgrade" in refused.stderr
    done = runner.invoke(app, ["--data-dir", str(data), *given, "db", "upgrade", "--json"])
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout) == {"current": db.head_revision(), "head": db.head_revision(), "up_to_date": True}
    assert runner.invoke(app, ["--data-dir", str(data), *given, "db", "status"]).exit_code == 0
    assert runner.invoke(app, ["--data-dir", str(data), *given, "apps", "list"]).exit_code == 0
