"""desk: ticket lifecycle and SLA columns, alerts, agents, problems

Revision ID: h0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "h0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TICKET_COLUMNS = [
    ("product", lambda: sa.Column("product", sa.String(120), nullable=False, server_default="")),
    ("team", lambda: sa.Column("team", sa.String(64), nullable=False, server_default="")),
    ("problem_id", lambda: sa.Column("problem_id", sa.Integer(), nullable=True)),
    ("merged_into_id", lambda: sa.Column("merged_into_id", sa.Integer(), nullable=True)),
    ("first_response_at", lambda: sa.Column("first_response_at", sa.DateTime(timezone=True), nullable=True)),
    (
        "first_response_due",
        lambda: sa.Column("first_response_due", sa.DateTime(timezone=True), nullable=True),
    ),
    ("resolution_due", lambda: sa.Column("resolution_due", sa.DateTime(timezone=True), nullable=True)),
    ("sla_paused_at", lambda: sa.Column("sla_paused_at", sa.DateTime(timezone=True), nullable=True)),
    ("sla_paused_s", lambda: sa.Column("sla_paused_s", sa.Float(), nullable=False, server_default="0")),
    ("sla_flags", lambda: sa.Column("sla_flags", sa.JSON(), nullable=True)),
    ("closed_at", lambda: sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True)),
    ("subject_vector", lambda: sa.Column("subject_vector", sa.LargeBinary(), nullable=True)),
]


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        for _name, column in _TICKET_COLUMNS:
            batch_op.add_column(column())  # type: ignore[arg-type]
        batch_op.create_index("ix_tickets_problem_id", ["problem_id"], unique=False)

    op.create_table(
        "problems",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("label", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("incident_alerted", sa.Boolean(), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_problems_status", "problems", ["status"], unique=False)
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("problem_id", sa.Integer(), nullable=True),
        sa.Column("team", sa.String(64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"]),
        sa.ForeignKeyConstraint(["problem_id"], ["problems.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_alerts_kind", "alerts", ["kind"], unique=False)
    op.create_index("ix_alerts_ticket_id", "alerts", ["ticket_id"], unique=False)
    op.create_index("ix_alerts_problem_id", "alerts", ["problem_id"], unique=False)
    op.create_table(
        "agents",
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("available", sa.Boolean(), nullable=False),
        sa.Column("teams", sa.JSON(), nullable=False),
        sa.Column("last_assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("agents")
    op.drop_index("ix_alerts_problem_id", table_name="alerts")
    op.drop_index("ix_alerts_ticket_id", table_name="alerts")
    op.drop_index("ix_alerts_kind", table_name="alerts")
    op.drop_table("alerts")
    op.drop_index("ix_problems_status", table_name="problems")
    op.drop_table("problems")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_problem_id")
        for name, _column in reversed(_TICKET_COLUMNS):
            batch_op.drop_column(name)
