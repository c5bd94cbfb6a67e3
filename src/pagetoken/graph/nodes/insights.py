"""`/{page-id}/insights` and `/{post-id}/insights`: metrics computed from the stored activity."""

from __future__ import annotations

from typing import Any

from pagetoken.authority import insights as activity
from pagetoken.authority.insights import Metric

from ..call import Call


def _answer(call: Call, scope_id: str, catalog: dict[str, Metric], default_periods: list[str]) -> dict[str, Any]:
    names = call.param_list("metric")
    metric = call.arg("metric")
    if metric:
        names = [metric]
    metrics = activity.resolve_metrics(names, catalog)
    raw_period = call.param("period")
    periods = call.param_list("period") if raw_period else default_periods
    if periods == ["lifetime"]:
        periods = ["days_28"]
    ends = activity.end_times(call.auth.now(), activity.parse_time(call.param("since"), "since"),
                              activity.parse_time(call.param("until"), "until"))
    data = activity.compute(call.auth, scope_id, metrics, periods, ends)
    span = len(ends) * activity.DAY
    first, last = ends[0] - activity.DAY, ends[-1]
    query = _query(call)
    return {"data": data, "paging": {
        "previous": call.url_for({**query, "since": str(int(first - span)), "until": str(int(first - 1))}),
        "next": call.url_for({**query, "since": str(int(last)), "until": str(int(last + span - 1))}),
    }}


def _query(call: Call) -> dict[str, str]:
    query = {k: v for k, v in call.params.items() if k not in ("since", "until")}
    if call.token is not None and call.token.raw:
        query["access_token"] = call.token.raw
    return query


def page_insights(call: Call) -> dict[str, Any]:
    """GET /{page-id}/insights?metric=…&period=day|week|days_28 (all three when no period is given)."""
    return _answer(call, call.node_id, activity.PAGE_METRICS, list(activity.PERIODS))


def post_insights(call: Call) -> dict[str, Any]:
    """GET /{post-id}/insights?metric=post_impressions,…"""
    return _answer(call, call.node_id, activity.POST_METRICS, ["days_28"])
