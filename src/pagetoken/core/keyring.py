"""AES-GCM under a key ring: the first key seals, every key opens, so keys rotate without downtime.

Each sealed value is bound to its context (``aad``: a table and a row ID), so a ciphertext copied into
another row does not open. Layout: ``version(1) | key id(8) | nonce(12) | ciphertext+tag``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = 1
_KID_LEN = 8
_NONCE_LEN = 12


class KeyError_(Exception):
    """A key is malformed, or no key of the ring opens a value."""


class WrongKey(KeyError_):
    pass


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def encode_key(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode("ascii")


def decode_key(text: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    except (ValueError, TypeError) as exc:
        raise KeyError_("a key must be 32 bytes in base64url") from exc
    if len(key) != 32:
        raise KeyError_(f"a key must be 32 bytes in base64url, this one is {len(key)} bytes")
    return key


def key_id(key: bytes) -> bytes:
    return hashlib.sha256(b"pagetoken-key-id" + key).digest()[:_KID_LEN]


def derive(key: bytes, purpose: str) -> bytes:
    """A sub-key for one purpose (e.g. the token-hash key), so one master key never does two jobs."""
    return hmac.new(key, b"pagetoken:" + purpose.encode("utf-8"), hashlib.sha256).digest()


class KeyRing:
    """Seal with the first key; open with whichever key sealed."""

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise KeyError_("a key ring needs at least one key")
        for k in keys:
            if len(k) != 32:
                raise KeyError_("every key must be 32 bytes")
        self.keys = list(keys)
        self._by_id = {key_id(k): AESGCM(k) for k in self.keys}
        self._primary_id = key_id(self.keys[0])

    def __repr__(self) -> str:
        return f"KeyRing(<{len(self.keys)} keys>)"

    @property
    def primary(self) -> bytes:
        return self.keys[0]

    def seal(self, plaintext: bytes, aad: bytes = b"") -> bytes:
        nonce = os.urandom(_NONCE_LEN)
        ct = self._by_id[self._primary_id].encrypt(nonce, plaintext, aad)
        return bytes([_VERSION]) + self._primary_id + nonce + ct

    def open(self, sealed: bytes, aad: bytes = b"") -> bytes:
        if len(sealed) < 1 + _KID_LEN + _NONCE_LEN + 16 or sealed[0] != _VERSION:
            raise WrongKey("the sealed value is malformed")
        kid = sealed[1 : 1 + _KID_LEN]
        nonce = sealed[1 + _KID_LEN : 1 + _KID_LEN + _NONCE_LEN]
        aead = self._by_id.get(kid)
        if aead is None:
            raise WrongKey("no key in the ring matches the key that sealed this value")
        try:
            return aead.decrypt(nonce, sealed[1 + _KID_LEN + _NONCE_LEN :], aad)
        except InvalidTag as exc:
            raise WrongKey("the value does not open: it was altered or moved from another row") from exc

    def sealed_with_primary(self, sealed: bytes) -> bool:
        return sealed[1 : 1 + _KID_LEN] == self._primary_id

    def seal_text(self, text: str, aad: str = "") -> bytes:
        return self.seal(text.encode("utf-8"), aad.encode("utf-8"))

    def open_text(self, sealed: bytes, aad: str = "") -> str:
        return self.open(sealed, aad.encode("utf-8")).decode("utf-8")
