"""The token authority: apps, users, Pages, roles, grants, tokens, codes.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _id(name: str = "id", *args: Any, **kw: Any) -> sa.Column[str]:
    return sa.Column(name, sa.String(32), *args, **kw)


def upgrade() -> None:
    op.create_table(
        "nodes",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("type", sa.String(24), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "apps",
        _id(primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("secret_sealed", sa.LargeBinary, nullable=False),
        sa.Column("require_proof", sa.Boolean, nullable=False),
        sa.Column("redirect_uris", sa.Text, nullable=False),
        sa.Column("deauthorize_url", sa.Text, nullable=True),
        _id("owner_id", nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("secret_reset_at", sa.Float, nullable=True),
    )
    op.create_table(
        "users",
        _id(primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320), nullable=True, unique=True),
        sa.Column("password_hash", sa.Text, nullable=True),
        sa.Column("password_changed_at", sa.Float, nullable=True),
        _id("test_app_id", nullable=True, index=True),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "pages",
        _id(primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("category", sa.String(100), nullable=False),
        sa.Column("about", sa.Text, nullable=True),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("phone", sa.String(50), nullable=True),
        sa.Column("website", sa.Text, nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "page_roles",
        _id("page_id", sa.ForeignKey("pages.id", ondelete="CASCADE"), primary_key=True),
        _id("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("tasks", sa.Text, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_index("ix_page_roles_user", "page_roles", ["user_id"])
    op.create_table(
        "authorizations",
        _id("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        _id("app_id", sa.ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("consented_at", sa.Float, nullable=False),
        sa.Column("data_access_expires_at", sa.Float, nullable=False),
        sa.Column("removed_at", sa.Float, nullable=True),
    )
    op.create_table(
        "grants",
        _id("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        _id("app_id", sa.ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("permission", sa.String(64), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("target_ids", sa.Text, nullable=True),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_index("ix_grants_app", "grants", ["app_id"])
    op.create_table(
        "tokens",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
        sa.Column("fingerprint", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("long_lived", sa.Boolean, nullable=False),
        sa.Column("origin", sa.String(8), nullable=False),
        _id("app_id", nullable=False),
        _id("user_id", nullable=True),
        _id("page_id", nullable=True),
        sa.Column("scopes", sa.Text, nullable=False),
        sa.Column("issued_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=True),
        sa.Column("parent_id", sa.Integer, nullable=True),
        sa.Column("how", sa.String(24), nullable=False),
        sa.Column("revoked_at", sa.Float, nullable=True),
        sa.Column("revoked_reason", sa.String(24), nullable=True),
    )
    op.create_index("ix_tokens_user_app", "tokens", ["user_id", "app_id"])
    op.create_index("ix_tokens_app_kind", "tokens", ["app_id", "kind"])
    op.create_index("ix_tokens_page_user", "tokens", ["page_id", "user_id"])
    op.create_index("ix_tokens_parent", "tokens", ["parent_id"])
    op.create_table(
        "codes",
        sa.Column("hash", sa.String(64), primary_key=True),
        _id("app_id", nullable=False),
        _id("user_id", nullable=False),
        sa.Column("redirect_uri", sa.Text, nullable=False),
        sa.Column("scopes", sa.Text, nullable=False),
        sa.Column("issued_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
        sa.Column("used_at", sa.Float, nullable=True),
    )


def downgrade() -> None:
    for name in ("codes", "tokens", "grants", "authorizations", "page_roles", "pages", "users", "apps",
                 "meta", "nodes"):
        op.drop_table(name)
