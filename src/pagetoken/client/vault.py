"""`Vault`: an app's tokens, sealed at rest, with what ``debug_token`` said about each.

SQLite by default (``sqlite:///path``), PostgreSQL for several hosts (``postgresql://…``). Each
token is sealed with AES-GCM under a key ring (first key seals, every key opens) with the row's
name as associated data, so a ciphertext copied into another row does not open. A sealed canary
tells a wrong key from a tampered row at once. Keys load lazily: listing needs no key.

`rekey` rotates keys without downtime: the new key joins the source first (readers everywhere
can open both), every row is re-sealed with it (each with a compare-and-set, so a concurrent
rotation's write is never lost), then the old key leaves the source and a last sweep re-seals any
row written meanwhile. Running vaults notice the source changed and reload it.
"""

from __future__ import annotations

import builtins
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, insert, select, update
from sqlalchemy.exc import IntegrityError

from pagetoken.core.clock import Clock, SystemClock
from pagetoken.core.keyring import KeyRing, WrongKey, key_id
from pagetoken.core.keyring import new_key as make_key
from pagetoken.core.redact import redact

from ._log import get_logger
from .exceptions import LeaseLost, TokenNotFound, VaultKeyError, VaultTampered
from .keys import KeySource, StaticKeys, default_dir, default_source
from .models import TokenInfo
from .rows import ACTIVE, KINDS, TokenRecord, meta_table, metadata, tokens_table

__all__ = ["Vault", "DEFAULT_URL", "default_url", "connect"]

log = get_logger(__name__)
DEFAULT_URL = "sqlite:///pagetoken-data/vault.db"  # as `default_url` says it when $PAGETOKEN_DATA_DIR is unset
_CANARY = b"pagetoken-vault-canary"
_CANARY_AAD = b"vault-meta:canary"


def _aad(name: str) -> bytes:
    return f"vault:{name}".encode()


def default_url(folder: Path | None = None) -> str:
    """``sqlite:///DATA_DIR/vault.db`` beside the vault's key, the folder made 0700 when missing."""
    folder = folder or default_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return f"sqlite:///{folder / 'vault.db'}"


def connect(url: str) -> Engine:
    """An engine for the vault URL (``postgresql://`` uses psycopg 3; SQLite runs in WAL mode)."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if not url.startswith(("sqlite:", "postgresql+")):
        raise ValueError(f"the vault takes sqlite:///PATH or postgresql://…, not {url.split(':', 1)[0]}:…")
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def _as_source(keys: KeySource | KeyRing | Sequence[bytes] | bytes | None) -> KeySource:
    if keys is None:
        return default_source()
    if isinstance(keys, bytes):
        return StaticKeys([keys])
    if isinstance(keys, KeyRing):
        return StaticKeys(keys.keys)
    if isinstance(keys, list | tuple):
        return StaticKeys(list(keys))
    return keys  # type: ignore[return-value]


class Vault:
    """Tokens sealed at rest, with their metadata and rotation bookkeeping."""

    def __init__(self, url: str | None = None, keys: KeySource | KeyRing | Sequence[bytes] | bytes | None = None,
                 clock: Clock | None = None) -> None:
        self.url = url = url or default_url()
        self.engine = connect(url)
        metadata.create_all(self.engine)
        self.source = _as_source(keys)
        self.clock: Clock = clock or SystemClock()
        self._ring: KeyRing | None = None
        self._lock = threading.Lock()

    @classmethod
    def open(cls, url: str | None = None, keys: KeySource | KeyRing | Sequence[bytes] | bytes | None = None,
             clock: Clock | None = None) -> Vault:
        return cls(url, keys, clock)

    def __repr__(self) -> str:
        return f"Vault({self.engine.url.render_as_string(hide_password=True)}, keys from {self.source.describe()})"

    def __enter__(self) -> Vault:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.engine.dispose()

    def now(self) -> float:
        return self.clock.now()

    # ---- keys ----

    def _load_ring(self) -> KeyRing:
        try:
            ring = KeyRing(self.source.load())
        except VaultKeyError:
            raise
        except Exception as exc:
            raise VaultKeyError(f"{self.source.describe()}: {exc}") from None
        with self.engine.begin() as conn:
            sealed: bytes | None = conn.execute(
                select(meta_table.c.value).where(meta_table.c.key == "canary")).scalar()
            if sealed is None:
                try:
                    conn.execute(insert(meta_table).values(key="canary", value=ring.seal(_CANARY, _CANARY_AAD)))
                    return ring
                except IntegrityError:
                    sealed = conn.execute(select(meta_table.c.value).where(meta_table.c.key == "canary")).scalar_one()
        assert sealed is not None
        try:
            ring.open(sealed, _CANARY_AAD)
        except WrongKey:
            raise VaultKeyError(f"the key from {self.source.describe()} does not open this vault: it was sealed "
                                f"with another key") from None
        return ring

    def keyring(self) -> KeyRing:
        """The key ring, loaded on first use and reloaded when its source changed."""
        with self._lock:
            if self._ring is None or self.source.changed():
                self._ring = self._load_ring()
            return self._ring

    def check_key(self) -> None:
        """Raise `VaultKeyError` unless the key opens this vault."""
        self.keyring()

    def _seal(self, name: str, token: str) -> bytes:
        return self.keyring().seal(token.encode("utf-8"), _aad(name))

    def _open(self, name: str, sealed: bytes) -> str:
        ring = self.keyring()
        try:
            return ring.open(sealed, _aad(name)).decode("utf-8")
        except WrongKey:
            pass
        known = {key_id(k) for k in ring.keys}
        if sealed[1:9] not in known:
            with self._lock:
                self._ring = self._load_ring()  # a rekey elsewhere may have added a key
            if sealed[1:9] not in {key_id(k) for k in self._ring.keys}:
                raise VaultKeyError(f"the token {name!r} was sealed with a key that {self.source.describe()} "
                                    f"does not hold") from None
            return self._open(name, sealed)
        raise VaultTampered(f"the token {name!r} does not open: its row was altered or moved from another row")

    # ---- reading ----

    def get(self, name: str) -> TokenRecord:
        with self.engine.connect() as conn:
            row = conn.execute(select(tokens_table).where(tokens_table.c.name == name)).first()
        if row is None:
            raise TokenNotFound(f"no token named {name!r} in the vault")
        return TokenRecord.from_row(row)

    def find(self, name: str) -> TokenRecord | None:
        try:
            return self.get(name)
        except TokenNotFound:
            return None

    def list(self, kind: str | None = None, status: str | None = None) -> builtins.list[TokenRecord]:
        query = select(tokens_table).order_by(tokens_table.c.name)
        if kind:
            query = query.where(tokens_table.c.kind == kind.upper())
        if status:
            query = query.where(tokens_table.c.status == status)
        with self.engine.connect() as conn:
            return [TokenRecord.from_row(r) for r in conn.execute(query)]

    def children(self, name: str) -> builtins.list[TokenRecord]:
        """The Page tokens derived from the user token `name`."""
        query = select(tokens_table).where(tokens_table.c.parent == name).order_by(tokens_table.c.name)
        with self.engine.connect() as conn:
            return [TokenRecord.from_row(r) for r in conn.execute(query)]

    def token(self, name: str) -> str:
        """The token itself, unsealed."""
        with self.engine.connect() as conn:
            sealed = conn.execute(select(tokens_table.c.sealed).where(tokens_table.c.name == name)).scalar()
        if sealed is None:
            raise TokenNotFound(f"no token named {name!r} in the vault")
        return self._open(name, sealed)

    # ---- writing ----

    @staticmethod
    def _meta(info: TokenInfo) -> dict[str, Any]:
        kind = info.type.upper()
        if kind not in KINDS:
            raise ValueError(f"debug_token says the token is of type {info.type!r}, not one of {', '.join(KINDS)}")
        return {"kind": kind, "app_id": info.app_id, "user_id": info.user_id, "page_id": info.page_id,
                "scopes": ",".join(info.scopes), "issued_at": info.issued_at, "expires_at": info.expires_at,
                "data_access_expires_at": info.data_access_expires_at}

    def put(self, name: str, token: str, info: TokenInfo, parent: str | None = None) -> TokenRecord:
        """Store `token` under `name` (replacing what was there), with `info` from ``debug_token``."""
        if not name or len(name) > 200:
            raise ValueError("a token's name must be 1 to 200 characters")
        now = self.now()
        values = {**self._meta(info), "sealed": self._seal(name, token), "status": ACTIVE, "parent": parent,
                  "last_error": None, "attempts": 0, "next_attempt_at": None, "reported_at": None,
                  "updated_at": now}
        with self.engine.begin() as conn:
            done = conn.execute(update(tokens_table).where(tokens_table.c.name == name)
                                .values(**values, generation=tokens_table.c.generation + 1)).rowcount
            if not done:
                conn.execute(insert(tokens_table).values(name=name, created_at=now, generation=1, **values))
        log.info("vault: stored %s (%s)", name, values["kind"])
        return self.get(name)

    def replace(self, name: str, token: str, info: TokenInfo, owner: str) -> TokenRecord:
        """Store a rotated token, only while `owner` holds the row's lease (else `LeaseLost`)."""
        now = self.now()
        values = {**self._meta(info), "sealed": self._seal(name, token), "status": ACTIVE, "last_error": None,
                  "attempts": 0, "next_attempt_at": None, "reported_at": None, "rotated_at": now, "updated_at": now}
        with self.engine.begin() as conn:
            done = conn.execute(update(tokens_table)
                                .where(tokens_table.c.name == name, tokens_table.c.lease_owner == owner)
                                .values(**values, generation=tokens_table.c.generation + 1)).rowcount
        if not done:
            raise LeaseLost(f"the lease on {name!r} passed to another worker before the new token was stored")
        return self.get(name)

    def mark(self, name: str, status: str, error: str | None = None, *, attempts: int | None = None,
             next_attempt_at: float | None = None) -> None:
        """Set a row's status (and the error that led there, masked)."""
        values: dict[str, Any] = {"status": status, "last_error": redact(error) if error else None,
                                  "next_attempt_at": next_attempt_at, "updated_at": self.now()}
        if attempts is not None:
            values["attempts"] = attempts
        with self.engine.begin() as conn:
            done = conn.execute(update(tokens_table).where(tokens_table.c.name == name).values(**values)).rowcount
        if not done:
            raise TokenNotFound(f"no token named {name!r} in the vault")

    def claim_report(self, name: str) -> bool:
        """True for exactly one caller per failure: whoever may report it (compare-and-set)."""
        with self.engine.begin() as conn:
            return bool(conn.execute(update(tokens_table)
                                     .where(tokens_table.c.name == name, tokens_table.c.reported_at.is_(None))
                                     .values(reported_at=self.now())).rowcount)

    def remove(self, name: str) -> None:
        with self.engine.begin() as conn:
            if not conn.execute(tokens_table.delete().where(tokens_table.c.name == name)).rowcount:
                raise TokenNotFound(f"no token named {name!r} in the vault")

    # ---- leases ----

    def acquire(self, name: str, owner: str, ttl: float = 300.0) -> bool:
        """Take the row's lease for `ttl` seconds unless another live lease holds it (compare-and-set)."""
        now = self.now()
        c = tokens_table.c
        free = (c.lease_owner.is_(None)) | (c.lease_until < now) | (c.lease_owner == owner)
        with self.engine.begin() as conn:
            return bool(conn.execute(update(tokens_table).where(c.name == name, free)
                                     .values(lease_owner=owner, lease_until=now + ttl)).rowcount)

    def release(self, name: str, owner: str) -> None:
        c = tokens_table.c
        with self.engine.begin() as conn:
            conn.execute(update(tokens_table).where(c.name == name, c.lease_owner == owner)
                         .values(lease_owner=None, lease_until=None))

    # ---- keys, again ----

    def rekey(self, new_key: bytes | None = None, *, drop_old: bool = True,
              progress: Callable[[str], None] | None = None) -> int:
        """Re-seal every row with a new key without downtime; returns how many rows were re-sealed.

        With a writable source the new key (generated if not given) is added first and, with
        `drop_old`, the old keys are removed at the end. With ``PAGETOKEN_VAULT_KEY`` the new key
        must already be first in it: every row is re-sealed with it, then drop the old one yourself.
        """
        self.check_key()
        old = self.source.load()
        if self.source.writable:
            fresh = new_key or make_key()
            keys = [fresh, *[k for k in old if k != fresh]]
            self.source.save(keys)
        else:
            if new_key is not None and new_key != old[0]:
                raise VaultKeyError(f"put the new key first in {self.source.describe()}, then rekey")
            keys = old
        ring = KeyRing(keys)
        with self._lock:
            self._ring = ring
        count = self._reseal_all(ring, progress)
        if drop_old and self.source.writable and len(keys) > 1:
            self.source.save(keys[:1])
            count += self._reseal_all(ring, progress)
            with self._lock:
                self._ring = self._load_ring()
        log.info("vault: re-sealed %d rows with the new key", count)
        return count

    def _reseal_all(self, ring: KeyRing, progress: Callable[[str], None] | None) -> int:
        count = 0
        c = tokens_table.c
        with self.engine.begin() as conn:
            canary: bytes = conn.execute(select(meta_table.c.value).where(meta_table.c.key == "canary")).scalar_one()
            if not ring.sealed_with_primary(canary):
                fresh = ring.seal(ring.open(canary, _CANARY_AAD), _CANARY_AAD)
                conn.execute(update(meta_table).where(meta_table.c.key == "canary").values(value=fresh))
        with self.engine.connect() as conn:
            names: builtins.list[str] = builtins.list(conn.execute(select(c.name).order_by(c.name)).scalars())
        for name in names:
            while True:
                with self.engine.connect() as conn:
                    sealed = conn.execute(select(c.sealed).where(c.name == name)).scalar()
                if sealed is None or ring.sealed_with_primary(sealed):
                    break
                try:
                    plain = ring.open(sealed, _aad(name))
                except WrongKey:
                    raise VaultTampered(f"the token {name!r} does not open: its row was altered") from None
                with self.engine.begin() as conn:
                    done = conn.execute(update(tokens_table).where(c.name == name, c.sealed == sealed)
                                        .values(sealed=ring.seal(plain, _aad(name)))).rowcount
                if done:
                    count += 1
                    if progress:
                        progress(name)
                    break
                time.sleep(0.01)  # someone wrote the row meanwhile: read it again
        return count
