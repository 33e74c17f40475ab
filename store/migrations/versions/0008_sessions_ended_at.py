"""When an account's web sessions were last ended (signing out ends every copy of the cookie).

Revision ID: 0008
Revises: 0007
Created: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("professionals") as table:
        table.add_column(sa.Column("sessions_ended_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("professionals") as table:
        table.drop_column("sessions_ended_at")
