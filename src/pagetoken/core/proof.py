"""appsecret_proof and signed_request: the two HMACs an app and the authority share."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any


def same_secret(expected: str, given: str) -> bool:
    """Constant-time equality of two secrets, whatever characters `given` holds (compared as UTF-8)."""
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def appsecret_proof(access_token: str, app_secret: str) -> str:
    """HMAC-SHA256 of the token keyed by the app secret, hex, as the Graph API defines it."""
    return hmac.digest(app_secret.encode("utf-8"), access_token.encode("utf-8"), "sha256").hex()


def proof_matches(access_token: str, app_secret: str, proof: str) -> bool:
    return same_secret(appsecret_proof(access_token, app_secret), proof.strip().lower())


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_signed_request(payload: dict[str, Any], app_secret: str) -> str:
    """``base64url(HMAC-SHA256(encoded payload, secret)) + "." + base64url(JSON payload)``."""
    body = {"algorithm": "HMAC-SHA256", **payload}
    encoded = _b64url(json.dumps(body, separators=(",", ":"), sort_keys=True).encode("utf-8"))
    sig = hmac.new(app_secret.encode("utf-8"), encoded.encode("ascii"), hashlib.sha256).digest()
    return _b64url(sig) + "." + encoded


def parse_signed_request(signed_request: str, app_secret: str) -> dict[str, Any] | None:
    """The payload when the signature is right and the algorithm is HMAC-SHA256, else None."""
    try:
        sig_part, encoded = signed_request.split(".", 1)
        sig = _b64url_decode(sig_part)
        payload = json.loads(_b64url_decode(encoded))
    except (ValueError, UnicodeDecodeError):
        return None
    expected = hmac.new(app_secret.encode("utf-8"), encoded.encode("ascii"), hashlib.sha256).digest()
    if not hmac.compare_digest(sig, expected):
        return None
    if not isinstance(payload, dict) or payload.get("algorithm") != "HMAC-SHA256":
        return None
    return payload
