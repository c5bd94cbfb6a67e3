"""What the authority hands out: plain records of apps, users, Pages and validated tokens."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pagetoken.core.kinds import Origin, Source, TokenKind
from pagetoken.store.db import loads


@dataclass(frozen=True)
class App:
    id: str
    name: str
    require_proof: bool
    redirect_uris: tuple[str, ...]
    deauthorize_url: str | None
    owner_id: str | None
    created_at: float
    secret_reset_at: float | None

    @classmethod
    def from_row(cls, row: Any) -> App:
        return cls(row.id, row.name, bool(row.require_proof), tuple(loads(row.redirect_uris, [])),
                   row.deauthorize_url, row.owner_id, row.created_at, row.secret_reset_at)


@dataclass(frozen=True)
class User:
    id: str
    name: str
    email: str | None
    test_app_id: str | None
    created_at: float
    password_changed_at: float | None = None  # web sessions from before a change stop working

    @classmethod
    def from_row(cls, row: Any) -> User:
        return cls(row.id, row.name, row.email, row.test_app_id, row.created_at, row.password_changed_at)


@dataclass(frozen=True)
class Page:
    id: str
    name: str
    category: str
    about: str | None
    description: str | None
    phone: str | None
    website: str | None
    created_at: float

    @classmethod
    def from_row(cls, row: Any) -> Page:
        return cls(row.id, row.name, row.category, row.about, row.description, row.phone, row.website,
                   row.created_at)


@dataclass(frozen=True)
class ValidToken:
    """A token that passed validation: who it acts for, for which app, with what."""

    kind: TokenKind
    app_id: str
    origin: Origin
    long_lived: bool
    scopes: tuple[str, ...]
    issued_at: float
    expires_at: float | None
    source: Source
    token_id: int | None = None
    user_id: str | None = None
    page_id: str | None = None
    data_access_expires_at: float | None = None
    raw: str = field(default="", repr=False)

    @property
    def usable_until(self) -> float | None:
        """When `validation.resolve` stops accepting it (its expiry, or for a person's token the end of its
        data access), or None for never."""
        ends = [t for t in (self.expires_at, self.data_access_expires_at if self.origin == Origin.USER else None)
                if t is not None]
        return min(ends) if ends else None

    @property
    def subject_id(self) -> str:
        """What `/me` means for this token: the Page, the user, or the app."""
        if self.kind == TokenKind.PAGE and self.page_id:
            return self.page_id
        if self.kind == TokenKind.USER and self.user_id:
            return self.user_id
        return self.app_id
