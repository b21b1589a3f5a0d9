"""delivered pieces of split messages (each piece a delivery of its own)

Revision ID: s0005
Revises: s0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "s0005"
down_revision: str | Sequence[str] | None = "s0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "delivered_pieces",
        sa.Column("message_id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("target", sa.String(32), primary_key=True),
        sa.Column("piece", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_delivered_pieces_at", "delivered_pieces", ["at"])


def downgrade() -> None:
    op.drop_table("delivered_pieces")
