"""web chat: the keys the server issued to browsers (as SHA-256) and the customer each speaks for

Revision ID: f0004
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f0004"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "web_chat_keys",
        sa.Column("key_hash", sa.String(64), primary_key=True),
        sa.Column("customer_ref", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_web_chat_keys_customer_ref", "web_chat_keys", ["customer_ref"])


def downgrade() -> None:
    op.drop_index("ix_web_chat_keys_customer_ref", table_name="web_chat_keys")
    op.drop_table("web_chat_keys")
