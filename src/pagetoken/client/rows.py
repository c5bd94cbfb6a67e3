"""The vault's tables and the `TokenRecord` each row reads as.

The vault keeps its own SQLAlchemy metadata (it never shares tables with the server). A row holds
one token, sealed, and what ``debug_token`` said about it, plus the bookkeeping of rotation: a
lease (``lease_owner``, ``lease_until``) taken with a compare-and-set, the backoff of the last
failure (``attempts``, ``next_attempt_at``) and whether a failure that needs the user was reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Column, Float, Integer, LargeBinary, MetaData, String, Table, Text

from pagetoken.core.kinds import TokenKind

__all__ = ["metadata", "tokens_table", "meta_table", "TokenRecord", "KINDS", "STATUSES",
           "ACTIVE", "NEEDS_REAUTH", "REVOKED", "EXPIRED", "ERROR", "USER", "PAGE", "APP"]

# A row's kind is what debug_token calls the token's type (the server's `TokenKind.debug_type`).
USER, PAGE, APP = TokenKind.USER.debug_type, TokenKind.PAGE.debug_type, TokenKind.APP.debug_type
KINDS = (USER, PAGE, APP)

ACTIVE = "active"
NEEDS_REAUTH = "needs_reauth"
REVOKED = "revoked"
EXPIRED = "expired"
ERROR = "error"
STATUSES = (ACTIVE, NEEDS_REAUTH, REVOKED, EXPIRED, ERROR)

metadata = MetaData()

tokens_table = Table(
    "vault_tokens", metadata,
    Column("name", String(200), primary_key=True),
    Column("kind", String(8), nullable=False),
    Column("app_id", String(64), nullable=False, default=""),
    Column("user_id", String(64), nullable=False, default=""),
    Column("page_id", String(64), nullable=False, default=""),
    Column("scopes", Text, nullable=False, default=""),
    Column("issued_at", BigInteger, nullable=False, default=0),
    Column("expires_at", BigInteger, nullable=False, default=0),
    Column("data_access_expires_at", BigInteger, nullable=False, default=0),
    Column("status", String(16), nullable=False, default=ACTIVE),
    Column("parent", String(200), nullable=True),
    Column("sealed", LargeBinary, nullable=False),
    Column("generation", Integer, nullable=False, default=1),
    Column("last_error", Text, nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", Float, nullable=True),
    Column("lease_owner", String(120), nullable=True),
    Column("lease_until", Float, nullable=True),
    Column("reported_at", Float, nullable=True),
    Column("rotated_at", Float, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

meta_table = Table(
    "vault_meta", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", LargeBinary, nullable=False),
)


@dataclass(frozen=True)
class TokenRecord:
    """One vault row without its token (read the token with `Vault.token(name)`)."""

    name: str
    kind: str
    app_id: str
    user_id: str
    page_id: str
    scopes: tuple[str, ...]
    issued_at: int
    expires_at: int
    data_access_expires_at: int
    status: str
    parent: str | None
    generation: int
    last_error: str | None
    attempts: int
    next_attempt_at: float | None
    lease_owner: str | None
    lease_until: float | None
    reported_at: float | None
    rotated_at: float | None
    created_at: float
    updated_at: float

    @classmethod
    def from_row(cls, row: Any) -> TokenRecord:
        m = row._mapping
        return cls(
            name=m["name"], kind=m["kind"], app_id=m["app_id"], user_id=m["user_id"], page_id=m["page_id"],
            scopes=tuple(s for s in (m["scopes"] or "").split(",") if s),
            issued_at=int(m["issued_at"]), expires_at=int(m["expires_at"]),
            data_access_expires_at=int(m["data_access_expires_at"]), status=m["status"], parent=m["parent"],
            generation=int(m["generation"]), last_error=m["last_error"], attempts=int(m["attempts"]),
            next_attempt_at=m["next_attempt_at"], lease_owner=m["lease_owner"], lease_until=m["lease_until"],
            reported_at=m["reported_at"], rotated_at=m["rotated_at"], created_at=m["created_at"],
            updated_at=m["updated_at"],
        )

    @property
    def lifetime(self) -> int:
        """Seconds from issue to expiry (0 when it never expires or the issue time is unknown)."""
        if not self.expires_at or not self.issued_at or self.expires_at <= self.issued_at:
            return 0
        return self.expires_at - self.issued_at

    def expires_in(self, now: float) -> float | None:
        """Seconds left (negative once expired), or None for a token that never expires."""
        return None if not self.expires_at else self.expires_at - now

    def as_dict(self, now: float | None = None) -> dict[str, Any]:
        """The record as JSON-ready data (never the token)."""
        out: dict[str, Any] = {
            "name": self.name, "kind": self.kind, "app_id": self.app_id, "user_id": self.user_id,
            "page_id": self.page_id, "scopes": list(self.scopes), "issued_at": self.issued_at,
            "expires_at": self.expires_at, "data_access_expires_at": self.data_access_expires_at,
            "status": self.status, "parent": self.parent, "generation": self.generation,
            "last_error": self.last_error, "attempts": self.attempts, "next_attempt_at": self.next_attempt_at,
            "rotated_at": self.rotated_at, "created_at": self.created_at, "updated_at": self.updated_at,
        }
        if now is not None:
            out["expires_in"] = self.expires_in(now)
        return out
