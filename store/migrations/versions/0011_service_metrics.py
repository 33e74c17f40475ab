"""What the metrics read besides the mail itself: when the IMAP watcher last looked through each
mailbox, how many items each day's reminder run queued, and the scheduled runs that failed.

Revision ID: 0011
Revises: 0010
Created: 2026-12-02

Every `intake serve` process (and `intake metrics`) reads these rows, so all report the same.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("mailbox_state") as table:
        table.add_column(sa.Column("checked_at", TIME, nullable=True))
    with op.batch_alter_table("reminder_runs") as table:
        table.add_column(sa.Column("items", sa.Integer(), nullable=True))
    op.create_table(
        "reminder_run_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_on", sa.Date(), nullable=False),
        sa.Column("failed_at", TIME, nullable=False),
        sa.Column("error", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_run_failures")),
    )


def downgrade() -> None:
    op.drop_table("reminder_run_failures")
    with op.batch_alter_table("reminder_runs") as table:
        table.drop_column("items")
    with op.batch_alter_table("mailbox_state") as table:
        table.drop_column("checked_at")
