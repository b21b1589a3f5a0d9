"""languages: the conversation's language, solved cases' answers in other languages

Revision ID: k0004
Revises: 0002
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "k0004"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversations") as b:
        b.add_column(sa.Column("language", sa.String(length=8), nullable=True))
    with op.batch_alter_table("kb_cases") as b:
        b.add_column(sa.Column("translations", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("kb_cases") as b:
        b.drop_column("translations")
    with op.batch_alter_table("conversations") as b:
        b.drop_column("language")
