"""Data lifecycle: a legal hold on a case, and the mark of an inbound message whose raw mail
has been purged.

Revision ID: 0012
Revises: 0011
Created: 2026-12-02

A case under legal hold keeps everything (its rows, its messages' raw mail, its files) until the
hold is released. A purged inbound message keeps its row (the queue's counts, the audit log and
the outbox point at it) without its raw bytes or its subject.
"""

from __future__ import annotations

import sqlalchemy as sa

from store.migrations.batch import batch_alter

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with batch_alter("cases") as table:
        table.add_column(sa.Column("legal_hold_reason", sa.String(500), nullable=True))
        table.add_column(sa.Column("legal_hold_by", sa.String(320), nullable=True))
        table.add_column(sa.Column("legal_hold_at", sa.DateTime(timezone=True), nullable=True))
    with batch_alter("inbound_messages") as table:
        table.add_column(sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with batch_alter("inbound_messages") as table:
        table.drop_column("purged_at")
    with batch_alter("cases") as table:
        table.drop_column("legal_hold_at")
        table.drop_column("legal_hold_by")
        table.drop_column("legal_hold_reason")
