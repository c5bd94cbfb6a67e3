"""The Authority: the store, the master key ring, the clock and the lifetimes, in one place."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from pagetoken.core.clock import Clock, SystemClock
from pagetoken.core.keyring import KeyRing, derive
from pagetoken.core.lifetimes import Lifetimes
from pagetoken.core.tokens import token_hash
from pagetoken.store import keyfile
from pagetoken.store.db import default_url
from pagetoken.store.store import NeedsIO, Store, memory_only
from pagetoken.store.tables import meta

from .cache import TTLCache, ttl_from_env

log = logging.getLogger("pagetoken.authority")

_HASH_KEY = "token_hash_key"


@dataclass
class Settings:
    data_dir: Path = Path("pagetoken-data")
    db_url: str | None = None
    lifetimes: Lifetimes = field(default_factory=Lifetimes)

    @property
    def url(self) -> str:
        return self.db_url or default_url(self.data_dir)


Listener = Callable[..., None]


class Authority:
    """Everything the capabilities need. Capabilities are functions in the sibling modules."""

    def __init__(self, store: Store, keyring: KeyRing, clock: Clock | None = None,
                 lifetimes: Lifetimes | None = None) -> None:
        self.store = store
        self.keyring = keyring
        self.clock: Clock = clock or SystemClock()
        self.lifetimes = lifetimes or Lifetimes()
        self._listeners: dict[str, list[Listener]] = {}
        self._hash_key = self._load_hash_key()
        # What calls read, kept in memory: both caches empty themselves when the store's change counter
        # moves, which a committed write to anything they remember does (store.tables.READ_MODEL).
        ttl = ttl_from_env()
        self.token_cache: TTLCache[str, Any] = TTLCache(ttl, changes=store.changes.current)
        # Apps, their secrets, Pages, object types, grants and roles, by ID.
        self.record_cache: TTLCache[tuple[str, ...], Any] = TTLCache(ttl, changes=store.changes.current)
        # Whole answers the Graph layer may give again to the same request (graph/recall.py).
        self.answer_cache: TTLCache[bytes, Any] = TTLCache(ttl, 10_000, changes=store.changes.current)

    @classmethod
    def open(cls, settings: Settings, clock: Clock | None = None, upgrade: bool = False) -> Authority:
        """The authority over the settings' database. An empty database gets the schema; one whose
        schema is behind is refused unless `upgrade` (what `pagetoken db upgrade` does)."""
        ring = keyfile.load(settings.data_dir)
        return cls(Store.open(settings.url, upgrade=upgrade), ring, clock, settings.lifetimes)

    # Running a call on the event loop: no database access inside, or NeedsIO (then use a thread).
    memory_only = staticmethod(memory_only)
    NeedsIO = NeedsIO

    def now(self) -> float:
        return self.clock.now()

    def subkey(self, purpose: str) -> bytes:
        """A key for one purpose (web sessions, CSRF), derived from the server's sealed secret."""
        return derive(self._hash_key, purpose)

    def hash(self, token: str) -> str:
        return token_hash(token, self._hash_key)

    def _load_hash_key(self) -> bytes:
        aad = b"meta:" + _HASH_KEY.encode()
        with self.store.write() as conn:
            sealed = conn.execute(select(meta.c.value).where(meta.c.key == _HASH_KEY)).scalar()
            if sealed is None:
                key = derive(secrets.token_bytes(32), "token-hash")
                conn.execute(insert(meta).values(key=_HASH_KEY, value=self.keyring.seal(key, aad)))
                return key
        return self.keyring.open(sealed, aad)

    # ---- events: other parts (callbacks, caches, metrics) listen without the core knowing them ----

    def on(self, event: str, listener: Listener) -> None:
        self._listeners.setdefault(event, []).append(listener)

    def emit(self, event: str, **data: Any) -> None:
        for listener in self._listeners.get(event, []):
            try:
                listener(**data)
            except Exception:
                log.exception("listener for %s failed", event)

    def close(self) -> None:
        self.emit("closing")  # what is kept in memory (impressions) is written out first
        self.store.close()
