"""vector models: the encoder that made a ticket's subject vector and a problem's centroid

Revision ID: k0005
Revises: k0004
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "k0005"
down_revision: str | Sequence[str] | None = "k0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "h0003"  # the problems table


def upgrade() -> None:
    with op.batch_alter_table("tickets") as b:
        b.add_column(sa.Column("subject_model", sa.String(length=120), nullable=True))
    with op.batch_alter_table("problems") as b:
        b.add_column(sa.Column("vector_model", sa.String(length=120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("problems") as b:
        b.drop_column("vector_model")
    with op.batch_alter_table("tickets") as b:
        b.drop_column("subject_model")
