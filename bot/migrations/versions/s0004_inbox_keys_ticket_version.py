"""inbox of raw platform updates, message idempotency keys, ticket versions (compare-and-set)

Revision ID: s0004
Revises: c0003, w0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "s0004"
down_revision: str | Sequence[str] | None = ("c0003", "w0003")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "inbound_updates",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("external_id", sa.String(128), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_at", TS, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("done_at", TS, nullable=True),
        sa.UniqueConstraint("source", "external_id", name="uq_inbound_source_id"),
    )
    op.create_index("ix_inbound_updates_status", "inbound_updates", ["status"])
    op.create_index("ix_inbound_updates_received_at", "inbound_updates", ["received_at"])
    op.create_table(
        "message_keys",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.JSON(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_message_keys_created_at", "message_keys", ["created_at"])
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_slack_seen_events_at", "slack_seen_events", ["at"])
    op.create_index("ix_console_login_failures_at", "console_login_failures", ["at"])


def downgrade() -> None:
    op.drop_index("ix_console_login_failures_at", "console_login_failures")
    op.drop_index("ix_slack_seen_events_at", "slack_seen_events")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("version")
    op.drop_table("message_keys")
    op.drop_table("inbound_updates")
