"""The reason an automatic reply answers, for the daily limit per recipient and reason.

Revision ID: 0009
Revises: 0008
Created: 2026-12-02

`notifier.outbox.enqueue` counts a recipient's replies for one reason code over the last day
(through the index on `created_at`), so that a loop or a forger cannot make the service answer
one address again and again for the same reason.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.migrations.batch import batch_alter

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("reason", sa.String(80), nullable=True))


def downgrade() -> None:
    with batch_alter("outbox") as batch:
        batch.drop_column("reason")
