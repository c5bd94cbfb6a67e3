"""Ads for a Page and its billing view: spend accrues from each active ad's daily budget."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select

from pagetoken.core import errors
from pagetoken.core.kinds import ObjectType
from pagetoken.store.store import add_node
from pagetoken.store.tables import ads, posts

from .context import Authority

STATUSES = ("ACTIVE", "PAUSED")
OBJECTIVES = ("POST_ENGAGEMENT", "PAGE_LIKES", "LINK_CLICKS", "REACH", "MESSAGES")
CURRENCY = "USD"
MIN_BUDGET = 100          # one dollar a day, in cents
MAX_BUDGET = 10_000_000
DAY = 86400


@dataclass(frozen=True)
class Ad:
    id: str
    page_id: str
    app_id: str | None
    name: str
    status: str
    objective: str
    daily_budget: int
    currency: str
    post_id: str | None
    created_at: float

    def spend(self, now: float) -> int:
        """What the ad has spent by `now`, in cents: its daily budget for every day it has run."""
        if self.status != "ACTIVE":
            return 0
        return int(self.daily_budget * max(0.0, now - self.created_at) // DAY)

    @classmethod
    def from_row(cls, row: Any) -> Ad:
        return cls(row.id, row.page_id, row.app_id, row.name, row.status, row.objective, row.daily_budget,
                   row.currency, row.post_id, row.created_at)


def create(auth: Authority, page_id: str, name: str | None, daily_budget: int, status: str | None = None,
           objective: str | None = None, post_id: str | None = None, app_id: str | None = None) -> Ad:
    """A new ad for the Page (PAUSED unless asked otherwise), optionally promoting one of its posts."""
    name = (name or "").strip()
    if not name or len(name) > 400:
        raise errors.BadParameter("The parameter name is required (1 to 400 characters)")
    if not MIN_BUDGET <= daily_budget <= MAX_BUDGET:
        raise errors.BadParameter(f"daily_budget must be between {MIN_BUDGET} and {MAX_BUDGET} (in cents)")
    status = (status or "PAUSED").upper()
    if status not in STATUSES:
        raise errors.BadParameter(f"status must be one of {', '.join(STATUSES)}")
    objective = (objective or "POST_ENGAGEMENT").upper()
    if objective not in OBJECTIVES:
        raise errors.BadParameter(f"objective must be one of {', '.join(OBJECTIVES)}")
    now = auth.now()
    with auth.store.write() as conn:
        if post_id is not None:
            owner = conn.execute(select(posts.c.page_id).where(posts.c.id == post_id)).scalar()
            if owner != page_id:
                raise errors.BadParameter(f"post_id {post_id} is not a post of Page {page_id}")
        ad_id = add_node(conn, ObjectType.AD, now)
        conn.execute(insert(ads).values(id=ad_id, page_id=page_id, app_id=app_id, name=name, status=status,
                                        objective=objective, daily_budget=daily_budget, currency=CURRENCY,
                                        post_id=post_id, created_at=now))
        row = conn.execute(select(ads).where(ads.c.id == ad_id)).one()
    return Ad.from_row(row)


def of_page(auth: Authority, page_id: str, conn: Connection | None = None) -> list[Ad]:
    """The Page's ads, newest first."""
    with auth.store.reading(conn) as conn:
        rows = conn.execute(select(ads).where(ads.c.page_id == page_id).order_by(ads.c.created_at.desc(), ads.c.id))
        return [Ad.from_row(r) for r in rows]


def billing(auth: Authority, page_id: str, now: float, conn: Connection | None = None) -> dict[str, Any]:
    """The Page's ad account as billing sees it: what each ad spent and the total."""
    with auth.store.reading(conn) as conn:
        items = [{"id": ad.id, "name": ad.name, "status": ad.status, "daily_budget": ad.daily_budget,
                  "spend": ad.spend(now), "currency": ad.currency} for ad in of_page(auth, page_id, conn=conn)]
        return {"items": items, "currency": CURRENCY, "amount_spent": sum(i["spend"] for i in items),
                "daily_spend": sum(i["daily_budget"] for i in items if i["status"] == "ACTIVE")}
