"""Reminders: what the scheduled runs sent (exactly once per subject and kind), the days the
reminder run finished, and an index to find advice requests by due date.

Revision ID: 0002
Revises: 0001
Created: 2026-12-01

Types are written out as in 0001: times are `DateTime(timezone=True)` (`UTCDateTime`).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "reminders_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("advice_request_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=100), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.CheckConstraint(
            "(advice_request_id IS NULL) <> (case_id IS NULL)",
            name=op.f("ck_reminders_sent_one_subject"),
        ),
        sa.ForeignKeyConstraint(
            ["advice_request_id"],
            ["advice_requests.id"],
            name=op.f("fk_reminders_sent_advice_request_id_advice_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_reminders_sent_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["outbox_id"], ["outbox.id"], name=op.f("fk_reminders_sent_outbox_id_outbox")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders_sent")),
        sa.UniqueConstraint(
            "advice_request_id", "kind", name=op.f("uq_reminders_sent_advice_request_id_kind")
        ),
        sa.UniqueConstraint("case_id", "kind", name=op.f("uq_reminders_sent_case_id_kind")),
    )
    op.create_index(op.f("ix_reminders_sent_sent_on"), "reminders_sent", ["sent_on"])
    op.create_table(
        "reminder_runs",
        sa.Column("run_on", sa.Date(), nullable=False),
        sa.Column("finished_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("run_on", name=op.f("pk_reminder_runs")),
    )
    op.create_index(op.f("ix_advice_requests_due_on"), "advice_requests", ["due_on"])


def downgrade() -> None:
    op.drop_index(op.f("ix_advice_requests_due_on"), table_name="advice_requests")
    op.drop_table("reminder_runs")
    op.drop_index(op.f("ix_reminders_sent_sent_on"), table_name="reminders_sent")
    op.drop_table("reminders_sent")
