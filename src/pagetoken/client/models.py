"""What the token endpoints answer, as small typed values whose repr never shows a token."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pagetoken.core.tokens import fingerprint

from .exceptions import GraphError, parse_error

__all__ = ["TokenInfo", "ExchangedToken", "PageToken", "ResultPage"]


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


@dataclass(frozen=True)
class TokenInfo:
    """The ``data`` of ``GET /debug_token``: what a token is and how long it lives (0 = never)."""

    is_valid: bool
    type: str
    app_id: str
    application: str
    user_id: str
    profile_id: str
    scopes: tuple[str, ...]
    issued_at: int
    expires_at: int
    data_access_expires_at: int
    granular_scopes: tuple[dict[str, Any], ...] = ()
    error: GraphError | None = None

    @classmethod
    def from_graph(cls, body: Any) -> TokenInfo:
        data = body.get("data", body) if isinstance(body, dict) else {}
        error = None
        if isinstance(data.get("error"), dict):
            e = data["error"]
            error = parse_error(400, {"error": {"message": e.get("message", ""), "code": e.get("code", 190),
                                                "error_subcode": e.get("subcode"), "type": "OAuthException"}})
        return cls(
            is_valid=bool(data.get("is_valid")),
            type=str(data.get("type") or ""),
            app_id=str(data.get("app_id") or ""),
            application=str(data.get("application") or ""),
            user_id=str(data.get("user_id") or ""),
            profile_id=str(data.get("profile_id") or ""),
            scopes=tuple(str(s) for s in data.get("scopes") or ()),
            issued_at=_int(data.get("issued_at")),
            expires_at=_int(data.get("expires_at")),
            data_access_expires_at=_int(data.get("data_access_expires_at")),
            granular_scopes=tuple(g for g in data.get("granular_scopes") or () if isinstance(g, dict)),
            error=error,
        )

    @property
    def page_id(self) -> str:
        """The ResultPage a PAGE token speaks for ("" for other kinds)."""
        if self.type != "PAGE":
            return ""
        return self.profile_id


@dataclass(frozen=True)
class ExchangedToken:
    """The answer of ``/oauth/access_token``."""

    access_token: str = field(repr=False)
    token_type: str = "bearer"
    expires_in: int | None = None

    @classmethod
    def from_graph(cls, body: Any) -> ExchangedToken:
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise GraphError("the token endpoint answered without an access_token")
        expires = body.get("expires_in", body.get("expires"))
        return cls(body["access_token"], str(body.get("token_type") or "bearer"),
                   _int(expires) if expires is not None else None)

    def __repr__(self) -> str:
        return f"ExchangedToken({fingerprint(self.access_token)}, expires_in={self.expires_in})"


@dataclass(frozen=True)
class PageToken:
    """A ResultPage and a token that speaks for it (from ``/me/accounts`` or ``/{page-id}?fields=access_token``)."""

    page_id: str
    name: str
    access_token: str = field(repr=False)
    tasks: tuple[str, ...] = ()
    category: str = ""

    @classmethod
    def from_graph(cls, body: Any) -> PageToken:
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise GraphError("the ResultPage answered without an access_token: the token may lack the ResultPage task")
        return cls(str(body.get("id") or ""), str(body.get("name") or ""), body["access_token"],
                   tuple(str(t) for t in body.get("tasks") or ()), str(body.get("category") or ""))

    def __repr__(self) -> str:
        return f"PageToken(page_id={self.page_id!r}, name={self.name!r}, token={fingerprint(self.access_token)})"


@dataclass(frozen=True)
class ResultPage:
    """One page of a Graph list: its items and the cursor to the next one."""

    data: list[Any]
    next_url: str | None
    after: str | None

    @classmethod
    def from_graph(cls, body: Any) -> ResultPage:
        if not isinstance(body, dict):
            return cls([], None, None)
        paging = body.get("paging")
        paging = paging if isinstance(paging, dict) else {}
        cursors = paging.get("cursors")
        cursors = cursors if isinstance(cursors, dict) else {}
        data = body.get("data")
        return cls(data if isinstance(data, list) else [], paging.get("next"), cursors.get("after"))
