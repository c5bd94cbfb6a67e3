"""The token format, its checksum, and the keyed hash the server stores instead of the token.

A token is ``EAA`` + 44 base62 characters from the CSPRNG (262 bits) + 6 base62 characters of
CRC-32 over everything before them. The checksum lets scanners and log filters tell a real token
from random text with no false positives worth speaking of (one in 56 billion), and lets the server
turn away a mistyped token without a database read.

An app token is ``APPID|`` + a part of the same shape whose 256 bits are not drawn but derived: an
HMAC, under a server key, of the app ID and the app's current secret. It is never stored (the server
recomputes it to check it), stays the same until the secret is reset, and reveals nothing of the
secret to anyone without the server key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import zlib

PREFIX = "EAA"
BODY_LEN = 44
CHECK_LEN = 6
TOKEN_LEN = len(PREFIX) + BODY_LEN + CHECK_LEN
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

# Candidates: the prefix and exactly the right number of base62 characters, not inside a longer word,
# with the ``APPID|`` of an app token in front when there is one.
CANDIDATE_RE = re.compile(
    rf"(?<![0-9A-Za-z])(?:\d{{1,20}}\|)?(EAA[0-9A-Za-z]{{{BODY_LEN + CHECK_LEN}}})(?![0-9A-Za-z])")
# An app token: ``APPID|`` and the opaque part.
_BASE62_RE = re.compile("[0-9A-Za-z]+")
APP_TOKEN_RE = re.compile(rf"(\d{{1,20}})\|(EAA[0-9A-Za-z]{{{BODY_LEN + CHECK_LEN}}})")
# App tokens in their ``APPID|APPSECRET`` form.
APP_SECRET_PAIR_RE = re.compile(r"(?<![0-9A-Za-z])(\d{6,20})\|([0-9a-f]{32})(?![0-9A-Za-z])")


def _base62(value: int, width: int) -> str:
    chars = []
    for _ in range(width):
        value, rem = divmod(value, 62)
        chars.append(ALPHABET[rem])
    return "".join(reversed(chars))


def _checksum(head: str) -> str:
    return _base62(zlib.crc32(head.encode("ascii")), CHECK_LEN)


def new_token() -> str:
    """A fresh token: prefix, 262 random bits, checksum."""
    body = _base62(secrets.randbelow(62**BODY_LEN), BODY_LEN)
    head = PREFIX + body
    return head + _checksum(head)


def app_token(app_id: str, generation: str, key: bytes) -> str:
    """The app token of `app_id` for one generation of its secret (the same inputs, the same token)."""
    digest = hmac.new(key, f"app-token\x00{app_id}\x00{generation}".encode(), hashlib.sha256).digest()
    head = PREFIX + _base62(int.from_bytes(digest, "big"), BODY_LEN)
    return f"{app_id}|{head}{_checksum(head)}"


def is_well_formed(token: str) -> bool:
    """True when `token` has the shape and a matching checksum (it may still be unknown or revoked);
    an app token when its opaque part does."""
    app = APP_TOKEN_RE.fullmatch(token)
    if app:
        token = app.group(2)
    if len(token) != TOKEN_LEN or not token.startswith(PREFIX) or not _BASE62_RE.fullmatch(token, len(PREFIX)):
        return False
    head = token[: -CHECK_LEN]
    return hmac.compare_digest(token[-CHECK_LEN:], _checksum(head))


# Escapes a token may hide behind in URLs, logs and JSON: ``%3D``, ``%22``, ``%5F``, ``\u003d``.
_ESCAPE_RE = re.compile(r"%([0-9A-Fa-f]{2})|\\u00([0-9A-Fa-f]{2})")
DECODE_ROUNDS = 3  # percent-encoding inside percent-encoding (a URL carried in a URL), and so on


def unescape(text: str, where: list[int]) -> tuple[str, list[int]]:
    """`text` with one round of escapes decoded, and for each character of the result (plus one past
    the end) its offset in the original text, carried through `where` (the same for `text`)."""
    out: list[str] = []
    at: list[int] = []
    last = 0
    for m in _ESCAPE_RE.finditer(text):
        out.append(text[last:m.start()])
        at.extend(where[last:m.start()])
        out.append(chr(int(m.group(1) or m.group(2), 16)))
        at.append(where[m.start()])
        last = m.end()
    out.append(text[last:])
    at.extend(where[last:])
    return "".join(out), at


def find_tokens(text: str) -> list[tuple[int, int, str]]:
    """Every well-formed token in `text` (app tokens with their ``APPID|``), as (start, end, token)
    offsets into `text`: written plainly or behind percent- or JSON-escapes (``access_token%3DEAA…``,
    ``%22EAA…``, ``%45AA…``)."""
    found = [(m.start(), m.end(), m.group(0)) for m in CANDIDATE_RE.finditer(text) if is_well_formed(m.group(0))]
    layer, where = text, list(range(len(text) + 1))
    for _ in range(DECODE_ROUNDS):
        if "%" not in layer and "\\u00" not in layer:
            break
        layer, where = unescape(layer, where)
        for m in CANDIDATE_RE.finditer(layer):
            start, end = where[m.start()], where[m.end()]
            if is_well_formed(m.group(0)) and not any(s < end and start < e for s, e, _t in found):
                found.append((start, end, m.group(0)))
    return sorted(found)


def token_hash(token: str, key: bytes) -> str:
    """The keyed hash stored in place of a token (HMAC-SHA256, hex)."""
    return hmac.new(key, token.encode("utf-8"), hashlib.sha256).hexdigest()


def fingerprint(token: str) -> str:
    """A short, safe handle for a token in logs and tables: its prefix and last four characters."""
    return f"{token[:6]}…{token[-4:]}" if len(token) > 12 else "…"


def new_app_secret() -> str:
    """An app secret: 32 hex characters, as the Graph API issues."""
    return secrets.token_hex(16)
