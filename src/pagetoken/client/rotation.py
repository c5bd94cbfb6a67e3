"""`Rotator`: exchange long-lived tokens before they expire, store them, then revoke the old ones.

A token is due when it expires within its margin: ``min(margin, ratio × lifetime)`` — 7 days
for the Graph API's 60-day tokens (12 % of 60 days is 7.2 days), 7.2 minutes for a 1-hour token —
so short lifetimes rotate in proportion rather than all the time. App tokens and tokens that
never expire are never due.

Rotating one row: take its lease with a compare-and-set (``acquire``), read the row again and
skip it unless it is still due (another worker may just have rotated it), exchange the token
(``fb_exchange_token``), read the fresh token's metadata (``debug_token``), store it, and only then
revoke the old one; then re-derive every Page token made from it. So two workers never exchange
one token twice, and a crash between steps never loses a token.

When the user is needed (190 with 458, 460 or 493; also an expired, revoked or unusable token)
the row leaves rotation with its status set and is reported once (`Notifier`). Anything else is
written into the row as an error with a growing ``next_attempt_at``: it backs off, never loops.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

from pagetoken.core.tokens import fingerprint

from ._log import get_logger
from .exceptions import GraphError, LeaseLost, RateLimited, TokenExpired, TokenInvalidated, TransientError
from .graph import GraphClient
from .models import ExchangedToken, TokenInfo
from .notify import Notifier
from .retry import backoff
from .rows import ACTIVE, APP, ERROR, EXPIRED, NEEDS_REAUTH, PAGE, REVOKED, TokenRecord
from .vault import Vault

__all__ = ["Rotator", "Outcome", "margin_for", "DEFAULT_MARGIN", "DEFAULT_RATIO"]

log = get_logger(__name__)
DAY = 86400.0
DEFAULT_MARGIN = 7 * DAY
DEFAULT_RATIO = 0.12
Action = Literal["rotated", "derived", "skipped", "needs_reauth", "expired", "revoked", "failed"]


def margin_for(lifetime: float, margin: float = DEFAULT_MARGIN, ratio: float = DEFAULT_RATIO) -> float:
    """How long before expiry a token of this lifetime is due (the full margin if the lifetime is unknown)."""
    return margin if lifetime <= 0 else min(margin, ratio * lifetime)


@dataclass(frozen=True)
class Outcome:
    """What happened to one row."""

    name: str
    action: Action
    detail: str = ""
    children: tuple[Outcome, ...] = field(default_factory=tuple)


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Rotator:
    """Keeps a vault's tokens fresh through a `GraphClient` that has the app ID and secret."""

    def __init__(self, vault: Vault, client: GraphClient, margin: float = DEFAULT_MARGIN, *,
                 ratio: float = DEFAULT_RATIO, notifier: Notifier | None = None, revoke_old: bool = True,
                 lease_ttl: float = 300.0, retry_base: float = 60.0, retry_cap: float = 6 * 3600.0,
                 owner: str | None = None) -> None:
        self.vault = vault
        self.client = client
        self.margin = margin
        self.ratio = ratio
        self.notifier = notifier or Notifier()
        self.revoke_old = revoke_old
        self.lease_ttl = lease_ttl
        self.retry_base = retry_base
        self.retry_cap = retry_cap
        self.owner = owner or _owner()

    # ---- which rows ----

    def margin_of(self, record: TokenRecord) -> float:
        return margin_for(record.lifetime, self.margin, self.ratio)

    def is_due(self, record: TokenRecord, now: float | None = None) -> bool:
        now = self.vault.now() if now is None else now
        if record.kind == APP or not record.expires_at or record.status not in (ACTIVE, ERROR):
            return False
        if record.next_attempt_at is not None and record.next_attempt_at > now:
            return False
        return record.expires_at - now <= self.margin_of(record)

    def due(self, now: float | None = None) -> list[TokenRecord]:
        """Rows to rotate now; a Page token whose parent is due goes with its parent."""
        rows = self.vault.list()
        due = [r for r in rows if self.is_due(r, now)]
        due_names = {r.name for r in due}
        return [r for r in due if not (r.parent and r.parent in due_names)]

    # ---- rotating ----

    def rotate_due(self, on_result: Callable[[Outcome], None] | None = None,
                   stop: threading.Event | None = None, names: Iterable[str] | None = None) -> list[Outcome]:
        """Rotate every due row (or only `names`), one at a time; `stop` ends the run between rows."""
        wanted = set(names) if names is not None else None
        results = []
        for record in self.due():
            if stop is not None and stop.is_set():
                break
            if wanted is not None and record.name not in wanted:
                continue
            outcome = self.rotate(record.name)
            results.append(outcome)
            if on_result:
                on_result(outcome)
        return results

    def rotate(self, name: str, force: bool = False) -> Outcome:
        """Rotate one row if it is (still) due, or always with `force`; never raises for Graph errors."""
        if not self.vault.acquire(name, self.owner, self.lease_ttl):
            return Outcome(name, "skipped", "another worker holds its lease")
        try:
            record = self.vault.get(name)
            if not force and not self.is_due(record):
                return Outcome(name, "skipped", "no longer due")
            if record.kind == PAGE and record.parent:
                parent = self.vault.find(record.parent)
                if parent is not None and parent.status == ACTIVE:
                    return self._derive(record, self.vault.token(parent.name), lease_held=True)
            return self._exchange(record)
        except LeaseLost as exc:
            return Outcome(name, "skipped", str(exc))
        finally:
            self.vault.release(name, self.owner)

    def _exchange(self, record: TokenRecord) -> Outcome:
        now = self.vault.now()
        if record.expires_at and record.expires_at <= now:
            return self._give_up(record, EXPIRED, "expired before it could be exchanged", None)
        old = self.vault.token(record.name)
        try:
            fresh = self.client.exchange_long_lived(old)
        except GraphError as exc:
            return self._failed(record, exc)
        info = self._info(fresh.access_token, record, fresh)
        self._store(record.name, fresh.access_token, old, info)
        log.info("vault: rotated %s (%s -> %s)", record.name, fingerprint(old), fingerprint(fresh.access_token))
        if self.revoke_old and fresh.access_token != old:
            self._revoke(record.name, old)
        children = tuple(self._derive(child, fresh.access_token) for child in self.vault.children(record.name)
                         if child.status in (ACTIVE, ERROR))
        return Outcome(record.name, "rotated", f"expires at {info.expires_at or 'never'}", children)

    def _derive(self, child: TokenRecord, user_token: str, lease_held: bool = False) -> Outcome:
        """A fresh Page token for `child` from its parent's user token."""
        if not lease_held and not self.vault.acquire(child.name, self.owner, self.lease_ttl):
            return Outcome(child.name, "skipped", "another worker holds its lease")
        try:
            old = self.vault.token(child.name)
            try:
                page = self.client.page_token(child.page_id, user_token)
            except GraphError as exc:
                return self._failed(child, exc)
            info = self._info(page.access_token, child, None)
            self._store(child.name, page.access_token, old, info)
            if self.revoke_old and page.access_token != old:
                self._revoke(child.name, old)
            return Outcome(child.name, "derived", f"Page {child.page_id}")
        except LeaseLost as exc:
            return Outcome(child.name, "skipped", str(exc))
        finally:
            if not lease_held:
                self.vault.release(child.name, self.owner)

    def _info(self, token: str, record: TokenRecord, fresh: ExchangedToken | None) -> TokenInfo:
        """The fresh token's metadata; if debug_token fails, what the exchange and the old row tell."""
        try:
            info = self.client.debug_token(token)
            if info.is_valid and info.type:
                return info
        except GraphError as exc:
            log.warning("vault: debug_token failed for the fresh %s (%s); keeping what is known", record.name, exc)
        now = int(self.vault.now())
        expires = now + fresh.expires_in if fresh and fresh.expires_in else record.expires_at
        return TokenInfo(True, record.kind, record.app_id, "", record.user_id, record.page_id, record.scopes, now,
                         expires, record.data_access_expires_at)

    def _store(self, name: str, fresh: str, old: str, info: TokenInfo) -> None:
        """Store the fresh token; if the lease was lost meanwhile, revoke it rather than leave it loose."""
        try:
            self.vault.replace(name, fresh, info, self.owner)
        except LeaseLost:
            if self.revoke_old and fresh != old:
                self._revoke(name, fresh)
            raise

    def _revoke(self, name: str, old: str) -> None:
        try:
            self.client.revoke(old)
        except GraphError as exc:
            # The fresh token is stored; the old one lives on until it expires. Say so, do not fail.
            log.warning("vault: could not revoke the previous token of %s: %s", name, exc)

    # ---- failures ----

    def _failed(self, record: TokenRecord, exc: GraphError) -> Outcome:
        if exc.needs_reauth:
            return self._give_up(record, NEEDS_REAUTH, str(exc), exc)
        if isinstance(exc, TokenExpired):
            return self._give_up(record, EXPIRED, str(exc), exc)
        if isinstance(exc, TokenInvalidated):
            return self._give_up(record, REVOKED, str(exc), exc)
        attempts = record.attempts + 1
        delay = backoff(attempts, self.retry_base, self.retry_cap)
        if isinstance(exc, RateLimited) and exc.retry_after:
            delay = max(delay, exc.retry_after)
        self.vault.mark(record.name, ERROR, str(exc), attempts=attempts, next_attempt_at=self.vault.now() + delay)
        kind = "transient" if isinstance(exc, TransientError) else "non-transient"
        log.warning("vault: %s failed (%s, attempt %d): %s; next try in %.0f s", record.name, kind, attempts,
                    exc, delay)
        return Outcome(record.name, "failed", f"{exc}; next try in {delay:.0f} s")

    def _give_up(self, record: TokenRecord, status: str, detail: str, exc: GraphError | None) -> Outcome:
        """Take the row (and the Page tokens made from it) out of rotation, and report it once."""
        self.vault.mark(record.name, status, detail)
        children = [c for c in self.vault.children(record.name) if c.status in (ACTIVE, ERROR)]
        for child in children:
            self.vault.mark(child.name, status, f"its user token {record.name!r}: {detail}")
        if self.vault.claim_report(record.name):
            payload = {"name": record.name, "kind": record.kind, "app_id": record.app_id,
                       "user_id": record.user_id, "page_id": record.page_id, "status": status,
                       "reason": exc.reason if isinstance(exc, TokenInvalidated) else status,
                       "error": exc.as_dict() if exc else None, "children": [c.name for c in children],
                       "at": int(self.vault.now())}
            self.notifier.notify(f"token.{status}", payload)
        action: Action = "needs_reauth" if status == NEEDS_REAUTH else "expired" if status == EXPIRED else "revoked"
        return Outcome(record.name, action, detail)

    # ---- the loop ----

    def watch(self, interval: float, stop: threading.Event,
              on_result: Callable[[Outcome], None] | None = None) -> None:
        """Rotate what is due every `interval` seconds until `stop` is set (the current row finishes)."""
        while not stop.is_set():
            try:
                self.rotate_due(on_result, stop)
            except Exception:
                log.exception("vault: a rotation pass failed")
            stop.wait(interval)
