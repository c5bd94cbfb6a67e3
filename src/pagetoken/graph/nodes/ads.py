"""`/{page-id}/ads` and `/{page-id}/billing`: a Page's ads and what they have spent."""

from __future__ import annotations

from typing import Any

from pagetoken.authority import ads
from pagetoken.core import errors
from pagetoken.core.permissions import ADVERTISE

from ..call import Call
from ..registry import USER_OR_PAGE, Op, Param
from . import answers


def _ad_object(ad: ads.Ad, now: float) -> dict[str, Any]:
    return {"id": ad.id, "name": ad.name, "status": ad.status, "objective": ad.objective,
            "daily_budget": ad.daily_budget, "currency": ad.currency, "post_id": ad.post_id,
            "created_time": answers.graph_time(ad.created_at), "spend": ad.spend(now)}


def list_ads(call: Call) -> dict[str, Any]:
    now = call.auth.now()
    items = [_ad_object(ad, now) for ad in ads.of_page(call.auth, call.node_id)]
    return call.paged(items, ["id", "name", "status"], summary={"total_count": len(items)})


def create_ad(call: Call) -> dict[str, Any]:
    """POST /{page-id}/ads `name, daily_budget, status?, objective?, post_id?` → ``{"id"}``."""
    tok = call.require_token()
    budget = call.param_int("daily_budget", -1, -1, 10**12)
    if budget < 0:
        raise errors.BadParameter("The parameter daily_budget is required (in cents)")
    ad = ads.create(call.auth, call.node_id, call.param("name", max_len=400), budget, call.param("status"),
                    call.param("objective"), call.param("post_id"), app_id=tok.app_id)
    return {"id": ad.id}


def billing(call: Call) -> dict[str, Any]:
    """GET /{page-id}/billing: each ad's spend, with the account's totals as the summary."""
    view = ads.billing(call.auth, call.node_id, call.auth.now())
    answer = call.paged(view["items"], ["id", "name", "status", "daily_budget", "spend", "currency"])
    answer["summary"] = {"total_count": len(view["items"]), "currency": view["currency"],
                         "amount_spent": view["amount_spent"], "daily_spend": view["daily_spend"]}
    return answer


_ADS = ("pages_manage_ads",)

PAGE_OPS = (
    Op("GET", "ads", list_ads, "The Page's ads", permissions=_ADS, task=ADVERTISE, tokens=USER_OR_PAGE, paged=True),
    Op("POST", "ads", create_ad, "Create an ad for the Page", permissions=_ADS, task=ADVERTISE, tokens=USER_OR_PAGE,
       params=(Param("name", required=True), Param("daily_budget", required=True, kind="integer"),
               Param("status", "ACTIVE or PAUSED"), Param("objective"), Param("post_id"))),
    Op("GET", "billing", billing, "What the Page's ads have spent", permissions=_ADS, task=ADVERTISE,
       tokens=USER_OR_PAGE, paged=True),
)
