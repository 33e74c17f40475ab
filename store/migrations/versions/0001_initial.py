"""The initial schema: accounts, children, cases, advice, submissions, timeline, mail and audit.

Revision ID: 0001
Revises:
Created: 2026-11-28

Types are written out rather than imported from the models, so that this migration keeps meaning
what it meant when the models change: times are `DateTime(timezone=True)` (the models'
`UTCDateTime`), statuses `String(32)` (`StrEnumText`), JSON is JSONB on PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TIME = sa.DateTime(timezone=True)
STATUS = sa.String(32)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _forward_keys_on_sqlite() -> list[sa.ForeignKeyConstraint]:
    """inbound_messages.submission_id points at a table made later (submissions point back).
    SQLite accepts a key naming a table that does not exist yet but cannot add one afterwards;
    PostgreSQL is the other way round, so it gets the key by ALTER once both tables exist."""
    if op.get_context().dialect.name != "sqlite":
        return []
    return [
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_inbound_messages_submission_id_submissions"),
        )
    ]


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("subject_type", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("detail", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"], unique=False)
    op.create_index(
        op.f("ix_audit_log_subject_type_subject_id"),
        "audit_log",
        ["subject_type", "subject_id"],
        unique=False,
    )

    op.create_table(
        "children",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("forename", sa.String(length=100), nullable=False),
        sa.Column("surname", sa.String(length=100), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("postcode", sa.String(length=10), nullable=True),
        sa.Column("upn", sa.String(length=13), nullable=True),
        sa.Column("nhs_number", sa.String(length=10), nullable=True),
        sa.Column("sex", sa.String(length=20), nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_children")),
    )
    op.create_index(op.f("ix_children_nhs_number"), "children", ["nhs_number"], unique=False)

    op.create_table(
        "mailbox_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mailbox", sa.String(length=255), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mailbox_state")),
        sa.UniqueConstraint("mailbox", name=op.f("uq_mailbox_state_mailbox")),
    )
    op.create_table(
        "professionals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=100), nullable=False),
        sa.Column("organisation_name", sa.String(length=200), nullable=False),
        sa.Column("organisation_type", sa.String(length=50), nullable=True),
        sa.Column("organisation_id", sa.String(length=50), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("is_caseworker", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("activated_at", TIME, nullable=True),
        sa.Column("totp_secret", sa.String(length=64), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_professionals")),
    )
    op.create_index(
        "uq_professionals_email_lower", "professionals", [sa.text("lower(email)")], unique=True
    )
    op.create_table(
        "reference_counters",
        sa.Column("prefix", sa.String(length=10), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("prefix", "year", name=op.f("pk_reference_counters")),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("request_token", sa.String(length=64), nullable=False),
        sa.Column("stage", sa.String(length=40), nullable=False),
        sa.Column("day0", sa.Date(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_cases_child_id_children")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["professionals.id"],
            name=op.f("fk_cases_requested_by_id_professionals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("reference", name=op.f("uq_cases_reference")),
        sa.UniqueConstraint("request_token", name=op.f("uq_cases_request_token")),
    )
    op.create_index(op.f("ix_cases_child_id"), "cases", ["child_id"], unique=False)
    op.create_index(op.f("ix_cases_requested_by_id"), "cases", ["requested_by_id"], unique=False)

    op.create_table(
        "advice_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("professional_id", sa.Integer(), nullable=False),
        sa.Column("advice_type", sa.String(length=40), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_advice_requests_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["professional_id"],
            ["professionals.id"],
            name=op.f("fk_advice_requests_professional_id_professionals"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_advice_requests")),
        sa.UniqueConstraint("reference", name=op.f("uq_advice_requests_reference")),
    )
    op.create_index(
        op.f("ix_advice_requests_case_id"), "advice_requests", ["case_id"], unique=False
    )
    op.create_index(
        op.f("ix_advice_requests_professional_id"),
        "advice_requests",
        ["professional_id"],
        unique=False,
    )

    op.create_table(
        "inbound_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_at", TIME, nullable=False),
        sa.Column("transport", STATUS, nullable=False),
        sa.Column("mailbox", sa.String(length=255), nullable=True),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=True),
        sa.Column("uid", sa.BigInteger(), nullable=True),
        sa.Column("message_key", sa.String(length=998), nullable=False),
        sa.Column("raw_sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("envelope_from", sa.String(length=320), nullable=True),
        sa.Column("envelope_to", JSON, nullable=False),
        sa.Column("from_address", sa.String(length=320), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("reasons", JSON, nullable=False),
        sa.Column("decisions", JSON, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", TIME, nullable=True),
        sa.Column("processed_at", TIME, nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("submission_id", sa.Integer(), nullable=True),
        sa.Column("duplicate_of_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_inbound_messages_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of_id"],
            ["inbound_messages.id"],
            name=op.f("fk_inbound_messages_duplicate_of_id_inbound_messages"),
        ),
        *_forward_keys_on_sqlite(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_messages")),
        sa.UniqueConstraint(
            "mailbox",
            "uidvalidity",
            "uid",
            name=op.f("uq_inbound_messages_mailbox_uidvalidity_uid"),
        ),
        sa.UniqueConstraint("message_key", name=op.f("uq_inbound_messages_message_key")),
    )
    op.create_index(
        op.f("ix_inbound_messages_case_id"), "inbound_messages", ["case_id"], unique=False
    )
    op.create_index(
        op.f("ix_inbound_messages_received_at"), "inbound_messages", ["received_at"], unique=False
    )
    op.create_index(
        op.f("ix_inbound_messages_status"), "inbound_messages", ["status"], unique=False
    )

    op.create_table(
        "timeline_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", STATUS, nullable=False),
        sa.Column("stage", sa.String(length=40), nullable=True),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", TIME, nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("detail", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_timeline_events_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timeline_events")),
    )
    op.create_index(
        op.f("ix_timeline_events_case_id"), "timeline_events", ["case_id"], unique=False
    )

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("kind", sa.String(length=80), nullable=False),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("message_id", sa.String(length=998), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TIME, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", TIME, nullable=True),
        sa.Column("inbound_message_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_outbox_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["inbound_message_id"],
            ["inbound_messages.id"],
            name=op.f("fk_outbox_inbound_message_id_inbound_messages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("message_id", name=op.f("uq_outbox_message_id")),
    )
    op.create_index(op.f("ix_outbox_case_id"), "outbox", ["case_id"], unique=False)
    op.create_index(
        op.f("ix_outbox_inbound_message_id"), "outbox", ["inbound_message_id"], unique=False
    )
    op.create_index(op.f("ix_outbox_status"), "outbox", ["status"], unique=False)

    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("advice_request_id", sa.Integer(), nullable=True),
        sa.Column("kind", STATUS, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("inbound_message_id", sa.Integer(), nullable=True),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        sa.Column("answers", JSON, nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["advice_request_id"],
            ["advice_requests.id"],
            name=op.f("fk_submissions_advice_request_id_advice_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_submissions_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["inbound_message_id"],
            ["inbound_messages.id"],
            name=op.f("fk_submissions_inbound_message_id_inbound_messages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submissions")),
        sa.UniqueConstraint("token", "pdf_sha256", name=op.f("uq_submissions_token_pdf_sha256")),
    )
    op.create_index(op.f("ix_submissions_case_id"), "submissions", ["case_id"], unique=False)
    op.create_index(
        op.f("ix_submissions_inbound_message_id"),
        "submissions",
        ["inbound_message_id"],
        unique=False,
    )
    op.create_index(
        "uq_submissions_advice_version",
        "submissions",
        ["case_id", "kind", "advice_request_id", "version"],
        unique=True,
        sqlite_where=sa.text("advice_request_id IS NOT NULL"),
        postgresql_where=sa.text("advice_request_id IS NOT NULL"),
    )
    op.create_index(
        "uq_submissions_request_version",
        "submissions",
        ["case_id", "kind", "version"],
        unique=True,
        sqlite_where=sa.text("advice_request_id IS NULL"),
        postgresql_where=sa.text("advice_request_id IS NULL"),
    )

    if op.get_context().dialect.name != "sqlite":
        op.create_foreign_key(
            op.f("fk_inbound_messages_submission_id_submissions"),
            "inbound_messages",
            "submissions",
            ["submission_id"],
            ["id"],
        )

    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inbound_message_id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("listed", sa.Boolean(), nullable=False),
        sa.Column("flag", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["inbound_message_id"],
            ["inbound_messages.id"],
            name=op.f("fk_attachments_inbound_message_id_inbound_messages"),
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_attachments_submission_id_submissions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    op.create_index(
        op.f("ix_attachments_inbound_message_id"),
        "attachments",
        ["inbound_message_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_attachments_submission_id"), "attachments", ["submission_id"], unique=False
    )


def downgrade() -> None:
    if op.get_context().dialect.name != "sqlite":
        op.drop_constraint(
            op.f("fk_inbound_messages_submission_id_submissions"),
            "inbound_messages",
            type_="foreignkey",
        )
    op.drop_index(op.f("ix_attachments_submission_id"), table_name="attachments")
    op.drop_index(op.f("ix_attachments_inbound_message_id"), table_name="attachments")

    op.drop_table("attachments")
    op.drop_index("uq_submissions_request_version", table_name="submissions")
    op.drop_index("uq_submissions_advice_version", table_name="submissions")
    op.drop_index(op.f("ix_submissions_inbound_message_id"), table_name="submissions")
    op.drop_index(op.f("ix_submissions_case_id"), table_name="submissions")

    op.drop_table("submissions")
    op.drop_index(op.f("ix_outbox_status"), table_name="outbox")
    op.drop_index(op.f("ix_outbox_inbound_message_id"), table_name="outbox")
    op.drop_index(op.f("ix_outbox_case_id"), table_name="outbox")

    op.drop_table("outbox")
    op.drop_index(op.f("ix_timeline_events_case_id"), table_name="timeline_events")

    op.drop_table("timeline_events")
    op.drop_index(op.f("ix_inbound_messages_status"), table_name="inbound_messages")
    op.drop_index(op.f("ix_inbound_messages_received_at"), table_name="inbound_messages")
    op.drop_index(op.f("ix_inbound_messages_case_id"), table_name="inbound_messages")

    op.drop_table("inbound_messages")
    op.drop_index(op.f("ix_advice_requests_professional_id"), table_name="advice_requests")
    op.drop_index(op.f("ix_advice_requests_case_id"), table_name="advice_requests")

    op.drop_table("advice_requests")
    op.drop_index(op.f("ix_cases_requested_by_id"), table_name="cases")
    op.drop_index(op.f("ix_cases_child_id"), table_name="cases")

    op.drop_table("cases")
    op.drop_table("reference_counters")
    op.drop_index("uq_professionals_email_lower", table_name="professionals")
    op.drop_table("professionals")
    op.drop_table("mailbox_state")
    op.drop_index(op.f("ix_children_nhs_number"), table_name="children")

    op.drop_table("children")
    op.drop_index(op.f("ix_audit_log_subject_type_subject_id"), table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_at"), table_name="audit_log")

    op.drop_table("audit_log")
