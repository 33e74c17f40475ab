"""Outbox rows composed when sent, and the link from an email to the reminder that caused it.

Revision ID: 0003
Revises: 0002
Created: 2026-12-01

The reminder run queues hundreds of reminders in a few statements: an outbox row may now be
queued with its recipient, subject and Message-ID fixed but its body (`raw`) left empty, for the
sender to compose before its first attempt. Each such row names its reminder (`outbox.reminder_id`),
which replaces the one-way `reminders_sent.outbox_id`: a deadline warning to three caseworkers
is three emails pointing at one reminder. Existing links are carried over.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.migrations.batch import batch_alter as _batch

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

OUTBOX_FK = "fk_outbox_reminder_id_reminders_sent"
REMINDER_FK = "fk_reminders_sent_outbox_id_outbox"


def upgrade() -> None:
    with _batch("outbox") as batch:
        batch.alter_column("raw", existing_type=sa.LargeBinary(), nullable=True)
        batch.add_column(sa.Column("reminder_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f(OUTBOX_FK), "reminders_sent", ["reminder_id"], ["id"])
        batch.create_index(op.f("ix_outbox_reminder_id"), ["reminder_id"])
    op.execute(
        "UPDATE outbox SET reminder_id = (SELECT r.id FROM reminders_sent r"
        " WHERE r.outbox_id = outbox.id)"
        " WHERE id IN (SELECT outbox_id FROM reminders_sent WHERE outbox_id IS NOT NULL)"
    )
    with _batch("reminders_sent") as batch:
        batch.drop_constraint(op.f(REMINDER_FK), type_="foreignkey")
        batch.drop_column("outbox_id")


def downgrade() -> None:
    _refuse_if_mail_waits_to_be_composed()
    with _batch("reminders_sent") as batch:
        batch.add_column(sa.Column("outbox_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f(REMINDER_FK), "outbox", ["outbox_id"], ["id"])
    op.execute(
        "UPDATE reminders_sent SET outbox_id = (SELECT min(o.id) FROM outbox o"
        " WHERE o.reminder_id = reminders_sent.id)"
    )
    with _batch("outbox") as batch:
        batch.drop_index(op.f("ix_outbox_reminder_id"))
        batch.drop_constraint(op.f(OUTBOX_FK), type_="foreignkey")
        batch.drop_column("reminder_id")
        batch.alter_column("raw", existing_type=sa.LargeBinary(), nullable=False)


def _refuse_if_mail_waits_to_be_composed() -> None:
    # Mail still waiting to be composed has no body for the older schema; it is never dropped.
    waiting = op.get_bind().scalar(sa.text("SELECT count(*) FROM outbox WHERE raw IS NULL"))
    if waiting:
        raise RuntimeError(
            f"{waiting} outbox email(s) are not yet composed: run `intake outbox send` (or"
            " `intake serve`) until they are sent, then downgrade"
        )
