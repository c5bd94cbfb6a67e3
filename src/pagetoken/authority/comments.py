"""Comments on posts and replies to comments: by the Page or by visitors; hide, unhide, edit, delete.

A comment's ID is ``POSTID_COMMENTID`` where POSTID is the post's own part of ``PAGEID_POSTID``.
A reply to a reply joins the thread of its top-level comment, as on the Graph API.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, func, insert, or_, select, update

from pagetoken.core import errors
from pagetoken.core.kinds import ObjectType
from pagetoken.store.store import add_node
from pagetoken.store.tables import comments, likes, nodes

from . import insights, objects, posts
from .context import Authority
from .posts import PAGE_AUTHOR, USER_AUTHOR

MAX_MESSAGE = 8000


@dataclass(frozen=True)
class Comment:
    id: str
    post_id: str
    page_id: str
    parent_id: str | None
    author_id: str
    author_kind: str
    app_id: str | None
    message: str
    is_hidden: bool
    created_at: float
    updated_at: float

    @property
    def by_page(self) -> bool:
        return self.author_kind == PAGE_AUTHOR

    @classmethod
    def from_row(cls, row: Any) -> Comment:
        return cls(row.id, row.post_id, row.page_id, row.parent_id, row.author_id, row.author_kind, row.app_id,
                   row.message, bool(row.is_hidden), row.created_at, row.updated_at)


def _check_message(message: str | None) -> str:
    if not message or not message.strip():
        raise errors.BadParameter("The parameter message is required: a comment needs text")
    if len(message) > MAX_MESSAGE:
        raise errors.BadParameter(f"message is longer than {MAX_MESSAGE} characters")
    return message


def create(auth: Authority, object_id: str, message: str | None, author_id: str | None = None,
           app_id: str | None = None) -> Comment:
    """Comment on a post, or reply to a comment; by the Page, or by a visitor when `author_id` is a person."""
    text = _check_message(message)
    now = auth.now()
    with auth.store.write() as conn:
        post = posts.get(auth, object_id, conn=conn)
        parent: Comment | None = None
        if post is None:
            parent = get(auth, object_id, conn=conn)
            if parent is None:
                raise errors.ObjectMissing(object_id, "post")
            post = posts.get(auth, parent.post_id, conn=conn)
            assert post is not None
        comment_id = add_node(conn, ObjectType.COMMENT, now, prefix=post.local_id)
        top = parent.parent_id or parent.id if parent else None
        conn.execute(insert(comments).values(
            id=comment_id, post_id=post.id, page_id=post.page_id, parent_id=top,
            author_id=author_id or post.page_id, author_kind=USER_AUTHOR if author_id else PAGE_AUTHOR,
            app_id=app_id, message=text, is_hidden=False, created_at=now, updated_at=now))
        insights.record(conn, post.page_id, insights.ENGAGEMENT, now, object_id=post.id,
                        actor_id=author_id or post.page_id)
        row = conn.execute(select(comments).where(comments.c.id == comment_id)).one()
    return Comment.from_row(row)


def get(auth: Authority, comment_id: str, conn: Connection | None = None) -> Comment | None:
    return objects.row_by_id(auth, comments, comment_id, Comment.from_row, conn)


def require(auth: Authority, comment_id: str, method: str = "get") -> Comment:
    return objects.existing(get(auth, comment_id), comment_id, method)


def page_of(auth: Authority, comment_id: str, conn: Connection | None = None) -> str | None:
    with auth.store.reading(conn) as conn:
        return conn.execute(select(comments.c.page_id).where(comments.c.id == comment_id)).scalar()


def list_for(auth: Authority, object_id: str, stream: bool = False, newest_first: bool = False,
             conn: Connection | None = None) -> list[Comment]:
    """Comments on a post (top-level, or all with `stream`) or replies to a comment, oldest first."""
    with auth.store.reading(conn) as conn:
        if posts.get(auth, object_id, conn=conn) is not None:
            query = select(comments).where(comments.c.post_id == object_id)
            if not stream:
                query = query.where(comments.c.parent_id.is_(None))
        else:
            query = select(comments).where(comments.c.parent_id == object_id)
        order = (comments.c.created_at.desc(), comments.c.id.desc()) if newest_first else (
            comments.c.created_at, comments.c.id)
        return [Comment.from_row(r) for r in conn.execute(query.order_by(*order))]


def reply_count(auth: Authority, comment_id: str, conn: Connection | None = None) -> int:
    with auth.store.reading(conn) as conn:
        return int(conn.execute(select(func.count()).select_from(comments)
                                .where(comments.c.parent_id == comment_id)).scalar() or 0)


def edit(auth: Authority, comment_id: str, message: str | None) -> Comment:
    """Change the text of one of the Page's own comments."""
    comment = require(auth, comment_id, "post")
    if not comment.by_page:
        raise errors.BadParameter("A Page can only edit its own comments; hide a visitor's comment instead")
    text = _check_message(message)
    with auth.store.write() as conn:
        conn.execute(update(comments).where(comments.c.id == comment_id).values(message=text,
                                                                              updated_at=auth.now()))
    return require(auth, comment_id)


def set_hidden(auth: Authority, comment_id: str, hidden: bool) -> Comment:
    """Hide or unhide a visitor's comment (hidden: seen only by its author and the Page's people)."""
    comment = require(auth, comment_id, "post")
    if comment.by_page:
        raise errors.BadParameter("A Page cannot hide its own comments; delete or edit them instead")
    with auth.store.write() as conn:
        conn.execute(update(comments).where(comments.c.id == comment_id).values(is_hidden=hidden,
                                                                              updated_at=auth.now()))
    return require(auth, comment_id)


def delete_comment(auth: Authority, comment_id: str) -> None:
    """Delete a comment with its replies and their likes."""
    require(auth, comment_id, "delete")
    with auth.store.write() as conn:
        gone = [r[0] for r in conn.execute(select(comments.c.id).where(
            or_(comments.c.id == comment_id, comments.c.parent_id == comment_id)))]
        conn.execute(delete(likes).where(likes.c.object_id.in_(gone)))
        conn.execute(delete(comments).where(comments.c.id.in_(gone)))
        conn.execute(delete(nodes).where(nodes.c.id.in_(gone)))
