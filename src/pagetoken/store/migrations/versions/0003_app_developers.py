"""Developers of an app besides its owner.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "app_developers",
        sa.Column("app_id", sa.String(32), sa.ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("added_at", sa.Float, nullable=False),
    )
    op.create_index("ix_app_developers_user", "app_developers", ["user_id"])


def downgrade() -> None:
    op.drop_table("app_developers")
