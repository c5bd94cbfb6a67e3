"""Every error the client raises, each carrying the Graph API row (SPEC §3) it came from.

The tree::

    ClientError
    ├── GraphError                   an error answer, or no usable answer at all
    │   ├── TokenError               190, or 104 (no token where one is required)
    │   │   ├── TokenExpired         190 / 463
    │   │   └── TokenInvalidated     190 / 458, 460, 466, 467, 492, 493, or none: .reason says which
    │   ├── PermissionDenied         200 (a permission) and 10 (a Page task): .needed
    │   ├── RateLimited              4, 17, 32, 613, 80001-80014: .retry_after
    │   ├── InvalidParameter         100 (appsecret_proof missing or wrong among them)
    │   │   ├── ObjectNotFound       100 / 33
    │   │   ├── CodeRejected         100 / 36007 (expired), 36009 (used): .reason says which
    │   │   └── BadClientSecret      1 with HTTP 400 "Error validating client secret." (never retried)
    │   ├── UnsupportedRequest       2500: an unknown path, or /me without a user or Page token
    │   ├── TransientError           1, 2, is_transient, HTTP 5xx
    │   │   └── NetworkError         no answer: connection refused, timeout, ...
    │   └── UnexpectedResponse       an answer that is not the Graph API's JSON
    └── VaultError                   the vault
        ├── VaultKeyError            no key, an unreadable key source, or a key that does not open the vault
        ├── VaultTampered            a row the vault's key cannot open: altered, or moved from another row
        ├── TokenNotFound            no token by that name
        └── LeaseLost                another worker took over a row this one was rotating

`parse_error(status, body, headers)` turns an HTTP answer into the right `GraphError`, by its
``(code, subcode)`` alone, through the table the server raises from (`pagetoken.core.errors.FAMILIES`).
`GraphError.needs_reauth` is true when only the user can fix it (458, 460, 492, 493).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Literal

from pagetoken.core import errors as codes
from pagetoken.core.permissions import CATALOG, LEGACY, TASKS

from .usage import parse_usage

__all__ = [
    "ClientError", "GraphError", "TokenError", "TokenExpired", "TokenInvalidated", "PermissionDenied",
    "RateLimited", "InvalidParameter", "ObjectNotFound", "CodeRejected", "BadClientSecret", "UnsupportedRequest",
    "TransientError",
    "NetworkError", "UnexpectedResponse", "VaultError", "VaultKeyError", "VaultTampered", "TokenNotFound",
    "LeaseLost", "InvalidReason", "parse_error",
]

InvalidReason = Literal["revoked", "password_changed", "app_removed", "data_access_expired", "not_page_admin",
                        "invalid"]

_REASONS: dict[int, InvalidReason] = {
    codes.SUB_SESSION_INVALID: "revoked",
    codes.SUB_REVOKED_BY_API: "revoked",
    codes.SUB_PASSWORD_CHANGED: "password_changed",
    codes.SUB_APP_NOT_AUTHORIZED: "app_removed",
    codes.SUB_DATA_ACCESS_EXPIRED: "data_access_expired",
    codes.SUB_NOT_PAGE_ADMIN: "not_page_admin",
}


class ClientError(Exception):
    """Anything the client library raises on purpose."""


class GraphError(ClientError):
    """An error answer of the Graph API (or of something standing in its place)."""

    def __init__(self, message: str, code: int = 0, subcode: int | None = None, type: str = "",
                 fbtrace_id: str | None = None, http_status: int | None = None,
                 is_transient: bool | None = None, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.subcode = subcode
        self.type = type
        self.fbtrace_id = fbtrace_id
        self.http_status = http_status
        self.is_transient = is_transient
        self.headers = dict(headers or {})

    @property
    def needs_reauth(self) -> bool:
        """True when only the user can fix this (re-authorise the app, log in again)."""
        return self.code == codes.CODE_TOKEN and self.subcode in codes.REAUTH_SUBCODES

    def as_dict(self) -> dict[str, Any]:
        """The error as the Graph API would write it (for logs, webhooks and vault rows)."""
        out: dict[str, Any] = {"message": self.message, "type": self.type, "code": self.code}
        if self.subcode is not None:
            out["error_subcode"] = self.subcode
        if self.fbtrace_id:
            out["fbtrace_id"] = self.fbtrace_id
        return out

    def __str__(self) -> str:
        sub = f"/{self.subcode}" if self.subcode is not None else ""
        return f"({self.code}{sub}) {self.message}" if self.code else self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code}, subcode={self.subcode}, message={self.message!r})"


class TokenError(GraphError):
    """The access token is missing, unknown, expired or no longer valid (190)."""


class TokenExpired(TokenError):
    """190/463: the token's lifetime is over. A long-lived token must be exchanged before this."""


class TokenInvalidated(TokenError):
    """190 for any other reason; `.reason` names it."""

    @property
    def reason(self) -> InvalidReason:
        return _REASONS.get(self.subcode, "invalid") if self.subcode is not None else "invalid"


class PermissionDenied(GraphError):
    """200 (the token lacks a permission) or 10 (the user's Page tasks forbid it)."""

    @property
    def needed(self) -> tuple[str, ...]:
        """The permissions or Page tasks the message names, in order."""
        found: list[str] = []
        for word in re.findall(r"[A-Za-z_]+", self.message):
            if (word in CATALOG or word in LEGACY or word in TASKS) and word not in found:
                found.append(word)
        return tuple(found)


class RateLimited(GraphError):
    """4 (app), 17 (user), 32 (Page), 613 (call type), 80001-80014 (business use case)."""

    @property
    def retry_after(self) -> float | None:
        """Seconds until calls may resume, when the answer says (Retry-After or usage headers)."""
        value = self.headers.get("retry-after") or self.headers.get("Retry-After")
        if value:
            try:
                return max(0.0, float(value))
            except ValueError:
                pass
        regain = parse_usage(self.headers).regain_seconds
        return regain if regain else None


class InvalidParameter(GraphError):
    """100: a parameter is missing or wrong."""


class ObjectNotFound(InvalidParameter):
    """100/33: the object does not exist or is not visible to this token."""


class CodeRejected(InvalidParameter):
    """100 for an OAuth dialog code: 36009 used before (what it gave is revoked) or 36007 expired."""

    @property
    def reason(self) -> Literal["used", "expired"]:
        return "used" if self.subcode == codes.SUB_CODE_USED else "expired"


class BadClientSecret(InvalidParameter):
    """Code 1 answered with HTTP 400: the client secret is wrong (the Graph API's code for it); retrying
    cannot help, unlike a code 1 answered with a 500."""


class UnsupportedRequest(GraphError):
    """2500: an unknown edge or path."""


class TransientError(GraphError):
    """A failure that may pass on its own: codes 1 and 2, is_transient, HTTP 5xx."""


class NetworkError(TransientError):
    """No answer at all (connection refused, reset, timed out)."""


class UnexpectedResponse(GraphError):
    """An answer that is not the Graph API's JSON (a proxy's HTML page, a truncated body)."""


class VaultError(ClientError):
    """Something went wrong in the vault."""


class VaultKeyError(VaultError):
    """No key, a key source that cannot be used, or a key that does not open this vault."""


class VaultTampered(VaultError):
    """A row does not open with a key that opens the vault: it was altered or moved from another row."""


class TokenNotFound(VaultError, KeyError):
    """No token by that name in the vault."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "no such token"


class LeaseLost(VaultError):
    """This worker's lease on a row ran out and another worker holds it now."""


def _load(body: bytes | str | Mapping[str, Any] | None) -> Any:
    if body is None or isinstance(body, Mapping):
        return body
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None


_BY_FAMILY: dict[str, type[GraphError]] = {
    "token_expired": TokenExpired,
    "token_invalid": TokenInvalidated,
    "permission": PermissionDenied,
    "rate_limit": RateLimited,
    "parameter": InvalidParameter,
    "object_missing": ObjectNotFound,
    "code_rejected": CodeRejected,
    "token_required": TokenError,
    "unsupported": UnsupportedRequest,
    "transient": TransientError,
}


def _class_for(status: int, code: int, subcode: int | None, transient: bool | None) -> type[GraphError]:
    if code == codes.CODE_UNKNOWN and status == 400:
        return BadClientSecret
    family = codes.family_of(code, subcode)
    if family is not None:
        return _BY_FAMILY[family]
    if transient or status >= 500:
        return TransientError
    return GraphError


def parse_error(status: int, body: bytes | str | Mapping[str, Any] | None,
                headers: Mapping[str, str] | None = None) -> GraphError:
    """The typed exception for an error answer: HTTP status, raw body (or parsed JSON) and headers."""
    hdrs = {k.lower(): v for k, v in (headers or {}).items()}
    data = _load(body)
    err = data.get("error") if isinstance(data, dict) else None
    if not isinstance(err, dict):
        if status >= 500:
            return TransientError(f"HTTP {status} without a Graph error body", http_status=status, headers=hdrs)
        return UnexpectedResponse(f"HTTP {status}: the answer is not a Graph API error", http_status=status,
                                  headers=hdrs)
    message = str(err.get("message") or "")
    try:
        code = int(err.get("code") or 0)
    except (TypeError, ValueError):
        code = 0
    raw_sub = err.get("error_subcode")
    try:
        subcode = int(raw_sub) if raw_sub is not None else None
    except (TypeError, ValueError):
        subcode = None
    transient = err.get("is_transient")
    transient = bool(transient) if transient is not None else None
    cls = _class_for(status, code, subcode, transient)
    return cls(message, code=code, subcode=subcode, type=str(err.get("type") or ""),
               fbtrace_id=err.get("fbtrace_id"), http_status=status, is_transient=transient, headers=hdrs)
