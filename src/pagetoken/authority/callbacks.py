"""Deauthorize callbacks (SPEC §7): when a user removes an app, POST a signed_request to the app's
deauthorize URL.

The removal only stores a delivery row (in the same database); a background worker sends it,
retrying with exponential backoff. A failing receiver never blocks the revocation and loses
nothing: pending deliveries survive restarts, and several server processes share them through a
lease on each row.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref
from typing import Any

import httpx
from sqlalchemy import Connection, insert, select, update

from pagetoken.core.proof import make_signed_request
from pagetoken.store.db import dumps, loads
from pagetoken.store.tables import apps as apps_table
from pagetoken.store.tables import deliveries

from . import apps, egress
from .context import Authority

log = logging.getLogger("pagetoken.callbacks")

PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"
DEAUTHORIZE = "deauthorize"

BACKOFF_ENV = "PAGETOKEN_CALLBACK_BACKOFF_SECONDS"
ATTEMPTS_ENV = "PAGETOKEN_CALLBACK_MAX_ATTEMPTS"
POLL_ENV = "PAGETOKEN_CALLBACK_POLL_SECONDS"
MAX_BACKOFF = 3600.0
LEASE = 60.0
TIMEOUT = 10.0


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    try:
        return float(raw) if raw else default
    except ValueError:
        log.warning("%s=%r is not a number; using %s", name, raw, default)
        return default


def enqueue(conn: Connection, user_id: str, app_id: str, at: float) -> int | None:
    """Store the deauthorize callback for a removal, in the removal's own transaction (so a crash
    loses neither); None when the app has no deauthorize URL."""
    url = conn.execute(select(apps_table.c.deauthorize_url).where(apps_table.c.id == app_id)).scalar()
    if not url:
        return None
    result = conn.execute(insert(deliveries).values(
        app_id=app_id, user_id=user_id, kind=DEAUTHORIZE, url=url,
        payload=dumps({"user_id": user_id, "issued_at": int(at)}), status=PENDING, attempts=0,
        next_attempt_at=at, created_at=at))
    pk = result.inserted_primary_key
    return int(pk[0]) if pk else None


def backoff(attempts: int, base: float) -> float:
    """Seconds to wait after the `attempts`-th failure: base, 2·base, 4·base, … up to an hour."""
    return float(min(MAX_BACKOFF, base * 2 ** max(0, attempts - 1)))


def _claim(auth: Authority, delivery_id: int, now: float) -> bool:
    with auth.store.write() as conn:
        taken = conn.execute(update(deliveries).where(
            (deliveries.c.id == delivery_id) & (deliveries.c.status == PENDING)
            & (deliveries.c.claimed_until.is_(None) | (deliveries.c.claimed_until < now))
        ).values(claimed_until=now + LEASE))
    return taken.rowcount == 1


def _finish(auth: Authority, row: Any, error: str | None, base: float, max_attempts: int) -> None:
    now = auth.now()
    attempts = row.attempts + 1
    if error is None:
        values: dict[str, Any] = {"status": DELIVERED, "delivered_at": now, "last_error": None}
    else:
        values = {"status": FAILED if attempts >= max_attempts else PENDING, "last_error": error[:500],
                  "next_attempt_at": now + backoff(attempts, base)}
    with auth.store.write() as conn:
        conn.execute(update(deliveries).where(deliveries.c.id == row.id).values(
            attempts=attempts, claimed_until=None, **values))


def attempt(auth: Authority, row: Any, client: httpx.Client, allow_private: bool = False) -> str | None:
    """POST one delivery; None on a 2xx answer, else what went wrong. The destination is checked and
    pinned now, at sending time (`egress.pin`)."""
    secret = apps.secret(auth, row.app_id)
    if secret is None:
        return "the app no longer exists"
    try:
        target = egress.pin(row.url, allow_private)
    except egress.Refused as exc:
        return f"refused: {exc}"
    signed = make_signed_request(loads(row.payload, {}), secret)
    try:
        response = client.post(target.url, data={"signed_request": signed}, headers=target.headers,
                               extensions=target.extensions)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"
    if 200 <= response.status_code < 300:
        return None
    return f"HTTP {response.status_code}"


def deliver_due(auth: Authority, client: httpx.Client, base: float, max_attempts: int,
                allow_private: bool = False) -> int:
    """Send every delivery that is due now; returns how many were delivered."""
    now = auth.now()
    with auth.store.read() as conn:
        due = list(conn.execute(select(deliveries).where(
            (deliveries.c.status == PENDING) & (deliveries.c.next_attempt_at <= now)
            & (deliveries.c.claimed_until.is_(None) | (deliveries.c.claimed_until < now))
        ).order_by(deliveries.c.next_attempt_at, deliveries.c.id).limit(20)))
    done = 0
    for row in due:
        if not _claim(auth, row.id, now):
            continue
        error = attempt(auth, row, client, allow_private)
        if error is not None:
            log.info("deauthorize callback %s to app %s failed (attempt %s): %s", row.id, row.app_id,
                     row.attempts + 1, error)
        _finish(auth, row, error, base, max_attempts)
        done += error is None
    return done


class Worker:
    """The background sender: wakes when a delivery is queued, and every poll interval."""

    def __init__(self, auth: Authority) -> None:
        self.auth = auth
        self.base = _env_float(BACKOFF_ENV, 2.0)
        self.max_attempts = int(_env_float(ATTEMPTS_ENV, 25))
        self.poll = _env_float(POLL_ENV, 0.5)
        self.allow_private = egress.allow_private_from_env()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def on_app_removed(self, **_event: Any) -> None:
        self._wake.set()  # the delivery row is already stored; send it now rather than at the next poll

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="pagetoken-callbacks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=TIMEOUT + 5)
            self._thread = None

    def _run(self) -> None:
        with httpx.Client(timeout=TIMEOUT) as client:
            while not self._stop.is_set():
                self._wake.clear()
                try:
                    deliver_due(self.auth, client, self.base, self.max_attempts, self.allow_private)
                except Exception:
                    log.exception("the callback worker failed a round; it will try again")
                self._wake.wait(self.poll)


_workers: weakref.WeakKeyDictionary[Authority, Worker] = weakref.WeakKeyDictionary()


def worker_for(auth: Authority) -> Worker:
    """The one worker of an authority (woken by `app_removed`)."""
    worker = _workers.get(auth)
    if worker is None:
        worker = _workers[auth] = Worker(auth)
        auth.on("app_removed", worker.on_app_removed)
    return worker
