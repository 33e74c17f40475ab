"""An index on outbox.created_at, for the per-recipient rate limit.

Revision ID: 0005
Revises: 0004
Created: 2026-12-02

Every enqueue counts the recipient's mail of the last hour (`notifier.outbox.enqueue`). Without
an index that count read the whole outbox, so each email queued cost more as months of mail
accumulated (some 20 ms per email with 200,000 rows on SQLite); with it, only the last hour's.
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_outbox_created_at"), "outbox", ["created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_outbox_created_at"), table_name="outbox")
