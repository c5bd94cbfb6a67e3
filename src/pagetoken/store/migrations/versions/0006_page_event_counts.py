"""Page events carry a count: the reads of one second that share a Page, kind, object and viewer are
stored as one row (impressions are counted in memory and written in batches).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("page_events") as batch:
        batch.add_column(sa.Column("count", sa.Integer, nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("page_events") as batch:
        batch.drop_column("count")
