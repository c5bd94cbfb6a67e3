"""The Page node: its fields, its Page token (`fields=access_token`), and profile updates."""

from __future__ import annotations

from functools import partial
from typing import Any

from pagetoken.authority import impressions, insights, issue, oauth, pages
from pagetoken.authority.context import Authority
from pagetoken.core import errors
from pagetoken.core.kinds import TokenKind
from pagetoken.core.permissions import ANALYZE, ANY_TASK, CREATE_CONTENT, MANAGE

from ..call import Call
from ..fields import narrow
from ..registry import APP_ONLY, USER_OR_PAGE, Field, NodeType, Op, Param
from . import ads, answers, conversation, roles, subscriptions
from .insights import page_insights
from .post import publish, read_feed, read_posts, read_visitor_posts

_READ = ("pages_read_engagement",)
_LIST = (Param("limit", kind="integer"), Param("after"), Param("before"), Param("summary", kind="boolean"))


def _page_of(_auth: Authority, page_id: str) -> str | None:
    return page_id


def _wants_access_token(call: Call) -> bool:
    return call.wants("access_token")


def page_token_field(call: Call, page_id: str) -> str | None:
    """`fields=access_token`: a user token yields its Page token, an app token (with proof) an app one."""
    tok = call.require_token()
    if tok.kind == TokenKind.APP:
        issued = oauth.app_page_token(call.auth, tok, call.param("appsecret_proof"), page_id, long_lived=True)
        return issued.access_token
    if tok.kind == TokenKind.PAGE:
        return tok.raw if tok.page_id == page_id else None
    token = issue.page_tokens_for_user(call.auth, tok, [page_id])[page_id]
    if token is None:
        raise errors.NotPageAdmin()
    return token


def read_page(call: Call) -> dict[str, Any]:
    """GET /{page-id}: dispatch has checked each field against the registry (unknown fields, and the
    permission and task the private ones need)."""
    tok = call.require_token()
    page = pages.require(call.auth, call.node_id)
    wanted = list(call.selection) if call.selection is not None else NODE.default_fields
    if tok.kind == TokenKind.APP and any(NODE_FIELDS[f].permission for f in wanted):
        raise errors.BadParameter("an app access token can only read a Page's public fields and its access_token")
    obj: dict[str, Any] = {"id": page.id, "name": page.name, "category": page.category, "about": page.about,
                           "description": page.description, "phone": page.phone, "website": page.website}
    if "fan_count" in wanted:
        obj["fan_count"] = insights.fan_count(call.auth, page.id)
    if "access_token" in wanted:
        obj["access_token"] = page_token_field(call, page.id)
    if wanted != ["access_token"]:
        seen = partial(impressions.record, call.auth, page.id, insights.VIEW, (page.id,), answers.viewer(call))
        call.usage.effect(seen)
        if "fan_count" not in wanted and "access_token" not in wanted:  # the rest is the Page's own record
            call.usage.repeatable(call, tok.usable_until, seen)
    return narrow(obj, call.selection, NODE.default_fields)


def page_token_post(call: Call) -> dict[str, Any]:
    """POST /{page-id}?fields=access_token with an app token and appsecret_proof."""
    page = pages.require(call.auth, call.node_id)
    token = page_token_field(call, page.id)
    return {"id": page.id, "access_token": token}


def update_page(call: Call) -> dict[str, Any]:
    values = {k: v for k, v in call.params.items() if k in pages.EDITABLE}
    if not values:
        raise errors.BadParameter(f"nothing to update; Page fields that can be updated: {', '.join(pages.EDITABLE)}")
    pages.update_fields(call.auth, call.node_id, values)
    return {"success": True}


NODE = NodeType(
    name="page",
    description="A Facebook-style Page, managed by people with tasks on it.",
    fields=(
        Field("id", default=True), Field("name", default=True), Field("category"),
        Field("about", permission="pages_read_engagement"),
        Field("description", permission="pages_read_engagement"),
        Field("phone", permission="pages_read_engagement"),
        Field("website", permission="pages_read_engagement"),
        Field("fan_count", "How many people like the Page", permission="pages_read_engagement", kind="integer"),
        Field("access_token", "A Page access token for the token's user or app"),
    ),
    page_of=_page_of,
    ops=[
        Op("GET", None, read_page, "Read a Page's fields (access_token: a Page token)",
           params=(Param("fields", kind="list"),)),
        Op("POST", None, page_token_post, "A long-lived Page token from an app token and appsecret_proof",
           tokens=APP_ONLY, when=_wants_access_token,
           params=(Param("fields", required=True), Param("appsecret_proof", required=True))),
        Op("POST", None, update_page, "Update the Page's profile", permissions=("pages_manage_metadata",),
           task=MANAGE, tokens=USER_OR_PAGE,
           params=tuple(Param(f) for f in pages.EDITABLE)),
        Op("GET", "feed", read_feed, "The Page's feed (visitors' posts with pages_read_user_content)",
           permissions=_READ, task=ANY_TASK, tokens=USER_OR_PAGE, paged=True, item="post", params=_LIST),
        Op("POST", "feed", publish, "Publish a post as the Page", permissions=("pages_manage_posts",),
           task=CREATE_CONTENT, tokens=USER_OR_PAGE,
           params=(Param("message"), Param("link"), Param("published", kind="boolean"))),
        Op("GET", "posts", read_posts, "The Page's own posts", permissions=_READ, task=ANY_TASK,
           tokens=USER_OR_PAGE, paged=True, item="post", params=_LIST),
        Op("GET", "visitor_posts", read_visitor_posts, "What visitors posted on the Page",
           permissions=("pages_read_user_content",), task=ANY_TASK, tokens=USER_OR_PAGE, paged=True, item="post",
           params=_LIST),
        *conversation.PAGE_OPS,
        Op("GET", "insights", page_insights, "Page Insights computed from the Page's activity",
           permissions=("read_insights",), task=ANALYZE, tokens=USER_OR_PAGE,
           params=(Param("metric", kind="list", required=True), Param("period", "day, week or days_28"),
                   Param("since"), Param("until"))),
        Op("GET", "insights/{metric}", page_insights, "One Page Insights metric", permissions=("read_insights",),
           task=ANALYZE, tokens=USER_OR_PAGE,
           params=(Param("period", "day, week or days_28"), Param("since"), Param("until"))),
        *roles.PAGE_OPS,
        *subscriptions.PAGE_OPS,
        *ads.PAGE_OPS,
    ],
)
NODE_FIELDS = {f.name: f for f in NODE.fields}
