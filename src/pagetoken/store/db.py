"""Opening the database: SQLite (WAL) by default, PostgreSQL by URL; migrations on open."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

_MIGRATE_LOCK = threading.Lock()


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` and drive them with psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def default_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'pagetoken.db'}"


def private_file(path: Path) -> None:
    """Create the SQLite file readable by its owner only (SQLite gives its -wal and -shm files the
    same mode), and tighten an existing database and its side files that others could read."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for part in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            if part.exists() and part.stat().st_mode & 0o077:
                part.chmod(0o600)
        except OSError:
            pass  # not ours to change (another owner): SQLite will say what it can or cannot open


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN itself, below
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    # A writing transaction takes the write lock at BEGIN, so two writers queue on busy_timeout instead
    # of failing when one upgrades a read lock; reading transactions stay deferred and run alongside.
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("writing") else "BEGIN")


def create(url: str) -> Engine:
    """An engine for `url`, configured for the server's concurrency."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            private_file(Path(parsed.database))
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               pool_size=8, max_overflow=8)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if parsed.get_backend_name() == "postgresql":
        if os.environ.get("PAGETOKEN_DB_NULLPOOL"):
            return create_engine(url, poolclass=NullPool)
        return create_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True)
    raise ValueError(f"unsupported database URL {parsed.render_as_string(hide_password=True)!r}; "
                     "use sqlite:///PATH or postgresql://…")


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "pagetoken:store/migrations")
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent; safe with several processes on PostgreSQL)."""
    cfg = alembic_config()
    with _MIGRATE_LOCK, engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7464712)")
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


class SchemaBehind(RuntimeError):
    """The database's schema is not the one this pagetoken needs (older, or from a newer pagetoken)."""


def prepare(engine: Engine, upgrade: bool) -> None:
    """Make the schema usable: with `upgrade`, bring it to the newest revision; without, create it in an
    empty database but refuse one whose schema is behind (or ahead): `pagetoken db upgrade` moves it."""
    if upgrade:
        migrate(engine)
        return
    current, head = current_revision(engine), head_revision()
    if current == head:
        return
    if current is None and not inspect(engine).get_table_names():
        migrate(engine)  # a new, empty database
        return
    if current is not None and current not in _known_revisions():
        raise SchemaBehind(f"the database's schema ({current}) comes from a newer pagetoken than this one "
                           f"(newest known: {head}); run that version, or restore a backup")
    raise SchemaBehind(f"the database's schema is at {current or 'no revision'}, this pagetoken needs {head}: "
                       "run `pagetoken db upgrade` (after a backup) to bring it up to date")


def _known_revisions() -> set[str]:
    return {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def loads(text: str | None, default: Any = None) -> Any:
    return default if text is None else json.loads(text)
