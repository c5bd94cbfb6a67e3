"""The rate-limit usage headers of the Graph API, read into one `Usage`.

``X-App-Usage`` and ``X-Page-Usage`` carry ``{"call_count", "total_time", "total_cputime"}``, each a
percentage of the limit. ``X-Business-Use-Case-Usage`` carries, per business ID, a list of
``{"type", "call_count", "total_time", "total_cputime", "estimated_time_to_regain_access"}`` (the
last in minutes). Headers that are absent or not JSON are ignored: usage is advice, never an error.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Usage", "parse_usage"]

_METRICS = ("call_count", "total_time", "total_cputime")


def _percentages(value: Any) -> dict[str, float]:
    out: dict[str, float] = {}
    if isinstance(value, dict):
        for key in (*_METRICS, "estimated_time_to_regain_access"):
            raw = value.get(key)
            if isinstance(raw, int | float) and not isinstance(raw, bool):
                out[key] = float(raw)
    return out


def _json_header(headers: Mapping[str, str], name: str) -> Any:
    raw = headers.get(name) or headers.get(name.lower())
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


@dataclass(frozen=True)
class Usage:
    """What the last answer said about rate-limit usage."""

    app: dict[str, float] = field(default_factory=dict)
    page: dict[str, float] = field(default_factory=dict)
    business: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.app or self.page or self.business)

    @property
    def max_percent(self) -> float:
        """The highest of every call_count, total_time and total_cputime percentage."""
        values = [v for d in (self.app, self.page) for k, v in d.items() if k in _METRICS]
        for entries in self.business.values():
            values += [float(e[k]) for e in entries for k in _METRICS if isinstance(e.get(k), int | float)]
        return max(values, default=0.0)

    @property
    def call_count(self) -> float:
        """The highest call_count percentage across every header."""
        values = [d["call_count"] for d in (self.app, self.page) if "call_count" in d]
        for entries in self.business.values():
            values += [float(e["call_count"]) for e in entries if isinstance(e.get("call_count"), int | float)]
        return max(values, default=0.0)

    @property
    def regain_seconds(self) -> float:
        """The longest ``estimated_time_to_regain_access`` in any header, in seconds (0 if none)."""
        minutes = [d.get("estimated_time_to_regain_access", 0.0) for d in (self.app, self.page)]
        for entries in self.business.values():
            minutes += [float(e.get("estimated_time_to_regain_access") or 0) for e in entries]
        return max(minutes, default=0.0) * 60.0


def parse_usage(headers: Mapping[str, str]) -> Usage:
    """Read the usage headers of one answer (header names in any case)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    business: dict[str, list[dict[str, Any]]] = {}
    buc = _json_header(lowered, "x-business-use-case-usage")
    if isinstance(buc, dict):
        for business_id, entries in buc.items():
            if isinstance(entries, list):
                business[str(business_id)] = [
                    {"type": e.get("type"), **_percentages(e)} for e in entries if isinstance(e, dict)
                ]
    return Usage(app=_percentages(_json_header(lowered, "x-app-usage")),
                 page=_percentages(_json_header(lowered, "x-page-usage")),
                 business=business)
