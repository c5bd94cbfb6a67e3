"""Rate limit counts shared by every server process and node: calls and time per key and time slot.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_counts",
        sa.Column("scope", sa.String(8), primary_key=True),
        sa.Column("ident", sa.String(64), primary_key=True),
        sa.Column("start_ms", sa.BigInteger, primary_key=True),
        sa.Column("calls", sa.BigInteger, nullable=False),
        sa.Column("wall", sa.Float, nullable=False),
        sa.Column("cpu", sa.Float, nullable=False),
    )
    op.create_index("ix_rate_counts_start", "rate_counts", ["start_ms"])
    epoch = op.create_table(
        "rate_epoch",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("epoch", sa.Integer, nullable=False),
    )
    op.bulk_insert(epoch, [{"id": 1, "epoch": 0}])


def downgrade() -> None:
    op.drop_table("rate_epoch")
    op.drop_index("ix_rate_counts_start", table_name="rate_counts")
    op.drop_table("rate_counts")
