"""Registration attempts, counted for the rate limits per address and per sending domain.

Revision ID: 0007
Revises: 0006
Created: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Types written out, not imported from the models, so that this migration keeps its meaning.
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "registration_attempts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("domain", sa.String(255), nullable=False),
        sa.Column("via", sa.String(10), nullable=False),
        sa.Column("outcome", sa.String(40), nullable=False),
        sa.Column("at", TIME, nullable=False),
    )
    op.create_index(
        op.f("ix_registration_attempts_address_at"), "registration_attempts", ["address", "at"]
    )
    op.create_index(
        op.f("ix_registration_attempts_domain_at"), "registration_attempts", ["domain", "at"]
    )


def downgrade() -> None:
    op.drop_table("registration_attempts")
