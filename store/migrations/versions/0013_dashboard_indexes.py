"""Indexes for the caseworkers' dashboard at scale (benchmarks/portal.py).

Revision ID: 0013
Revises: 0012
Created: 2026-12-02

- A case's messages of one status, newest first: the queue searched by a case reference. On
  SQLite, which keeps no statistics, the status index won over the case's (it also gives the
  order), so finding one case's rejected mail read every rejected message; this index gives
  both. It replaces the index on `case_id` alone, whose lookups it serves as well.
- Audit entries of one action since a moment: the queue's "mail not sent" (replies the rate
  limit held back this week) read every audit entry of the week to find a handful.
- Open cases by day 0 (a partial index): the deadlines at risk, counted on every queue page,
  read every case, though closed ones are most of the table and can never be at risk.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# The stage values of a closed case when this revision was written (store.CLOSED_CASE_STAGES).
OPEN_CASE = (
    "stage NOT IN ('Decision: no plan', 'Decision: not assessing', 'FINAL_ISSUED',"
    " 'Final plan issued', 'NOT_ISSUING', 'REFUSED_TO_ASSESS', 'Request withdrawn', 'WITHDRAWN')"
)


def upgrade() -> None:
    op.create_index(
        "ix_inbound_messages_case_status_received",
        "inbound_messages",
        ["case_id", "status", "received_at", "id"],
    )
    op.drop_index("ix_inbound_messages_case_id", table_name="inbound_messages")
    op.create_index("ix_audit_log_action_at", "audit_log", ["action", "at"])
    op.create_index(
        "ix_cases_open_day0",
        "cases",
        ["day0", "id", "stage"],
        sqlite_where=sa.text(OPEN_CASE),
        postgresql_where=sa.text(OPEN_CASE),
    )


def downgrade() -> None:
    op.drop_index("ix_cases_open_day0", table_name="cases")
    op.drop_index("ix_audit_log_action_at", table_name="audit_log")
    op.create_index("ix_inbound_messages_case_id", "inbound_messages", ["case_id"])
    op.drop_index("ix_inbound_messages_case_status_received", table_name="inbound_messages")
