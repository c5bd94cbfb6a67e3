"""Cursor paging: ``{"data": [...], "paging": {"cursors": {"before", "after"}, "next"?, "previous"?}}``."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

from pagetoken.core import errors

DEFAULT_LIMIT = 25
MAX_LIMIT = 100


def encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str, name: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("utf-8")
    except (ValueError, UnicodeDecodeError) as exc:
        raise errors.BadParameter(f"{name} is not a valid cursor") from exc


def page(items: Sequence[dict[str, Any]], params: dict[str, str], url_for: Callable[[dict[str, str]], str],
         key: Callable[[dict[str, Any]], str] = lambda item: str(item["id"]),
         summary: dict[str, Any] | None = None) -> dict[str, Any]:
    """One page of `items` (already in order), with cursors and absolute next/previous links."""
    raw_limit = params.get("limit") or str(DEFAULT_LIMIT)
    try:
        limit = int(raw_limit)
    except ValueError as exc:
        raise errors.BadParameter(f"limit must be a whole number, not {raw_limit!r}") from exc
    limit = max(1, min(limit, MAX_LIMIT))
    keys = [key(item) for item in items]
    start, end = 0, len(items)
    if params.get("after"):
        after = decode_cursor(params["after"], "after")
        start = keys.index(after) + 1 if after in keys else len(items)
        end = min(len(items), start + limit)
    elif params.get("before"):
        before = decode_cursor(params["before"], "before")
        end = keys.index(before) if before in keys else 0
        start = max(0, end - limit)
    else:
        end = min(len(items), limit)
    chunk = list(items[start:end])
    out: dict[str, Any] = {"data": chunk}
    if chunk:
        cursors = {"before": encode_cursor(keys[start]), "after": encode_cursor(keys[end - 1])}
        paging: dict[str, Any] = {"cursors": cursors}
        base = {k: v for k, v in params.items() if k not in ("after", "before")}
        if end < len(items):
            paging["next"] = url_for({**base, "limit": str(limit), "after": cursors["after"]})
        if start > 0:
            paging["previous"] = url_for({**base, "limit": str(limit), "before": cursors["before"]})
        out["paging"] = paging
    if summary is not None:
        out["summary"] = summary
    return out


def query_string(params: dict[str, str]) -> str:
    return urlencode(params)
