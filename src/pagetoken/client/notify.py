"""Telling people about a token that needs them: a masked log line, and an optional signed webhook.

The webhook is a JSON POST whose raw body is signed with HMAC-SHA256 under a shared secret, in the
header ``X-Pagetoken-Signature: sha256=<hex>``. A receiver checks it with `verify_signature`. A
delivery failure is logged and never raised: reporting must not stop rotation.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import httpx

from ._log import get_logger

__all__ = ["SIGNATURE_HEADER", "sign", "verify_signature", "Notifier"]

log = get_logger(__name__)
SIGNATURE_HEADER = "X-Pagetoken-Signature"


def sign(body: bytes, secret: str) -> str:
    """The signature header's value for `body`: ``sha256=<hex HMAC-SHA256>``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify_signature(body: bytes, header: str | None, secret: str) -> bool:
    """True when `header` is the signature of `body` under `secret` (constant-time)."""
    return bool(header) and hmac.compare_digest(sign(body, secret).encode(), (header or "").strip().encode())


class Notifier:
    """Reports events: always a log line (tokens masked), and a POST to `webhook_url` when set."""

    def __init__(self, webhook_url: str | None = None, webhook_secret: str | None = None, *,
                 attempts: int = 3, timeout: float = 10.0, http: httpx.Client | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if webhook_url and not webhook_secret:
            raise ValueError("a webhook needs a secret to sign its body with")
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.attempts = max(1, attempts)
        self.timeout = timeout
        self._http = http
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"Notifier(webhook={self.webhook_url!r})"

    def notify(self, event: str, payload: dict[str, Any]) -> bool:
        """Log `event` and deliver it; True when the webhook took it (or there is none)."""
        log.warning("vault: %s: %s", event, json.dumps(payload, sort_keys=True, default=str))
        if not self.webhook_url or not self.webhook_secret:
            return True
        body = json.dumps({"event": event, **payload}, sort_keys=True, default=str).encode("utf-8")
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, self.webhook_secret),
                   "User-Agent": "pagetoken-vault/0.1"}
        for attempt in range(1, self.attempts + 1):
            try:
                if self._http is not None:
                    response = self._http.post(self.webhook_url, content=body, headers=headers)
                else:
                    response = httpx.post(self.webhook_url, content=body, headers=headers, timeout=self.timeout)
                if response.status_code < 300:
                    return True
                reason = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                reason = type(exc).__name__
            log.warning("vault: webhook for %s failed (%s), attempt %d of %d", event, reason, attempt,
                        self.attempts)
            if attempt < self.attempts:
                self._sleep(min(5.0, 0.2 * 2 ** attempt))
        return False
