"""Shared pieces of the Page API's answers: times, `from` objects, viewers, and checks inside handlers."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from pagetoken.authority import insights
from pagetoken.core import errors
from pagetoken.core.kinds import TokenKind
from pagetoken.store.tables import pages, users

from ..call import Call
from ..fields import Selection
from ..fields import select as select_fields
from ..registry import NodeType

EdgeBuilder = Callable[[Selection | None], Any]


def graph_time(ts: float) -> str:
    """A time as the Graph API writes it: ``2026-01-15T08:00:00+0000``."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def names(conn: Connection, ids: Iterable[str]) -> dict[str, str]:
    """Display names of Pages and people, by ID."""
    wanted = set(ids)
    if not wanted:
        return {}
    out = {r.id: r.name for r in conn.execute(select(pages.c.id, pages.c.name).where(pages.c.id.in_(wanted)))}
    out.update({r.id: r.name for r in conn.execute(select(users.c.id, users.c.name).where(users.c.id.in_(wanted)))})
    return out


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
    """Each post shown is an impression of the Page's content."""
    insights.record_many(call.auth, page_id, insights.IMPRESSION, object_ids, viewer(call))


def may(call: Call, conn: Connection, permission: str, page_id: str) -> bool:
    """Whether the token carries `permission` for the Page now (for content that needs more to see)."""
    return permission in call.scopes_for(conn, page_id)


def success() -> dict[str, bool]:
    return {"success": True}


def check_fields(call: Call, node: NodeType) -> None:
    """(#100) for a field the node type does not have."""
    for name in call.selection or {}:
        if node.field(name) is None:
            raise errors.BadParameter(f"Tried accessing nonexisting field ({name}) on node type ({node.name})")


def shape(call: Call, obj: dict[str, Any], defaults: list[str], edges: dict[str, EdgeBuilder] | None = None
          ) -> dict[str, Any]:
    """`obj` narrowed to the selected fields; edges asked for (`comments{message}`) built with their
    own nested selection."""
    sel = call.selection
    out = select_fields(obj, sel, defaults)
    for name, build in (edges or {}).items():
        if sel is not None and name in sel:
            out[name] = build(sel[name])
    return out
