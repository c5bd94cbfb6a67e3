"""The Page API: posts, comments, likes, conversations, messages, activity, fans, subscribed apps,
ads, and deauthorize-callback deliveries.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _id(name: str = "id", *args: Any, **kw: Any) -> sa.Column[str]:
    return sa.Column(name, sa.String(32), *args, **kw)


def _long_id(name: str = "id", *args: Any, **kw: Any) -> sa.Column[str]:
    return sa.Column(name, sa.String(64), *args, **kw)


def _page_fk(primary_key: bool = False) -> sa.Column[str]:
    return _id("page_id", sa.ForeignKey("pages.id", ondelete="CASCADE"), nullable=False, primary_key=primary_key)


def _times() -> list[sa.Column[float]]:
    return [sa.Column("created_at", sa.Float, nullable=False), sa.Column("updated_at", sa.Float, nullable=False)]


def upgrade() -> None:
    op.create_table(
        "posts",
        _long_id(primary_key=True),
        _page_fk(),
        _id("author_id", nullable=False),
        sa.Column("author_kind", sa.String(8), nullable=False),
        _id("app_id", nullable=True),
        sa.Column("message", sa.Text, nullable=True),
        sa.Column("link", sa.Text, nullable=True),
        sa.Column("published", sa.Boolean, nullable=False),
        *_times(),
    )
    op.create_index("ix_posts_page_created", "posts", ["page_id", "created_at"])
    op.create_table(
        "comments",
        _long_id(primary_key=True),
        _long_id("post_id", sa.ForeignKey("posts.id", ondelete="CASCADE"), nullable=False),
        _id("page_id", nullable=False),
        _long_id("parent_id", nullable=True),
        _id("author_id", nullable=False),
        sa.Column("author_kind", sa.String(8), nullable=False),
        _id("app_id", nullable=True),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("is_hidden", sa.Boolean, nullable=False),
        *_times(),
    )
    op.create_index("ix_comments_post", "comments", ["post_id", "created_at"])
    op.create_index("ix_comments_parent", "comments", ["parent_id"])
    op.create_table(
        "likes",
        _long_id("object_id", primary_key=True),
        _id("actor_id", primary_key=True),
        sa.Column("actor_kind", sa.String(8), nullable=False),
        _id("page_id", nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "conversations",
        _id(primary_key=True),
        _page_fk(),
        _id("user_id", nullable=False),
        *_times(),
    )
    op.create_index("ux_conversations_page_user", "conversations", ["page_id", "user_id"], unique=True)
    op.create_table(
        "messages",
        _id(primary_key=True),
        _id("conversation_id", sa.ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False),
        _id("page_id", nullable=False),
        _id("from_id", nullable=False),
        _id("to_id", nullable=False),
        sa.Column("from_page", sa.Boolean, nullable=False),
        _id("app_id", nullable=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("messaging_type", sa.String(16), nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_messages_conversation", "messages", ["conversation_id", "created_at"])
    op.create_table(
        "page_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _id("page_id", nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        _long_id("object_id", nullable=True),
        _id("actor_id", nullable=True),
        sa.Column("at", sa.Float, nullable=False),
    )
    op.create_index("ix_page_events_page_kind_at", "page_events", ["page_id", "kind", "at"])
    op.create_index("ix_page_events_object_kind", "page_events", ["object_id", "kind"])
    op.create_table(
        "page_fans",
        _page_fk(primary_key=True),
        _id("user_id", primary_key=True),
        sa.Column("since", sa.Float, nullable=False),
    )
    op.create_table(
        "subscribed_apps",
        _page_fk(primary_key=True),
        _id("app_id", sa.ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("subscribed_fields", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "ads",
        _id(primary_key=True),
        _page_fk(),
        _id("app_id", nullable=True),
        sa.Column("name", sa.String(400), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("objective", sa.String(40), nullable=False),
        sa.Column("daily_budget", sa.Integer, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        _long_id("post_id", nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_ads_page", "ads", ["page_id", "created_at"])
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _id("app_id", nullable=False),
        _id("user_id", nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.Float, nullable=False),
        sa.Column("claimed_until", sa.Float, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("delivered_at", sa.Float, nullable=True),
    )
    op.create_index("ix_deliveries_status_next", "deliveries", ["status", "next_attempt_at"])


def downgrade() -> None:
    for name in ("deliveries", "ads", "subscribed_apps", "page_fans", "page_events", "messages", "conversations",
                 "likes", "comments", "posts"):
        op.drop_table(name)
