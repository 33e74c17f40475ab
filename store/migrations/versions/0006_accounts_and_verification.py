"""Accounts and sender verification: two-step settings and lock-out on professionals, one-time
codes, single-use links, and how a message's sender was verified.

Revision ID: 0006
Revises: 0005
Created: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.migrations.batch import batch_alter

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Types written out, not imported from the models, so that this migration keeps its meaning.
TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Plain ADD COLUMN (SQLite has it): a batch copy of professionals would lose the
    # expression index on lower(email), which SQLAlchemy cannot reflect.
    for column in (
        sa.Column("two_factor", sa.String(10), nullable=True),
        sa.Column("failed_codes", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("locked_until", TIME, nullable=True),
        sa.Column("document_password", sa.String(500), nullable=True),
        sa.Column("declined_at", TIME, nullable=True),
        sa.Column("declined_reason", sa.String(500), nullable=True),
    ):
        op.add_column("professionals", column)
    op.add_column("inbound_messages", sa.Column("sender_verified", sa.String(10), nullable=True))
    op.create_table(
        "one_time_codes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "professional_id", sa.Integer(), sa.ForeignKey("professionals.id"), nullable=False
        ),
        sa.Column("purpose", sa.String(30), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column(
            "inbound_message_id", sa.Integer(), sa.ForeignKey("inbound_messages.id"), nullable=True
        ),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("expires_at", TIME, nullable=False),
        sa.Column("used_at", TIME, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
    )
    op.create_index(
        op.f("ix_one_time_codes_professional_id"), "one_time_codes", ["professional_id"]
    )
    op.create_index(
        op.f("ix_one_time_codes_inbound_message_id"), "one_time_codes", ["inbound_message_id"]
    )
    op.create_table(
        "link_tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "professional_id", sa.Integer(), sa.ForeignKey("professionals.id"), nullable=False
        ),
        sa.Column("purpose", sa.String(30), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("token_hash", name=op.f("uq_link_tokens_token_hash")),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("expires_at", TIME, nullable=False),
        sa.Column("used_at", TIME, nullable=True),
    )
    op.create_index(op.f("ix_link_tokens_professional_id"), "link_tokens", ["professional_id"])


def downgrade() -> None:
    op.drop_table("link_tokens")
    op.drop_table("one_time_codes")
    with batch_alter("inbound_messages") as batch:
        batch.drop_column("sender_verified")
    with batch_alter("professionals") as batch:
        for column in (
            "declined_reason",
            "declined_at",
            "document_password",
            "locked_until",
            "failed_codes",
            "two_factor",
        ):
            batch.drop_column(column)
    if op.get_bind().dialect.name == "sqlite":
        # SQLite's batch copy of the table dropped the expression index: put it back.
        op.create_index(
            "uq_professionals_email_lower", "professionals", [sa.text("lower(email)")], unique=True
        )
