"""The caseworkers' queue: who released a message from quarantine, and the indexes its lists use.

Revision ID: 0010
Revises: 0009
Created: 2026-12-02

Each list of the queue is one status (or stage) newest first, a page at a time, and its count:
without these indexes each would read every inbound message or case (a million messages, a
hundred thousand cases); with them, only the rows of that list.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_inbound_messages_status_received", "inbound_messages", ["status", "received_at", "id"]),
    (
        "ix_inbound_messages_from_address",
        "inbound_messages",
        ["from_address", "status", "received_at"],
    ),
    ("ix_cases_stage_created", "cases", ["stage", "created_at", "id"]),
    ("ix_cases_day0", "cases", ["day0"]),
    ("ix_advice_requests_status_due", "advice_requests", ["status", "due_on"]),
)


def upgrade() -> None:
    with op.batch_alter_table("inbound_messages") as table:
        table.add_column(sa.Column("released_by", sa.String(320), nullable=True))
    for name, table_name, columns in INDEXES:
        op.create_index(name, table_name, columns)


def downgrade() -> None:
    for name, table_name, _ in INDEXES:
        op.drop_index(name, table_name=table_name)
    with op.batch_alter_table("inbound_messages") as table:
        table.drop_column("released_by")
