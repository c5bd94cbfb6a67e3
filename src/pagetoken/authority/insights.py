"""Page Insights, computed from stored activity: impressions and Page views recorded when posts and
the Page are read, engagements from comments, likes and messages, and the Page's fans.

A value is the count of events in the period that ends at its `end_time` (a UTC midnight): `day`
counts one day, `week` seven, `days_28` twenty-eight; end times step one day apart, as the Graph API's do.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, distinct, func, insert, select

from pagetoken.core import errors
from pagetoken.store.tables import page_events, page_fans

from . import impressions
from .context import Authority

DAY = 86400
PERIODS = {"day": 1, "week": 7, "days_28": 28}
MAX_RANGE_DAYS = 93

IMPRESSION = "impression"
VIEW = "view"
ENGAGEMENT = "engagement"
MESSAGE = "message"
FAN_ADD = "fan_add"
FAN_REMOVE = "fan_remove"


@dataclass(frozen=True)
class Metric:
    name: str
    title: str
    description: str
    kinds: tuple[str, ...]
    unique: bool = False      # count distinct actors instead of events
    lifetime: bool = False    # a running total at end_time (fans)
    per_object: bool = False  # a post metric: events of one object, not of the Page


def _m(name: str, title: str, description: str, *kinds: str, **kw: bool) -> Metric:
    return Metric(name, title, description, kinds, **kw)


PAGE_METRICS: dict[str, Metric] = {m.name: m for m in (
    _m("page_impressions", "Total Impressions",
       "The number of times any content from your Page entered a person's screen.", IMPRESSION),
    _m("page_impressions_unique", "Total Reach",
       "The number of people who had any content from your Page enter their screen.", IMPRESSION, unique=True),
    _m("page_post_engagements", "Post Engagements",
       "The number of times people have engaged with your posts through reactions and comments.", ENGAGEMENT),
    _m("page_engaged_users", "Engaged Users",
       "The number of people who engaged with your Page: comments, likes and messages.", ENGAGEMENT, MESSAGE,
       unique=True),
    _m("page_views_total", "Total Page Views", "The number of times a Page's profile has been viewed.", VIEW),
    _m("page_fans", "Lifetime Total Likes", "The total number of people who have liked your Page.",
       FAN_ADD, lifetime=True),
    _m("page_fan_adds", "New Likes", "The number of new people who have liked your Page.", FAN_ADD),
    _m("page_fan_removes", "Unlikes", "Unlikes of your Page.", FAN_REMOVE),
    _m("page_messages_received", "Messages Received", "Messages people sent to your Page.", MESSAGE),
)}

POST_METRICS: dict[str, Metric] = {m.name: m for m in (
    _m("post_impressions", "Lifetime Post Total Impressions",
       "The number of times your Page's post entered a person's screen.", IMPRESSION, per_object=True),
    _m("post_impressions_unique", "Lifetime Post Total Reach",
       "The number of people who had your Page's post enter their screen.", IMPRESSION, unique=True,
       per_object=True),
    _m("post_engaged_users", "Lifetime Engaged Users",
       "The number of unique people who engaged with your post (comments and likes).", ENGAGEMENT, unique=True,
       per_object=True),
)}


# ---- recording activity ----------------------------------------------------------------------------

def record(conn: Connection, page_id: str, kind: str, at: float, object_id: str | None = None,
           actor_id: str | None = None) -> None:
    conn.execute(insert(page_events).values(page_id=page_id, kind=kind, object_id=object_id, actor_id=actor_id,
                                            at=at))


def follow(auth: Authority, page_id: str, user_id: str) -> bool:
    """A person likes (follows) the Page; False when they already did."""
    now = auth.now()
    with auth.store.write() as conn:
        key = (page_fans.c.page_id == page_id) & (page_fans.c.user_id == user_id)
        if conn.execute(select(page_fans.c.user_id).where(key)).first() is not None:
            return False
        conn.execute(insert(page_fans).values(page_id=page_id, user_id=user_id, since=now))
        record(conn, page_id, FAN_ADD, now, actor_id=user_id)
    return True


def unfollow(auth: Authority, page_id: str, user_id: str) -> bool:
    now = auth.now()
    with auth.store.write() as conn:
        result = conn.execute(delete(page_fans).where(
            (page_fans.c.page_id == page_id) & (page_fans.c.user_id == user_id)))
        if not result.rowcount:
            return False
        record(conn, page_id, FAN_REMOVE, now, actor_id=user_id)
    return True


def fan_count(auth: Authority, page_id: str, conn: Connection | None = None) -> int:
    with auth.store.reading(conn) as conn:
        return int(conn.execute(select(func.count()).select_from(page_fans)
                                .where(page_fans.c.page_id == page_id)).scalar() or 0)


# ---- reading insights ------------------------------------------------------------------------------

LATEST_TIME = 253402300799  # 9999-12-31T23:59:59Z


def parse_time(raw: str | None, name: str) -> float | None:
    """`since`/`until`: a Unix time or an ISO date / date-time."""
    if raw is None or not raw.strip():
        return None
    raw = raw.strip()
    try:
        value = float(raw)
    except ValueError:
        try:
            dt = datetime.fromisoformat(raw.replace("Z", "+00:00"))
            value = (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).timestamp()
        except (ValueError, OverflowError) as exc:
            raise errors.BadParameter(f"{name} must be a Unix time or an ISO 8601 date, not {raw[:40]!r}") from exc
    if not (math.isfinite(value) and 0 <= value <= LATEST_TIME):
        raise errors.BadParameter(f"{name} must be a Unix time between 0 and {LATEST_TIME}, not {raw[:40]!r}")
    return value


def end_times(now: float, since: float | None, until: float | None) -> list[float]:
    """Daily end times (UTC midnights), each the end of a day in [since, until]; by default yesterday
    and today (today's value still growing)."""
    def end_of_day(t: float) -> float:
        return float((int(t) // DAY + 1) * DAY)

    last = end_of_day(until if until is not None else now)
    first = end_of_day(since) if since is not None else last - DAY
    if first > last:
        raise errors.BadParameter("since must be earlier than until")
    if (last - first) / DAY > MAX_RANGE_DAYS:
        raise errors.BadParameter(f"There cannot be more than {MAX_RANGE_DAYS} days between since and until")
    count = int((last - first) // DAY) + 1
    return [first + i * DAY for i in range(count)]


def fmt_time(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _value(conn: Connection, metric: Metric, scope_id: str, days: int, end: float) -> int:
    column = page_events.c.object_id if metric.per_object else page_events.c.page_id
    where = (column == scope_id) & page_events.c.kind.in_(metric.kinds) & (page_events.c.at < end)
    # what the Page does itself (its own comments and likes) is not engagement with it
    where &= page_events.c.actor_id.is_(None) | (page_events.c.actor_id != page_events.c.page_id)
    events = func.sum(page_events.c.count)  # a row may stand for several reads (impressions.py)
    if metric.lifetime:
        adds = conn.execute(select(events).where(where)).scalar() or 0
        removes = conn.execute(select(events).where(
            (column == scope_id) & (page_events.c.kind == FAN_REMOVE) & (page_events.c.at < end))).scalar() or 0
        return int(adds) - int(removes)
    where &= page_events.c.at >= end - days * DAY
    if metric.unique:
        what: Any = func.count(distinct(page_events.c.actor_id))
        where &= page_events.c.actor_id.is_not(None)
    else:
        what = events
    return int(conn.execute(select(what).where(where)).scalar() or 0)


def resolve_metrics(names: Iterable[str], catalog: dict[str, Metric]) -> list[Metric]:
    out = []
    for name in names:
        metric = catalog.get(name)
        if metric is None:
            raise errors.BadParameter(f"The value must be a valid insights metric: {name!r} is not one of "
                                   f"{', '.join(catalog)}")
        out.append(metric)
    if not out:
        raise errors.BadParameter("The parameter metric is required: " + ", ".join(catalog))
    return out


def compute(auth: Authority, scope_id: str, metrics: Sequence[Metric], periods: Sequence[str],
            ends: Sequence[float], conn: Connection | None = None) -> list[dict[str, Any]]:
    """The `data` of an insights answer: one entry per metric and period."""
    for period in periods:
        if period not in PERIODS:
            raise errors.BadParameter(f"period must be one of {', '.join(PERIODS)}, not {period!r}")
    impressions.log_for(auth).flush()  # this process's reads count at once
    out = []
    with auth.store.reading(conn) as c:
        for metric in metrics:
            for period in periods:
                days = PERIODS[period]
                values = [{"value": _value(c, metric, scope_id, days, end), "end_time": fmt_time(end)}
                          for end in ends]
                out.append({"name": metric.name, "period": period, "values": values, "title": metric.title,
                            "description": metric.description, "id": f"{scope_id}/insights/{metric.name}/{period}"})
    return out
