"""The post node (`PAGEID_POSTID`), and the Page's feed edges that list and publish posts."""

from __future__ import annotations

from typing import Any

from pagetoken.authority import access, objects, posts
from pagetoken.authority.posts import Post
from pagetoken.core.permissions import ANALYZE, ANY_TASK, CREATE_CONTENT

from ..call import Call
from ..registry import USER_OR_PAGE, Field, NodeType, Op, Param
from . import answers
from .comment import EDGE_OPS, comments_edge, likes_edge
from .insights import post_insights

DEFAULTS = ["created_time", "message", "id"]
READ = ("pages_read_engagement",)
VISITORS = "pages_read_user_content"
MANAGE_POSTS = ("pages_manage_posts",)


def post_object(call: Call, post: Post, known: dict[str, str]) -> dict[str, Any]:
    """A post as the Graph shows it, narrowed to the selected fields (edges built only when asked)."""
    obj: dict[str, Any] = {
        "id": post.id, "message": post.message, "link": post.link, "created_time": answers.graph_time(post.created_at),
        "updated_time": answers.graph_time(post.updated_at), "from": answers.actor(post.author_id, known),
        "is_published": post.published, "page_id": post.page_id,
        "permalink_url": f"{call.base_url.rstrip('/')}/{post.page_id}/posts/{post.local_id}",
    }
    edges = {"comments": lambda sel: comments_edge(call, post.id, post.page_id, sel),
             "likes": lambda sel: likes_edge(call, post.id, sel)}
    return answers.shape(call, obj, DEFAULTS, edges)


def _list(call: Call, page_id: str, author_kind: str | None) -> dict[str, Any]:
    if author_kind is None and not answers.may(call, VISITORS, page_id):
        author_kind = posts.PAGE_AUTHOR  # visitors' posts need pages_read_user_content
    found = posts.list_for_page(call.auth, page_id, author_kind)
    known = objects.names(call.auth, {p.author_id for p in found})
    items = [post_object(call, p, known) for p in found]
    answer = call.paged(items, summary={"total_count": len(items)})
    answers.record_impressions(call, page_id, [i["id"] for i in answer["data"]])
    return answer


def read_feed(call: Call) -> dict[str, Any]:
    """The Page's feed: its posts, and visitors' posts when the token may read them."""
    return _list(call, call.node_id, None)


def read_posts(call: Call) -> dict[str, Any]:
    return _list(call, call.node_id, posts.PAGE_AUTHOR)


def read_visitor_posts(call: Call) -> dict[str, Any]:
    return _list(call, call.node_id, posts.USER_AUTHOR)


def publish(call: Call) -> dict[str, Any]:
    """POST /{page-id}/feed: a post by the Page → ``{"id": "PAGEID_POSTID"}``."""
    tok = call.require_token()
    post = posts.create(call.auth, call.node_id, call.param("message"), call.param("link"),
                        call.param_bool("published", True), app_id=tok.app_id)
    return {"id": post.id}


def read_post(call: Call) -> dict[str, Any]:
    post = posts.require(call.auth, call.node_id)
    if not post.by_page:
        access.check(call.auth, call.require_token(), (VISITORS,), ANY_TASK, post.page_id)
    obj = post_object(call, post, objects.names(call.auth, [post.author_id]))
    answers.record_impressions(call, post.page_id, [post.id])
    return obj


def edit_post(call: Call) -> dict[str, Any]:
    published = call.param_bool("is_published") if call.param("is_published") is not None else None
    posts.edit(call.auth, call.node_id, call.param("message"), call.param("link"), published)
    return answers.success()


def delete_post(call: Call) -> dict[str, Any]:
    posts.delete_post(call.auth, call.node_id)
    return answers.success()


NODE = NodeType(
    name="post",
    label="PagePost",
    description="A post on a Page's feed, by the Page or by a visitor. Its ID is PAGEID_POSTID.",
    fields=(
        Field("id", default=True), Field("message", default=True), Field("created_time", default=True),
        Field("updated_time"), Field("link"), Field("from"), Field("is_published", kind="boolean"),
        Field("permalink_url"), Field("page_id"), Field("comments", "An edge: the post's comments"),
        Field("likes", "An edge: who liked the post"),
    ),
    page_of=posts.page_of,
    ops=[
        Op("GET", None, read_post, "Read a post (a visitor's also needs pages_read_user_content)",
           permissions=READ, task=ANY_TASK, tokens=USER_OR_PAGE),
        Op("POST", None, edit_post, "Edit one of the Page's posts", permissions=MANAGE_POSTS, task=CREATE_CONTENT,
           tokens=USER_OR_PAGE, params=(Param("message"), Param("link"), Param("is_published", kind="boolean"))),
        Op("DELETE", None, delete_post, "Delete a post with its comments", permissions=MANAGE_POSTS,
           task=CREATE_CONTENT, tokens=USER_OR_PAGE),
        Op("GET", "insights", post_insights, "A post's insights (post_impressions, …)",
           permissions=("read_insights",), task=ANALYZE, tokens=USER_OR_PAGE,
           params=(Param("metric", kind="list", required=True), Param("period"))),
        *EDGE_OPS,
    ],
)
