"""A reminder sent by hand (`intake.reminders.by_hand`): queued as the reminder run queues its
own, counted per request, refused for a request no longer open, and one email when the same
form is sent twice at once (PostgreSQL, where two requests really do run side by side)."""

from __future__ import annotations

import threading

import pytest
from casework import opened_case
from sqlalchemy import select
from web_client import active_account

from intake.cases.accounts import find_professional
from intake.cases.advice_requests import find_case, request_advice
from intake.reminders.by_hand import send_reminder_now
from intake.reminders.run import run_reminders
from intake.reminders.working_days import WorkingDays
from store import AdviceRequest, OutboxMessage

ADVISER = "ffion.ep@eps.example.gov.uk"


@pytest.fixture
def database(postgres_database):
    return postgres_database


@pytest.fixture
def advice_id(services, senco) -> int:
    reference = opened_case(services, senco)
    active_account(services, ADVISER)
    with services.db.session() as session:
        asked = request_advice(
            services, session, find_case(session, reference),
            find_professional(session, ADVISER), "medical", today=services.today(),
        )  # fmt: skip
        session.flush()
        return asked.id


def remind(services, session, advice_id: int):
    request = session.get(AdviceRequest, advice_id)
    return send_reminder_now(services, session, request, actor="cw", today=services.today())


def test_the_same_form_twice_at_once_queues_one_reminder(services, advice_id) -> None:
    results = {}
    first = services.db.sessions()
    first.begin()
    results["first"] = remind(services, first, advice_id)

    def second() -> None:
        with services.db.session() as session:
            results["second"] = remind(services, session, advice_id)

    racing = threading.Thread(target=second)
    racing.start()
    racing.join(timeout=1)
    assert racing.is_alive(), "the second insert should wait for the first to commit"
    first.commit()
    first.close()
    racing.join(timeout=10)
    assert results["first"].kind == "by-hand-1"
    assert (results["second"].outbox_id, results["second"].refusal) == (None, "just-queued")
    with services.db.session() as session:
        kinds = session.scalars(
            select(OutboxMessage.reminder_kind).where(OutboxMessage.advice_request_id == advice_id)
        ).all()
    assert kinds == ["by-hand-1"]


def test_reminders_by_hand_leave_the_runs_thresholds_alone(services, advice_id) -> None:
    with services.db.session() as session:
        assert remind(services, session, advice_id).kind == "by-hand-1"
        assert remind(services, session, advice_id).kind == "by-hand-2"
        due_on = session.get(AdviceRequest, advice_id).due_on
    # The run on the day "due today" falls (brought forward to a working day) still queues
    # it: the reminders by hand took no threshold's place.
    report = run_reminders(
        services, WorkingDays(services.settings.closed_days).on_or_before(due_on)
    )
    assert [item.kind for item in report.advice.items] == ["due-today"]
