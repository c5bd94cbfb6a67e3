"""Shared pieces of the Page API's answers: times, `from` objects, viewers, and what a token may see."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache, partial
from typing import Any

from pagetoken.authority import access, impressions, insights
from pagetoken.core.kinds import TokenKind

from ..call import Call
from ..fields import Selection, narrow

EdgeBuilder = Callable[[Selection | None], Any]


def graph_time(ts: float) -> str:
    """A time as the Graph API writes it: ``2026-01-15T08:00:00+0000`` (whole seconds)."""
    return _second(int(ts // 1))


@lru_cache(maxsize=65536)
def _second(second: int) -> str:
    """Formatted once per second seen: a feed shows the same posts' times call after call."""
    return datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def actor(ident: str, known: dict[str, str]) -> dict[str, str]:
    return {"name": known.get(ident, ""), "id": ident}


def viewer(call: Call) -> str | None:
    """Who is looking, for impressions and reach: the person behind the token, or the app."""
    tok = call.token
    if tok is None:
        return None
    if tok.kind == TokenKind.APP or tok.user_id is None:
        return tok.app_id
    return tok.user_id


def record_impressions(call: Call, page_id: str, object_ids: list[str]) -> None:
    """Each post shown is an impression of the Page's content, recorded once the request is answered."""
    call.usage.effect(partial(impressions.record, call.auth, page_id, insights.IMPRESSION, object_ids, viewer(call)))


def may(call: Call, permission: str, page_id: str) -> bool:
    """Whether the token carries `permission` for the Page now (for content that needs more to see)."""
    return access.has(call.auth, call.require_token(), permission, page_id)


def success() -> dict[str, bool]:
    return {"success": True}


def shape(call: Call, obj: dict[str, Any], defaults: list[str], edges: dict[str, EdgeBuilder] | None = None
          ) -> dict[str, Any]:
    """`obj` narrowed to the selected fields; edges asked for (`comments{message}`) built with their
    own nested selection."""
    sel = call.selection
    out = narrow(obj, sel, defaults)
    for name, build in (edges or {}).items():
        if sel is not None and name in sel:
            if call.usage.count_edge is not None:  # an edge read counts as a call of its own
                call.usage.count_edge(call.resolved(method="GET", path=f"{obj.get('id')}/{name}"))
            out[name] = build(sel[name])
    return out
