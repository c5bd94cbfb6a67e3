"""The emulator controls of `serve --dev`: the shared clock offset, faults, and the request log.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dev_clock",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("offset_seconds", sa.Float, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_table(
        "dev_faults",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("path", sa.Text, nullable=True),
        sa.Column("method", sa.String(8), nullable=True),
        sa.Column("app_id", sa.String(32), nullable=True),
        sa.Column("token_hash", sa.String(64), nullable=True),
        sa.Column("code", sa.Integer, nullable=False),
        sa.Column("subcode", sa.Integer, nullable=True),
        sa.Column("message", sa.Text, nullable=True),
        sa.Column("remaining", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "dev_requests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("app_id", sa.String(32), nullable=True),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("code", sa.Integer, nullable=True),
        sa.Column("subcode", sa.Integer, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("dev_requests")
    op.drop_table("dev_faults")
    op.drop_table("dev_clock")
