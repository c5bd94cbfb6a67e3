"""Posts on a Page's feed: the Page's own (published or not) and what visitors post there.

A post's ID is ``PAGEID_POSTID``; the post part is what its comments' IDs start with.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cache
from typing import Any

from sqlalchemy import Connection, Select, bindparam, delete, insert, select, update

from pagetoken.core import errors
from pagetoken.core.kinds import ObjectType
from pagetoken.store.store import add_node
from pagetoken.store.tables import comments, likes, nodes, pages, posts

from . import objects
from .apps import validate_url
from .context import Authority

PAGE_AUTHOR = "page"
USER_AUTHOR = "user"
MAX_MESSAGE = 63206


@dataclass(frozen=True)
class Post:
    id: str
    page_id: str
    author_id: str
    author_kind: str
    app_id: str | None
    message: str | None
    link: str | None
    published: bool
    created_at: float
    updated_at: float

    @property
    def by_page(self) -> bool:
        return self.author_kind == PAGE_AUTHOR

    @property
    def local_id(self) -> str:
        """The post's own part of its ID (what its comments' IDs start with)."""
        return self.id.split("_", 1)[1]

    @classmethod
    def from_row(cls, row: Any) -> Post:
        """A post from a whole row of `posts` (its columns are the fields, in order: checked below)."""
        return cls(*row)


assert [c.name for c in posts.columns] == [f.name for f in fields(Post)], "Post.from_row reads posts' columns in order"


def check_text(message: str | None, link: str | None) -> tuple[str | None, str | None]:
    if message is not None and len(message) > MAX_MESSAGE:
        raise errors.BadParameter(f"message is longer than {MAX_MESSAGE} characters")
    if link is not None:
        link = validate_url(link, "link")
    return message, link


def create(auth: Authority, page_id: str, message: str | None, link: str | None = None, published: bool = True,
           author_id: str | None = None, app_id: str | None = None) -> Post:
    """A post on the Page's feed: by the Page itself, or by a visitor when `author_id` names a person."""
    if not message and not link:
        raise errors.BadParameter("Missing message or attachment: a post needs a message or a link")
    message, link = check_text(message, link)
    now = auth.now()
    with auth.store.write() as conn:
        if conn.execute(select(pages.c.id).where(pages.c.id == page_id)).first() is None:
            raise errors.ObjectMissing(page_id, "post")
        post_id = add_node(conn, ObjectType.POST, now, prefix=page_id)
        conn.execute(insert(posts).values(
            id=post_id, page_id=page_id, author_id=author_id or page_id,
            author_kind=USER_AUTHOR if author_id else PAGE_AUTHOR, app_id=app_id, message=message, link=link,
            published=published or bool(author_id), created_at=now, updated_at=now))
        row = conn.execute(select(posts).where(posts.c.id == post_id)).one()
    return Post.from_row(row)


def get(auth: Authority, post_id: str, conn: Connection | None = None) -> Post | None:
    return objects.row_by_id(auth, posts, post_id, Post.from_row, conn)


def require(auth: Authority, post_id: str, method: str = "get") -> Post:
    return objects.existing(get(auth, post_id), post_id, method)


def page_of(auth: Authority, post_id: str, conn: Connection | None = None) -> str | None:
    with auth.store.reading(conn) as conn:
        return conn.execute(select(posts.c.page_id).where(posts.c.id == post_id)).scalar()


def list_for_page(auth: Authority, page_id: str, author_kind: str | None = None,
                  include_unpublished: bool = False, conn: Connection | None = None) -> list[Post]:
    """The Page's posts, newest first: its own (`page`), visitors' (`user`), or both (None)."""
    with auth.store.reading(conn) as conn:
        rows = conn.execute(_listing(author_kind, include_unpublished), {"page_id": page_id})
        return [Post.from_row(r) for r in rows]


@cache
def _listing(author_kind: str | None, include_unpublished: bool) -> Select[Any]:
    """The feed's query, built once per kind (a feed is the most read list there is)."""
    query = select(posts).where(posts.c.page_id == bindparam("page_id"))
    if author_kind is not None:
        query = query.where(posts.c.author_kind == author_kind)
    if not include_unpublished:
        query = query.where(posts.c.published.is_(True))
    return query.order_by(posts.c.created_at.desc(), posts.c.id.desc())


def edit(auth: Authority, post_id: str, message: str | None, link: str | None = None,
         published: bool | None = None) -> Post:
    """Edit the Page's own post (a visitor's post is theirs to edit, not the Page's)."""
    post = require(auth, post_id, "post")
    if not post.by_page:
        raise errors.BadParameter("A Page can only edit its own posts")
    if message is None and link is None and published is None:
        raise errors.BadParameter("Nothing to edit: give message, link or is_published")
    message, link = check_text(message, link)
    values: dict[str, Any] = {"updated_at": auth.now()}
    if message is not None:
        values["message"] = message
    if link is not None:
        values["link"] = link
    if published is not None:
        values["published"] = published
    with auth.store.write() as conn:
        conn.execute(update(posts).where(posts.c.id == post_id).values(**values))
        row = conn.execute(select(posts).where(posts.c.id == post_id)).one()
    return Post.from_row(row)


def delete_post(auth: Authority, post_id: str) -> None:
    """Delete a post with its comments and likes; its ID stops resolving."""
    require(auth, post_id, "delete")
    with auth.store.write() as conn:
        comment_ids = [r[0] for r in conn.execute(select(comments.c.id).where(comments.c.post_id == post_id))]
        gone = [post_id, *comment_ids]
        conn.execute(delete(likes).where(likes.c.object_id.in_(gone)))
        conn.execute(delete(comments).where(comments.c.post_id == post_id))
        conn.execute(delete(posts).where(posts.c.id == post_id))
        conn.execute(delete(nodes).where(nodes.c.id.in_(gone)))
