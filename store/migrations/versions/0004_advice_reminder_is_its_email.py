"""An advice reminder is its outbox row: one write per reminder instead of two.

Revision ID: 0004
Revises: 0003
Created: 2026-12-02

An advice reminder is one email to one professional, so the reminder run now claims it by
inserting its outbox row, unique on `(advice_request_id, reminder_kind)`, rather than a
`reminders_sent` row and then an outbox row that points at it. Existing advice reminders move
to their email's row. `reminders_sent` keeps the deadline warnings (one claim, an email per
caseworker); it loses `advice_request_id`, and `case_id` becomes required. Advice claims that
never had an email (held back by the rate limit of an earlier version) are dropped: nothing was
sent for them. A downgrade moves the advice reminders back.

The outbox's indexes on `inbound_message_id` and `reminder_id` now leave out the rows where they
are empty (most mail, and every advice reminder), and `reminders_sent.sent_on` loses its index,
which only the advice reminders' count used: fewer index writes per reminder.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.migrations.batch import batch_alter

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

OUTBOX_ADVICE_FK = "fk_outbox_advice_request_id_advice_requests"
REMINDER_ADVICE_FK = "fk_reminders_sent_advice_request_id_advice_requests"
REMINDER_ADVICE_KEY = "uq_reminders_sent_advice_request_id_kind"
ONE_SUBJECT = "ck_reminders_sent_one_subject"
ADVICE_REMINDER_KEY = "uq_outbox_advice_reminder"
SENT_ON_INDEX = "ix_reminders_sent_sent_on"
PARTIAL_INDEXES = {
    "ix_outbox_inbound_message_id": "inbound_message_id",
    "ix_outbox_reminder_id": "reminder_id",
    "uq_outbox_advice_reminder": "advice_request_id",
}


def _create_outbox_index(name: str, columns: list[str], *, partial: bool, **options) -> None:
    if partial:
        where = sa.text(f"{PARTIAL_INDEXES[name]} IS NOT NULL")
        options |= {"sqlite_where": where, "postgresql_where": where}
    op.create_index(name, "outbox", columns, **options)


def upgrade() -> None:
    with batch_alter("outbox") as batch:
        batch.add_column(sa.Column("advice_request_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("reminder_kind", sa.String(100), nullable=True))
        batch.add_column(sa.Column("reminder_on", sa.Date(), nullable=True))
        batch.create_foreign_key(
            op.f(OUTBOX_ADVICE_FK), "advice_requests", ["advice_request_id"], ["id"]
        )
    _create_outbox_index(
        ADVICE_REMINDER_KEY, ["advice_request_id", "reminder_kind"], partial=True, unique=True
    )
    for name in ("ix_outbox_inbound_message_id", "ix_outbox_reminder_id"):
        op.drop_index(name, table_name="outbox")
        _create_outbox_index(name, [PARTIAL_INDEXES[name]], partial=True)
    # Every right-hand side reads the row as it was, so reminder_id is cleared after use.
    op.execute(
        "UPDATE outbox SET"
        " advice_request_id = (SELECT r.advice_request_id FROM reminders_sent r"
        "  WHERE r.id = outbox.reminder_id),"
        " reminder_kind = (SELECT r.kind FROM reminders_sent r WHERE r.id = outbox.reminder_id),"
        " reminder_on = (SELECT r.sent_on FROM reminders_sent r WHERE r.id = outbox.reminder_id),"
        " reminder_id = NULL"
        " WHERE reminder_id IN"
        "  (SELECT id FROM reminders_sent WHERE advice_request_id IS NOT NULL)"
    )
    op.execute("DELETE FROM reminders_sent WHERE advice_request_id IS NOT NULL")
    op.drop_index(op.f(SENT_ON_INDEX), table_name="reminders_sent")
    with batch_alter("reminders_sent") as batch:
        batch.drop_constraint(op.f(ONE_SUBJECT), type_="check")
        batch.drop_constraint(op.f(REMINDER_ADVICE_KEY), type_="unique")
        batch.drop_constraint(op.f(REMINDER_ADVICE_FK), type_="foreignkey")
        batch.drop_column("advice_request_id")
        batch.alter_column("case_id", existing_type=sa.Integer(), nullable=False)


def downgrade() -> None:
    with batch_alter("reminders_sent") as batch:
        batch.alter_column("case_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("advice_request_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f(REMINDER_ADVICE_FK), "advice_requests", ["advice_request_id"], ["id"]
        )
        batch.create_unique_constraint(op.f(REMINDER_ADVICE_KEY), ["advice_request_id", "kind"])
        batch.create_check_constraint(
            op.f(ONE_SUBJECT), "(advice_request_id IS NULL) <> (case_id IS NULL)"
        )
    op.create_index(op.f(SENT_ON_INDEX), "reminders_sent", ["sent_on"])
    op.execute(
        "INSERT INTO reminders_sent (advice_request_id, kind, sent_on, created_at)"
        " SELECT advice_request_id, reminder_kind, reminder_on, created_at FROM outbox"
        " WHERE advice_request_id IS NOT NULL"
    )
    op.execute(
        "UPDATE outbox SET reminder_id = (SELECT r.id FROM reminders_sent r"
        "  WHERE r.advice_request_id = outbox.advice_request_id"
        "  AND r.kind = outbox.reminder_kind)"
        " WHERE advice_request_id IS NOT NULL"
    )
    op.drop_index(ADVICE_REMINDER_KEY, table_name="outbox")
    for name in ("ix_outbox_inbound_message_id", "ix_outbox_reminder_id"):
        op.drop_index(name, table_name="outbox")
        _create_outbox_index(name, [PARTIAL_INDEXES[name]], partial=False)
    with batch_alter("outbox") as batch:
        batch.drop_constraint(op.f(OUTBOX_ADVICE_FK), type_="foreignkey")
        batch.drop_column("reminder_on")
        batch.drop_column("reminder_kind")
        batch.drop_column("advice_request_id")
