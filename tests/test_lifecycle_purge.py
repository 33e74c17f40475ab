"""Retention: the purge removes raw mail of finished messages after INTAKE_RETAIN_MAIL_DAYS and
whole cases at the child's date of birth + INTAKE_RETAIN_CASES_YEARS, keeps what a legal hold or
unfinished mail protects, changes nothing on a dry run, and leaves no file behind on disk.

A case is opened by the real pipeline (tests/casework.py); every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import os
import time
from datetime import date, timedelta

import pytest
from casework import opened_case
from mail_factory import build_message
from sqlalchemy import func, select, text
from test_cli import run

from intake.cases.advice_requests import find_case
from intake.lifecycle import place_legal_hold, purge, release_legal_hold
from intake.receive.capture import capture_message
from intake.reminders.scheduler import PURGE_LOCK_KEY, purge_scheduled
from intake.views.case import case_document
from store import (
    Attachment,
    AuditEntry,
    Case,
    Child,
    InboundMessage,
    InboundStatus,
    OutboxMessage,
    Submission,
    TimelineEvent,
    Transport,
)

# The example request's child was born on 2016-05-14: the case is due on the 31st birthday.
BIRTHDAY_31 = date(2047, 5, 14)


def rows(services, model) -> int:
    with services.db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def case_files(services, reference: str) -> tuple[list[str], list[str]]:
    """The digests of the case's raw mail and of its attachments."""
    with services.db.session() as session:
        case = find_case(session, reference)
        raw = list(
            session.scalars(
                select(InboundMessage.raw_sha256).where(InboundMessage.case_id == case.id)
            )
        )
        files = list(
            session.scalars(
                select(Attachment.sha256)
                .join(InboundMessage, InboundMessage.id == Attachment.inbound_message_id)
                .where(InboundMessage.case_id == case.id)
            )
        )
    return raw, files


def on_disk(store, digests) -> list[bool]:
    return [store.path_for(d).exists() for d in digests]


def waiting_message(services) -> int:
    """A message captured and not yet processed: unfinished, so never purged."""
    raw = build_message(
        body="Still to be read.\n",
        headers={"From": "someone@school.example.org", "To": "intake@send.example.gov.uk"},
        message_id="<waiting-1@school.example.org>",
    )
    return capture_message(services, raw, Transport.FILE).inbound_id


def test_raw_mail_goes_after_the_set_days_and_a_dry_run_changes_nothing(services, senco) -> None:
    reference = opened_case(services, senco)
    waiting = waiting_message(services)
    raw, files = case_files(services, reference)
    today = services.today()
    with services.db.session() as session:
        [accepted] = session.scalars(
            select(InboundMessage).where(InboundMessage.status == InboundStatus.ACCEPTED)
        )
    assert purge(services, today + timedelta(days=89)).messages == []
    audit_before = rows(services, AuditEntry)

    due = today + timedelta(days=91)
    dry = purge(services, due, dry_run=True)
    assert (dry.dry_run, dry.messages, dry.cases) == (True, [accepted.id], [])
    assert on_disk(services.raw, raw) == [True]
    with services.db.session() as session:
        assert session.get(InboundMessage, accepted.id).purged_at is None
    assert rows(services, AuditEntry) == audit_before

    report = purge(services, due)
    assert report.messages == [accepted.id] and report.files_removed["raw"] == 1
    assert on_disk(services.raw, raw) == [False]
    # The case's own files are the council's record, kept until the case goes.
    assert on_disk(services.attachments, files) == [True] * len(files) and files
    with services.db.session() as session:
        purged = session.get(InboundMessage, accepted.id)
        assert purged.purged_at is not None and purged.subject is None
        kept = session.get(InboundMessage, waiting)
        assert (kept.status, kept.purged_at) == (InboundStatus.RECEIVED, None)
        assert services.raw.path_for(kept.raw_sha256).exists()
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "purge-run").order_by(AuditEntry.id)
        ).all()[-1]
        assert entry.detail["messages"] == 1 and entry.subject_id == due.isoformat()
    # Once is enough: a second run finds nothing more.
    again = purge(services, due)
    assert (again.messages, again.files_removed) == ([], {"raw": 0, "attachments": 0})


def test_a_case_goes_whole_on_the_childs_birthday_plus_31_years(services, senco) -> None:
    reference = opened_case(services, senco)
    case_document(services, reference, viewer="c.worker@send.example.gov.uk")
    raw, files = case_files(services, reference)
    assert purge(services, BIRTHDAY_31 - timedelta(days=1)).cases == []
    assert rows(services, Case) == 1
    audit_before = rows(services, AuditEntry)

    report = purge(services, BIRTHDAY_31)

    assert report.cases == [reference]
    for model in (Case, Child, Submission, TimelineEvent, Attachment, InboundMessage):
        assert rows(services, model) == 0, model.__name__
    with services.db.session() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        [removed] = session.scalars(select(AuditEntry).where(AuditEntry.action == "case-purged"))
    assert removed.subject_id == reference and removed.detail["files"] == len(files)
    assert "Gruffydd" not in str(removed.detail)
    # The audit log keeps every entry it had, and gains the purge's own.
    assert rows(services, AuditEntry) == audit_before + 2
    assert on_disk(services.raw, raw) == [False]
    assert on_disk(services.attachments, files) == [False] * len(files)


def test_a_legal_hold_keeps_the_case_its_mail_and_files_until_released(services, senco) -> None:
    reference = opened_case(services, senco)
    raw, files = case_files(services, reference)
    with services.db.session() as session:
        case = find_case(session, reference)
        placed = place_legal_hold(
            services, session, case, reason="Tribunal appeal SE123/45", actor="c.worker@x.gov.uk"
        )
        assert placed.done
        assert not place_legal_hold(services, session, case, reason="again", actor="x").done
    shown = case_document(services, reference, viewer="test")
    assert shown["legal_hold"]["reason"] == "Tribunal appeal SE123/45"

    report = purge(services, BIRTHDAY_31)
    assert (report.cases, report.messages) == ([], [])
    assert report.kept_on_legal_hold == [reference]
    assert rows(services, Case) == 1
    assert on_disk(services.raw, raw) == [True]
    assert on_disk(services.attachments, files) == [True] * len(files)

    with services.db.session() as session:
        assert release_legal_hold(services, session, find_case(session, reference), actor="c").done
        actions = list(
            session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("legal-hold-%")))
        )
    assert actions == ["legal-hold-placed", "legal-hold-released"]
    assert purge(services, BIRTHDAY_31).cases == [reference]
    assert on_disk(services.raw, raw) == [False]


def test_a_case_with_mail_still_waiting_is_kept(services, senco) -> None:
    reference = opened_case(services, senco)
    waiting = waiting_message(services)
    with services.db.session() as session:
        session.get(InboundMessage, waiting).case_id = find_case(session, reference).id
    report = purge(services, BIRTHDAY_31)
    assert (report.cases, report.kept_for_unfinished_mail) == ([], [reference])
    assert rows(services, Case) == 1


def test_orphan_files_older_than_a_day_are_swept(services) -> None:
    old = services.attachments.put(b"a file whose row never committed")
    fresh = services.raw.put(b"a message whose row is being committed now")
    day_and_more = time.time() - 2 * 24 * 3600
    os.utime(services.attachments.path_for(old), (day_and_more, day_and_more))

    assert purge(services, dry_run=True).orphans == {"raw": 0, "attachments": 1}
    assert services.attachments.path_for(old).exists()
    report = purge(services)
    assert report.orphans == {"raw": 0, "attachments": 1}
    assert not services.attachments.path_for(old).exists()
    assert services.raw.path_for(fresh).exists()


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_the_commands_place_show_and_release_a_hold_and_purge_keeps_the_case(
    services, senco, tmp_path
) -> None:
    reference = opened_case(services, senco)
    env = {"INTAKE_HOME": str(services.settings.home), "INTAKE_DATABASE_URL": services.db.url}

    held = run(tmp_path, "case", "hold", reference, "--reason", "Tribunal appeal", env=env)
    assert held.returncode == 0, held.stderr
    shown = run(tmp_path, "case", "show", reference, env=env)
    assert "on legal hold since" in shown.stdout and "Tribunal appeal" in shown.stdout
    twice = run(tmp_path, "case", "hold", reference, "--reason", "again", env=env)
    assert (twice.returncode, twice.stderr.strip()) == (
        1,
        f"intake: {reference} is already on legal hold",
    )
    dry = run(tmp_path, "purge", "--today", BIRTHDAY_31.isoformat(), "--dry-run", "--json", env=env)
    assert dry.returncode == 0, dry.stderr
    report = json.loads(dry.stdout)
    assert (report["kept_on_legal_hold"], report["cases"]) == ([reference], [])
    assert "Gruffydd" not in dry.stdout + dry.stderr
    released = run(tmp_path, "case", "release-hold", reference, env=env)
    assert released.returncode == 0, released.stderr
    gone = run(tmp_path, "purge", "--today", BIRTHDAY_31.isoformat(), env=env)
    assert gone.returncode == 0 and gone.stdout.startswith(f"cases removed: {reference}")
    assert run(tmp_path, "case", "show", reference, env=env).returncode == 1


def test_the_nightly_purge_runs_only_in_the_process_holding_its_lock(services) -> None:
    if services.db.dialect == "postgresql":
        with services.db.engine.connect() as other_process:
            other_process.execute(text("SELECT pg_advisory_lock(:k)"), {"k": PURGE_LOCK_KEY})
            assert purge_scheduled(services) is None
            other_process.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": PURGE_LOCK_KEY})
            other_process.commit()
    assert purge_scheduled(services).today == services.today().isoformat()
