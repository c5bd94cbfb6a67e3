"""The comment node (`POSTID_COMMENTID`), and the `comments` and `likes` edges of posts and comments."""

from __future__ import annotations

from typing import Any

from pagetoken.authority import comments, likes, objects, posts
from pagetoken.authority.comments import Comment
from pagetoken.core import errors
from pagetoken.core.permissions import ANY_TASK, MODERATE

from ..call import Call
from ..fields import Selection, narrow
from ..registry import USER_OR_PAGE, Field, NodeType, Op, Param
from . import answers

DEFAULTS = ["created_time", "from", "message", "id"]
LIKE_DEFAULTS = ["name", "id"]
READ = ("pages_read_engagement",)
VISITORS = "pages_read_user_content"
ENGAGE = ("pages_manage_engagement",)
EDGE_LIMIT = 25


def object_page(call: Call, object_id: str) -> str:
    """The Page a post or comment belongs to."""
    page_id = posts.page_of(call.auth, object_id) or comments.page_of(call.auth, object_id)
    if page_id is None:
        raise errors.ObjectMissing(object_id)
    return page_id


def comment_object(call: Call, comment: Comment, known: dict[str, str], visitors: bool) -> dict[str, Any]:
    """Every field of a comment; a visitor's `from` only for tokens that may read visitors' content."""
    obj: dict[str, Any] = {
        "id": comment.id, "message": comment.message, "created_time": answers.graph_time(comment.created_at),
        "is_hidden": comment.is_hidden, "can_hide": not comment.by_page,
        "comment_count": comments.reply_count(call.auth, comment.id) if comment.parent_id is None else 0,
        "like_count": likes.count(call.auth, comment.id),
        "parent": {"id": comment.parent_id} if comment.parent_id else None,
        "object": {"id": comment.post_id},
    }
    if comment.by_page or visitors:
        obj["from"] = answers.actor(comment.author_id, known)
    return obj


def _comment_items(call: Call, object_id: str, page_id: str, sel: Selection | None) -> list[dict[str, Any]]:
    stream = (call.param("filter") or "toplevel") == "stream"
    order = call.param("order") or "chronological"
    if order not in ("chronological", "reverse_chronological"):
        raise errors.BadParameter("order must be chronological or reverse_chronological")
    found = comments.list_for(call.auth, object_id, stream=stream, newest_first=order == "reverse_chronological")
    known = objects.names(call.auth, {c.author_id for c in found})
    visitors = answers.may(call, VISITORS, page_id)
    return [narrow(comment_object(call, c, known, visitors), sel, DEFAULTS) for c in found]


def comments_edge(call: Call, object_id: str, page_id: str, sel: Selection | None) -> dict[str, Any]:
    """`fields=comments{…}` on a post or comment: the first comments and their total."""
    items = _comment_items(call, object_id, page_id, sel)
    return {"data": items[:EDGE_LIMIT], "summary": {"total_count": len(items)}}


def _like_items(call: Call, object_id: str, sel: Selection | None) -> list[dict[str, Any]]:
    rows = likes.of(call.auth, object_id)
    known = objects.names(call.auth, {r.actor_id for r in rows})
    return [narrow(answers.actor(r.actor_id, known), sel, LIKE_DEFAULTS) for r in rows]


def likes_edge(call: Call, object_id: str, sel: Selection | None) -> dict[str, Any]:
    items = _like_items(call, object_id, sel)
    return {"data": items[:EDGE_LIMIT], "summary": {"total_count": len(items)}}


def list_comments(call: Call) -> dict[str, Any]:
    object_id = call.node_id
    items = _comment_items(call, object_id, object_page(call, object_id), call.selection)
    return call.paged(items, summary={"total_count": len(items), "order": call.param("order") or "chronological"})


def create_comment(call: Call) -> dict[str, Any]:
    """POST /{object-id}/comments: the Page comments on a post or replies to a comment."""
    tok = call.require_token()
    comment = comments.create(call.auth, call.node_id, call.param("message", max_len=8000), app_id=tok.app_id)
    return {"id": comment.id}


def list_likes(call: Call) -> dict[str, Any]:
    items = _like_items(call, call.node_id, call.selection)
    return call.paged(items, summary={"total_count": len(items)})


def _post_of(call: Call, object_id: str) -> str:
    if posts.get(call.auth, object_id) is not None:
        return object_id
    comment = comments.get(call.auth, object_id)
    if comment is None:
        raise errors.ObjectMissing(object_id)
    return comment.post_id


def like(call: Call) -> dict[str, Any]:
    """POST /{object-id}/likes: the Page likes a post or comment."""
    object_id = call.node_id
    page_id, post_id = object_page(call, object_id), _post_of(call, object_id)
    likes.like(call.auth, page_id, post_id, object_id, page_id, posts.PAGE_AUTHOR)
    return answers.success()


def unlike(call: Call) -> dict[str, Any]:
    object_id = call.node_id
    likes.unlike(call.auth, object_id, object_page(call, object_id))
    return answers.success()


def read_comment(call: Call) -> dict[str, Any]:
    comment = comments.require(call.auth, call.node_id)
    visitors = answers.may(call, VISITORS, comment.page_id)
    obj = comment_object(call, comment, objects.names(call.auth, [comment.author_id]), visitors)
    edges = {"comments": lambda sel: comments_edge(call, comment.id, comment.page_id, sel),
             "likes": lambda sel: likes_edge(call, comment.id, sel)}
    return answers.shape(call, obj, DEFAULTS, edges)


def update_comment(call: Call) -> dict[str, Any]:
    """POST /{comment-id}: `message` edits the Page's own comment, `is_hidden` hides a visitor's."""
    comment_id = call.node_id
    if call.param("is_hidden") is not None:
        comments.set_hidden(call.auth, comment_id, call.param_bool("is_hidden"))
    elif call.param("message") is not None:
        comments.edit(call.auth, comment_id, call.param("message", max_len=8000))
    else:
        raise errors.BadParameter("give message (to edit the Page's comment) or is_hidden (to hide a comment)")
    return answers.success()


def delete_comment(call: Call) -> dict[str, Any]:
    comments.delete_comment(call.auth, call.node_id)
    return answers.success()


# The edges every post and comment has.
EDGE_OPS = (
    Op("GET", "comments", list_comments, "Comments on the object (visitors' authors need pages_read_user_content)",
       permissions=READ, task=ANY_TASK, tokens=USER_OR_PAGE, paged=True, item="comment",
       params=(Param("filter", "toplevel or stream"), Param("order", "chronological or reverse_chronological"),
               Param("summary", kind="boolean"))),
    Op("POST", "comments", create_comment, "Comment or reply as the Page", permissions=ENGAGE, task=MODERATE,
       tokens=USER_OR_PAGE, params=(Param("message", required=True),)),
    Op("GET", "likes", list_likes, "Who liked the object", permissions=READ, task=ANY_TASK, tokens=USER_OR_PAGE,
       paged=True, params=(Param("summary", kind="boolean"),)),
    Op("POST", "likes", like, "Like the object as the Page", permissions=ENGAGE, task=MODERATE,
       tokens=USER_OR_PAGE),
    Op("DELETE", "likes", unlike, "Take back the Page's like", permissions=ENGAGE, task=MODERATE,
       tokens=USER_OR_PAGE),
)

NODE = NodeType(
    name="comment",
    description="A comment on a post, or a reply to a comment. Its ID is POSTID_COMMENTID.",
    fields=(
        Field("id", default=True), Field("message", default=True), Field("created_time", default=True),
        Field("from", "The author (a visitor only with pages_read_user_content)", default=True),
        Field("is_hidden", kind="boolean"), Field("can_hide", kind="boolean"), Field("comment_count", kind="integer"),
        Field("like_count", kind="integer"), Field("parent"), Field("object"),
        Field("comments", "An edge: replies"), Field("likes", "An edge: who liked the comment"),
    ),
    page_of=comments.page_of,
    ops=[
        Op("GET", None, read_comment, "Read a comment", permissions=READ, task=ANY_TASK, tokens=USER_OR_PAGE),
        Op("POST", None, update_comment, "Edit the Page's comment (message) or hide / unhide one (is_hidden)",
           permissions=ENGAGE, task=MODERATE, tokens=USER_OR_PAGE,
           params=(Param("message"), Param("is_hidden", kind="boolean"))),
        Op("DELETE", None, delete_comment, "Delete a comment and its replies", permissions=ENGAGE, task=MODERATE,
           tokens=USER_OR_PAGE),
        *EDGE_OPS,
    ],
)
