"""channels: outbox deliveries and cursor, agent threads, answer feedback, seen Slack events

Revision ID: c0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "outbox_cursor",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("message_id", sa.Integer(), nullable=False),
    )
    op.create_table(
        "outbox_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(32), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_at", TS, nullable=False),
        sa.Column("claimed_at", TS, nullable=True),
        sa.Column("sent_at", TS, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("message_id", "target", name="uq_delivery_message_target"),
    )
    op.create_index("ix_outbox_deliveries_message_id", "outbox_deliveries", ["message_id"])
    op.create_index("ix_outbox_deliveries_status", "outbox_deliveries", ["status"])
    op.create_table(
        "agent_threads",
        sa.Column("ticket_id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("ts", sa.String(32), nullable=False),
        sa.Column("through_message_id", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("channel", "ts", name="uq_agent_thread"),
    )
    op.create_table(
        "answer_feedback",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("customer_ref", sa.String(200), nullable=False),
        sa.Column("value", sa.String(16), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.UniqueConstraint("message_id", name="uq_feedback_message"),
    )
    op.create_table(
        "slack_seen_events",
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("slack_seen_events")
    op.drop_table("answer_feedback")
    op.drop_table("agent_threads")
    op.drop_index("ix_outbox_deliveries_status", table_name="outbox_deliveries")
    op.drop_index("ix_outbox_deliveries_message_id", table_name="outbox_deliveries")
    op.drop_table("outbox_deliveries")
    op.drop_table("outbox_cursor")
