"""The metrics, on SQLite and PostgreSQL, from rows the real service wrote: messages captured and
processed, the replies they queued, a real Dovecot mailbox looked through by the watcher, a
reminder run and a failed one. Read through `intake metrics`, and over HTTP at /metrics by a
caseworker or with the bearer token, never by anyone else."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from casework import signed_in_caseworker
from mail_factory import SENDER, build_message
from mail_servers import Dovecot, Mailbox, dovecot, dovecot_server  # noqa: F401 (fixtures)
from sqlalchemy import update
from test_reminders import Records
from web_client import Visitor, active_account, served, sign_in

from intake.pipeline.process import process_all
from intake.receive.capture import capture_message
from intake.receive.imap import ImapWatcher
from intake.reminders.run import run_reminders
from intake.reminders.scheduler import record_run_failure
from intake.serve import MailboxStateInStore
from intake.views.metrics import prometheus_text, read_metrics
from store import InboundMessage, InboundStatus, ReminderRun, Transport

TOKEN = "scrape-me-3f9c2a7e51d84b06a9e1"
REPO = Path(__file__).resolve().parent.parent
# One sample line of the text format: a name, optional labels, a number.
SAMPLE = re.compile(r'^[a-z_]+(\{[a-z_]+="(?:[^"\\]|\\.)*"(,[a-z_]+="(?:[^"\\]|\\.)*")*\})? \S+$')
# A Wednesday that is no bank holiday: the reminder run works on it.
WORKING_DAY = date(2027, 1, 13)


def received_mail(services, count: int) -> list[int]:
    """`count` plain emails (no form) captured as the SMTP listener does; their row ids."""
    ids = []
    for n in range(count):
        raw = build_message(
            body="Where do I send it?\n",
            headers={"Subject": f"Question {n}"},
            message_id=f"<question-{n}-{uuid.uuid4()}@school.example>",
        )
        ids.append(capture_message(services, raw, Transport.SMTP).inbound_id)
    return ids


def metrics_now(services):
    with services.db.session() as session:
        return read_metrics(session, services.now())


def test_counts_and_ages_come_from_the_rows(services) -> None:
    first, second, third = received_mail(services, 3)
    process_all(services)  # each is answered: no form attached
    fourth = received_mail(services, 1)[0]
    with services.db.session() as session:
        session.execute(
            update(InboundMessage)
            .where(InboundMessage.id == fourth)
            .values(received_at=services.now() - timedelta(hours=1))
        )
    metrics = metrics_now(services)
    processed = {s: n for s, n in metrics.inbound_by_status.items() if n}
    assert processed.pop("received") == 1 and sum(processed.values()) == 3, processed
    assert set(metrics.inbound_by_status) == {s.value for s in InboundStatus}
    assert 3600 <= metrics.oldest_unprocessed_seconds < 3600 + 60
    # The three answers wait in the outbox (nothing sends them in this test).
    assert metrics.outbox_queued == 3 and metrics.outbox_failed == 0
    assert 0 <= metrics.oldest_queued_seconds < 60

    text = prometheus_text(metrics)
    assert 'intake_inbound_messages{status="received"} 1\n' in text
    assert 'intake_outbox_messages{status="pending"} 3\n' in text
    for line in text.splitlines():
        assert line.startswith("# ") or SAMPLE.match(line), line
    assert SENDER not in text and "Question" not in text


def test_reminder_runs_and_failures(services) -> None:
    assert metrics_now(services).last_reminder_run_on is None
    assert "intake_reminder_last_run_items" not in prometheus_text(metrics_now(services)).replace(
        "# HELP intake_reminder_last_run_items", ""
    ).replace("# TYPE intake_reminder_last_run_items", "")
    run_reminders(services, WORKING_DAY)
    metrics = metrics_now(services)
    assert metrics.last_reminder_run_on == WORKING_DAY and metrics.last_reminder_run_items == 0
    assert "intake_reminder_last_run_items 0\n" in prometheus_text(metrics)

    record_run_failure(services, RuntimeError("a row's text, which is never kept"))
    record_run_failure(services, KeyError("another"))
    metrics = metrics_now(services)
    assert metrics.reminder_run_failures == 2
    assert abs((services.now() - metrics.last_reminder_failure_at).total_seconds()) < 60
    text = prometheus_text(metrics)
    assert "intake_reminder_run_failures_total 2\n" in text
    assert "never kept" not in json.dumps(metrics.as_json())


def test_a_reminder_run_counts_what_it_queued(services) -> None:
    records = Records(services.db)
    case = records.case(WORKING_DAY - timedelta(days=42))
    records.advice(case, sent_on=WORKING_DAY - timedelta(days=30), due_on=WORKING_DAY)
    report = run_reminders(services, WORKING_DAY)
    assert report.advice_count == 1
    again = run_reminders(services, WORKING_DAY)  # a second run the same day adds its own
    assert again.items == []
    queued = len(report.items)  # the advice reminder, and any deadline warning of the case
    with services.db.session() as session:
        assert session.get(ReminderRun, WORKING_DAY).items == queued
    assert metrics_now(services).last_reminder_run_items == queued


def test_the_watchers_last_look_at_a_real_mailbox(services, dovecot: Dovecot) -> None:  # noqa: F811
    mailbox = Mailbox(dovecot, dovecot.new_user())
    mailbox.append(build_message(body="Hello\n", message_id=f"<{uuid.uuid4()}@school.example>"))
    state = MailboxStateInStore(services)
    watcher = ImapWatcher(
        mailbox.url,
        lambda raw, key: capture_message(services, raw, Transport.IMAP, key=key),
        state,
        on_swept=state.mark_swept,
    )
    assert metrics_now(services).mailboxes == []
    watcher.sweep_once()
    (lag,) = metrics_now(services).mailboxes
    assert lag.mailbox == f"{mailbox.user}@{dovecot.host}/INBOX"
    assert 0 <= lag.last_checked_seconds < 30
    assert metrics_now(services).inbound_by_status["received"] == 1

    # An empty mailbox that was never written to is looked through all the same.
    empty = Mailbox(dovecot, dovecot.new_user())
    ImapWatcher(empty.url, lambda raw, key: None, state, on_swept=state.mark_swept).sweep_once()
    assert len(metrics_now(services).mailboxes) == 2
    assert f'intake_imap_last_checked_seconds{{mailbox="{empty.user}@' in prometheus_text(
        metrics_now(services)
    )


def test_metrics_over_http_for_caseworkers_and_the_token_only(services) -> None:
    received_mail(services, 2)
    with_token = replace(services, settings=replace(services.settings, metrics_token=TOKEN))
    with served(with_token) as site:
        anonymous = Visitor(site)
        assert anonymous.get("/metrics").headers["location"] == "/sign-in"
        scraper = Visitor(site)
        answer = scraper.http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
        assert answer.headers["cache-control"] == "no-store"
        assert 'intake_inbound_messages{status="received"} 2\n' in answer.text
        wrong = scraper.http.get("/metrics", headers={"Authorization": "Bearer " + "x" * 30})
        assert wrong.status_code == 401 and "intake_" not in wrong.text

        professional = Visitor(site)
        active_account(services, "ffion.ep@eps.example.gov.uk")
        sign_in(professional, services, "ffion.ep@eps.example.gov.uk")
        assert professional.get("/metrics").status_code == 403
        caseworker = signed_in_caseworker(site, services)
        seen = caseworker.get("/metrics")
        assert seen.status_code == 200 and "intake_outbox_messages" in seen.text
        for visitor in (anonymous, scraper, professional, caseworker):
            visitor.close()

    with served(services) as site:  # no token set: no bearer token is right
        scraper = Visitor(site)
        refused = scraper.http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert refused.status_code == 401
        scraper.close()


@pytest.fixture
def cli_home(tmp_path: Path, database) -> dict[str, str]:
    import os

    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")},
        "INTAKE_HOME": str(tmp_path / "home"),
        "INTAKE_DATABASE_URL": database.url,
        "PYTHONPATH": str(REPO),
    }


def intake(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "intake.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_command_prints_json_or_the_text_format(services, cli_home) -> None:
    received_mail(services, 1)
    as_json = intake(cli_home, "metrics", "--json")
    assert as_json.returncode == 0, as_json.stderr
    figures = json.loads(as_json.stdout)
    assert figures["inbound_by_status"]["received"] == 1
    assert figures["outbox_queued"] == 0 and figures["reminder_run_failures"] == 0
    as_text = intake(cli_home, "metrics")
    assert as_text.returncode == 0, as_text.stderr
    assert 'intake_inbound_messages{status="received"} 1' in as_text.stdout


def test_the_command_without_a_database_says_so(tmp_path: Path) -> None:
    import os

    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")},
        "INTAKE_HOME": str(tmp_path / "nothing-here"),
        "PYTHONPATH": str(REPO),
    }
    refused = intake(env, "metrics")
    assert refused.returncode == 1 and "intake init" in refused.stderr
    assert refused.stderr.count("\n") == 1
