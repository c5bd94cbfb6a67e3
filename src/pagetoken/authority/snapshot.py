"""The whole state of a server, emptied, exported and imported (`serve --dev`).

The export is versioned JSON: every table's rows except `meta` (the sealed token-hash key) and the
dev tables. Tokens and codes appear only as the keyed hashes the server stores; app secrets only
sealed under the master key, as stored. An import therefore restores working tokens and secrets on a
server with the same master key and token-hash key (the same server after a reset, or a copy of its
data dir); elsewhere it refuses, rather than restore apps whose secrets cannot be opened.
"""

from __future__ import annotations

import base64
import hmac
from typing import Any

from sqlalchemy import Connection, Integer, LargeBinary, Table, delete, func, insert, select, text

from pagetoken.core import errors
from pagetoken.core.keyring import KeyError_
from pagetoken.store.db import head_revision
from pagetoken.store.tables import apps, dev_clock, dev_faults, dev_requests, meta, metadata, rate_counts, rate_epoch

from .apps import _aad as app_aad
from .context import Authority

FORMAT = "pagetoken-state"
VERSION = 1
_DEV = {dev_clock.name, dev_faults.name, dev_requests.name}
_KEPT = {meta.name}
_COUNTS = {rate_counts.name, rate_epoch.name}  # not state: the rate limiter clears them (ratecounts.clear)
_HASHED = {"tokens", "codes"}  # rows that only mean something under the same token-hash key


def state_tables() -> list[Table]:
    """The tables of the state, parents before children."""
    return [t for t in metadata.sorted_tables if t.name not in _DEV | _KEPT | _COUNTS]


def key_id(auth: Authority) -> str:
    """Names the token-hash key without revealing it (equal on the same server, after a reset too)."""
    return auth.subkey("state-export").hex()[:16]


def _clear(conn: Connection, tables: list[Table]) -> None:
    for table in reversed(tables):
        conn.execute(delete(table))


def reset(auth: Authority) -> None:
    """Empty every table but the master key's sealed values (the token-hash key stays)."""
    with auth.store.write() as conn:
        _clear(conn, state_tables() + [dev_faults, dev_requests, dev_clock])


def _cell(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def export(auth: Authority) -> dict[str, Any]:
    out: dict[str, Any] = {"format": FORMAT, "version": VERSION, "schema": head_revision(),
                           "exported_at": auth.now(), "token_key": key_id(auth), "tables": {}}
    with auth.store.read() as conn:
        for table in state_tables():
            order = [c for c in table.primary_key.columns]
            rows = conn.execute(select(table).order_by(*order)).mappings().all()
            out["tables"][table.name] = [{k: _cell(v) for k, v in row.items()} for row in rows]
    return out


def _row(table: Table, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise errors.BadParameter(f"every row of {table.name} must be an object")
    unknown = set(raw) - set(table.c.keys())
    if unknown:
        raise errors.BadParameter(f"{table.name} has no column {sorted(unknown)[0]!r}")
    row = dict(raw)
    for col in table.columns:
        if isinstance(col.type, LargeBinary) and isinstance(row.get(col.name), str):
            try:
                row[col.name] = base64.b64decode(row[col.name], validate=True)
            except ValueError as exc:
                raise errors.BadParameter(f"{table.name}.{col.name} must be base64") from exc
    return row


def _check_secrets(auth: Authority, rows: list[dict[str, Any]]) -> None:
    for row in rows:
        try:
            auth.keyring.open_text(row["secret_sealed"], app_aad(str(row["id"])))
        except (KeyError_, KeyError, TypeError, ValueError) as exc:
            raise errors.BadParameter(f"the secret of app {row.get('id')} does not open under this server's master "
                                   "key; import a state on a server with the master key it was exported "
                                   "under (PAGETOKEN_MASTER_KEY), or seed it from a fixture") from exc


def _fix_sequences(conn: Connection, tables: list[Table]) -> None:
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        pk = list(table.primary_key.columns)
        for col in pk:
            if len(pk) == 1 and isinstance(col.type, Integer) and col.autoincrement in (True, "auto"):
                top = conn.execute(select(func.max(col))).scalar()
                if top is not None:
                    conn.execute(text("SELECT setval(pg_get_serial_sequence(:t, :c), :v)"),
                                 {"t": table.name, "c": col.name, "v": int(top)})


def import_state(auth: Authority, state: Any) -> dict[str, Any]:
    """Replace the whole state with an export. Answers how many rows of each table came in."""
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise errors.BadParameter(f"a state must be a JSON object with format {FORMAT!r}")
    if state.get("version") != VERSION:
        raise errors.BadParameter(f"this server reads state version {VERSION}, not {state.get('version')!r}")
    tables = state.get("tables")
    if not isinstance(tables, dict):
        raise errors.BadParameter("a state needs tables")
    known = {t.name: t for t in state_tables()}
    unknown = set(tables) - set(known)
    if unknown:
        raise errors.BadParameter(f"unknown table {sorted(unknown)[0]!r}")
    same_key = hmac.compare_digest(str(state.get("token_key", "")), key_id(auth))
    if not same_key and (tables.get("tokens") or tables.get("codes")):
        raise errors.BadParameter("the state's tokens were hashed under another token key; import it on the "
                               "server (or a copy of the data dir) it was exported from")
    rows = {name: [_row(known[name], r) for r in (tables.get(name) or [])] for name in known}
    _check_secrets(auth, rows[apps.name])
    counts: dict[str, int] = {}
    with auth.store.write() as conn:
        _clear(conn, state_tables())
        for table in state_tables():
            if rows[table.name]:
                conn.execute(insert(table), rows[table.name])
            counts[table.name] = len(rows[table.name])
        _fix_sequences(conn, state_tables())
    return {"success": True, "rows": counts}
