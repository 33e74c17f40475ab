"""The case timeline: the stage tables, moves and refusals, exceptions, the statutory clock and the
replay of a case's history, on SQLite and PostgreSQL, with the clock passed in as dates.
"""

from __future__ import annotations

import getpass
import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from test_cli import initialised_home, run

from intake.cases.stages import HistoryBroken, case_events, move_case, record_exception, replay
from intake.cases.timeline import (
    FORWARD_MOVES,
    OPTIONAL_STAGES,
    REQUEST_RECEIVED,
    STAGE_BY_CODE,
    STAGES,
    StageCode,
    allowed_moves,
    case_clock,
    stage_code,
    statutory_milestones,
    timeline_rows,
)
from intake.services import Services
from intake.views.case import case_document
from store import (
    AdviceRequest,
    AdviceStatus,
    Case,
    Child,
    OutboxMessage,
    Professional,
    TimelineEvent,
    TimelineKind,
)

S = StageCode
DAY0 = date(2026, 1, 5)
# Who looks at a case in these tests (each look is audited).
VIEWER = "cw@council.example.gov.uk"
REQUESTER = "jane.senco@school.example.org"

# Every stage in order, each on its day after day 0: every statutory limit met on time.
WALK: list[tuple[StageCode, int]] = [
    (S.REQUEST_ACKNOWLEDGED, 3),
    (S.PARTIES_NOTIFIED, 8),
    (S.DECISION_TO_ASSESS_DUE, 20),
    (S.ASSESSMENT_AGREED, 38),
    (S.ADVICE_REQUESTED, 40),
    (S.ADVICE_DUE, 41),
    (S.ASSESSMENT_COMPLETE, 80),
    (S.DECISION_TO_ISSUE_DUE, 85),
    (S.DRAFT_ISSUED, 100),
    (S.REPRESENTATIONS_OPEN, 101),
    (S.SETTING_CONSULTATION, 116),
    (S.FINAL_ISSUED, 135),
]


# --- the tables ---------------------------------------------------------------------------------


def test_every_forward_move_goes_later_skipping_only_optional_stages() -> None:
    order = [s.code for s in STAGES]
    for source, targets in FORWARD_MOVES.items():
        for target in targets:
            # Between the two in table order: stages skipped, besides terminal outcomes and the
            # other branches of the same decision.
            between = order[order.index(source) + 1 : order.index(target)]
            branches = set(targets) - {target}
            skipped = [s for s in between if not STAGE_BY_CODE[s].terminal and s not in branches]
            assert order.index(target) > order.index(source), (source, target)
            assert set(skipped) <= OPTIONAL_STAGES, (source, target, skipped)


def test_terminal_stages_accept_no_move_and_withdrawal_is_open_to_every_open_stage() -> None:
    terminal = {s.code for s in STAGES if s.terminal}
    assert terminal == {S.REFUSED_TO_ASSESS, S.NOT_ISSUING, S.WITHDRAWN, S.FINAL_ISSUED}
    for stage in STAGES:
        if stage.terminal:
            assert allowed_moves(stage.code) == ()
        else:
            assert S.WITHDRAWN in allowed_moves(stage.code)
            assert FORWARD_MOVES[stage.code], stage.code


def test_stage_names_and_old_values_are_read_as_codes() -> None:
    assert stage_code(REQUEST_RECEIVED) is S.REQUEST_RECEIVED
    assert stage_code("request_received") is S.REQUEST_RECEIVED
    assert stage_code("Final plan issued") is S.FINAL_ISSUED
    assert stage_code("no such stage") is None


def test_statutory_milestones_and_email_rows_are_as_before() -> None:
    assert [(m.label, m.due) for m in statutory_milestones(DAY0)] == [
        ("Request received", DAY0),
        ("Decision whether to carry out an assessment", date(2026, 2, 16)),
        ("Decision if a plan is not to be issued", date(2026, 4, 27)),
        ("Final EHC plan issued", date(2026, 5, 25)),
    ]
    assert timeline_rows(DAY0)[0] == {"label": "Request received", "when": "05/01/2026"}
    assert timeline_rows(DAY0)[3] == {"label": "Final EHC plan issued", "when": "by 25/05/2026"}


# --- the clock, from plain facts ----------------------------------------------------------------


@dataclass
class Fact:
    kind: str
    stage: str | None
    occurred_on: date
    detail: dict[str, Any]
    actor: str = "caseworker@council.example.gov.uk"


def stage_facts(*moves: tuple[StageCode, int]) -> list[Fact]:
    return [Fact("stage", S.REQUEST_RECEIVED, DAY0, {})] + [
        Fact("stage", code, DAY0 + timedelta(days=days), {}) for code, days in moves
    ]


def exception_fact(ground: str, start: int, end: int | None) -> Fact:
    detail = {
        "ground": ground,
        "start": (DAY0 + timedelta(days=start)).isoformat(),
        "end": (DAY0 + timedelta(days=end)).isoformat() if end is not None else None,
    }
    return Fact("exception", S.DECISION_TO_ASSESS_DUE, DAY0 + timedelta(days=start), detail)


def test_the_next_statutory_date_counts_days_left_then_days_overdue() -> None:
    facts = stage_facts((S.DECISION_TO_ASSESS_DUE, 10))
    before = case_clock(DAY0, facts, DAY0 + timedelta(days=40))
    assert (before.next_due, before.days_left, before.days_overdue) == (date(2026, 2, 16), 2, None)
    on_the_day = case_clock(DAY0, facts, date(2026, 2, 16))
    assert (on_the_day.days_left, on_the_day.days_overdue) == (0, None)
    after = case_clock(DAY0, facts, DAY0 + timedelta(days=45))
    assert (after.days_left, after.days_overdue) == (None, 3)
    assert after.milestones[0].state == "overdue"
    assert after.on_time_including_exceptions is None  # nothing finished yet


def test_a_late_decision_covered_by_an_exception_is_on_time_only_excluding_exceptions() -> None:
    late = (S.DECISION_TO_ASSESS_DUE, 10), (S.ASSESSMENT_AGREED, 49)
    plain = case_clock(DAY0, stage_facts(*late), DAY0 + timedelta(days=50))
    assert plain.milestones[0].on_time_including_exceptions is False
    assert plain.milestones[0].on_time_excluding_exceptions is False

    facts = [*stage_facts(*late), exception_fact("ABSENT_FROM_AREA", 14, 44)]
    excused = case_clock(DAY0, facts, DAY0 + timedelta(days=50))
    first = excused.milestones[0]
    assert (first.met_on, first.state) == (DAY0 + timedelta(days=49), "met")
    assert first.on_time_including_exceptions is False
    assert first.on_time_excluding_exceptions is True
    assert first.excused_by == ("ABSENT_FROM_AREA",)
    assert (excused.on_time_including_exceptions, excused.on_time_excluding_exceptions) == (
        False,
        True,
    )
    # The clock did not stop: the next limit is still 16 weeks from day 0.
    assert excused.next_due == DAY0 + timedelta(weeks=16)


def test_an_exception_after_the_milestone_was_met_excuses_nothing() -> None:
    facts = [
        *stage_facts((S.DECISION_TO_ASSESS_DUE, 10), (S.ASSESSMENT_AGREED, 49)),
        exception_fact("PERSONAL_CIRCUMSTANCES", 60, None),
    ]
    clock = case_clock(DAY0, facts, DAY0 + timedelta(days=70))
    assert clock.milestones[0].on_time_excluding_exceptions is False


# --- moves on a real database -------------------------------------------------------------------


def new_case(
    services: Services, *, stage: str = S.REQUEST_RECEIVED, requester: str = REQUESTER
) -> str:
    """A case as the pipeline records it: the requester, the child and the first stage event."""
    with services.db.session() as session:
        senco = session.scalar(select(Professional).where(Professional.email == requester))
        if senco is None:
            senco = Professional(
                email=requester,
                name="Jane Senco",
                role="SENCO",
                organisation_name="Hillside Primary",
                is_active=True,
            )
            session.add(senco)
        child = Child(forename="Gruffydd", surname="Nowak-Pryce", date_of_birth=date(2017, 3, 14))
        session.add(child)
        session.flush()
        number = session.scalar(select(func.count()).select_from(Case)) + 1
        case = Case(
            reference=f"EHC-2026-{number:06d}",
            child_id=child.id,
            requested_by_id=senco.id,
            request_token=f"token-{number}",
            stage=stage,
            day0=DAY0,
        )
        session.add(case)
        session.flush()
        session.add(
            TimelineEvent(
                case_id=case.id,
                kind=TimelineKind.STAGE,
                stage=stage,
                occurred_on=DAY0,
                actor=requester,
            )
        )
        return case.reference


def add_advice_giver(
    services: Services,
    reference: str,
    email: str,
    status: AdviceStatus = AdviceStatus.OPEN,
) -> None:
    with services.db.session() as session:
        case = session.scalar(select(Case).where(Case.reference == reference))
        person = session.scalar(select(Professional).where(Professional.email == email))
        if person is None:
            person = Professional(
                email=email, name="An Adviser", role="Educational psychologist",
                organisation_name="EP service", is_active=True,
            )  # fmt: skip
            session.add(person)
            session.flush()
        count = session.scalar(select(func.count()).select_from(AdviceRequest)) + 1
        session.add(
            AdviceRequest(
                reference=f"ADV-2026-{count:06d}",
                case_id=case.id,
                professional_id=person.id,
                advice_type="psychological",
                sent_on=DAY0 + timedelta(days=40),
                due_on=DAY0 + timedelta(days=82),
                status=status,
            )
        )


def move(services: Services, reference: str, stage: str, days: int, **kw: Any):
    """Move on day0 + `days`, with today that same day: the clock is ours."""
    on = DAY0 + timedelta(days=days)
    with services.db.session() as session:
        case = session.scalar(select(Case).where(Case.reference == reference))
        return move_case(
            services, session, case, stage, actor="cw@council.example.gov.uk", on=on,
            today=kw.pop("today", on), **kw,
        )  # fmt: skip


def stored(services: Services, reference: str) -> tuple[str, list[TimelineEvent]]:
    with services.db.session() as session:
        case = session.scalar(select(Case).where(Case.reference == reference))
        events = case_events(session, case)
        session.expunge_all()
        return case.stage, events


def outbox_count(services: Services) -> int:
    with services.db.session() as session:
        return session.scalar(select(func.count()).select_from(OutboxMessage))


def test_walk_a_case_through_every_stage_on_time(services: Services) -> None:
    # The case was recorded before stage codes: its stage is the old display name.
    reference = new_case(services, stage=REQUEST_RECEIVED)
    for code, days in WALK:
        done = move(services, reference, code, days)
        assert done.done, done.reason
        assert (done.to_stage, done.notified) == (code.value, (REQUESTER,))
        assert stored(services, reference)[0] == code.value

    stage, events = stored(services, reference)
    assert stage == S.FINAL_ISSUED
    moves = [(e.detail["from"], e.detail["to"], e.occurred_on, e.actor) for e in events[1:]]
    previous = [S.REQUEST_RECEIVED.value] + [c.value for c, _ in WALK[:-1]]
    assert moves == [
        (before, code.value, DAY0 + timedelta(days=days), "cw@council.example.gov.uk")
        for before, (code, days) in zip(previous, WALK, strict=True)
    ]
    assert replay(events) == S.FINAL_ISSUED

    clock = case_clock(DAY0, events, DAY0 + timedelta(days=200))
    assert [(m.code, m.met_on, m.on_time_including_exceptions) for m in clock.milestones] == [
        ("decision-to-assess", DAY0 + timedelta(days=38), True),
        ("decision-to-issue", DAY0 + timedelta(days=100), True),
        ("final-plan", DAY0 + timedelta(days=135), True),
    ]
    assert clock.closed and clock.next_due is None
    assert (clock.on_time_including_exceptions, clock.on_time_excluding_exceptions) == (True, True)
    assert outbox_count(services) == len(WALK)


@pytest.mark.parametrize(
    ("path", "outcome", "met"),
    [
        ([(S.DECISION_TO_ASSESS_DUE, 20)], (S.REFUSED_TO_ASSESS, 40), ["met", "n/a", "n/a"]),
        (WALK[2:8], (S.NOT_ISSUING, 110), ["met", "met", "n/a"]),
        (WALK[2:5], (S.WITHDRAWN, 60), ["met", "n/a", "n/a"]),
    ],
    ids=["refused-to-assess", "not-issuing", "withdrawn"],
)
def test_each_terminal_outcome_closes_the_case(
    services: Services, path: list, outcome: tuple[StageCode, int], met: list[str]
) -> None:
    reference = new_case(services)
    for code, days in [*path, outcome]:
        assert move(services, reference, code, days).done
    stage, events = stored(services, reference)
    assert stage == outcome[0] and replay(events) == outcome[0]
    clock = case_clock(DAY0, events, DAY0 + timedelta(days=300))
    states = [m.state.replace("not-applicable", "n/a") for m in clock.milestones]
    assert states == met
    assert clock.closed and clock.next_due is None and clock.days_overdue is None

    again = move(services, reference, S.WITHDRAWN, outcome[1] + 1)
    assert not again.done and again.refusal.code == "case-closed"
    assert "is closed" in again.reason


def test_withdrawn_is_allowed_from_the_first_stage(services: Services) -> None:
    reference = new_case(services)
    assert move(services, reference, "withdrawn", 2).done
    assert stored(services, reference)[0] == S.WITHDRAWN


@pytest.mark.parametrize(
    ("stage", "days", "code", "words"),
    [
        (S.ASSESSMENT_AGREED, 10, "move-not-allowed", "cannot move from Request received"),
        ("PANEL_LUNCH", 10, "unknown-stage", "is not a stage"),
        (S.REQUEST_RECEIVED, 10, "move-not-allowed", "REQUEST_ACKNOWLEDGED, PARTIES_NOTIFIED"),
        (S.REQUEST_ACKNOWLEDGED, -1, "dated-before-current-stage", "reached Request received"),
    ],
)
def test_a_refused_move_changes_nothing_and_says_why(
    services: Services, stage: str, days: int, code: str, words: str
) -> None:
    reference = new_case(services)
    refused = move(services, reference, stage, days)
    assert not refused.done and refused.event_id is None
    assert refused.refusal.code == code
    assert words in refused.reason and "\n" not in refused.reason
    stage_now, events = stored(services, reference)
    assert (stage_now, len(events), outbox_count(services)) == (S.REQUEST_RECEIVED, 1, 0)


def test_a_move_dated_after_today_is_refused(services: Services) -> None:
    reference = new_case(services)
    refused = move(services, reference, S.REQUEST_ACKNOWLEDGED, 5, today=DAY0 + timedelta(days=4))
    assert refused.refusal.code == "dated-in-future"


def test_an_exception_is_an_annotation_that_feeds_only_the_excluding_figure(
    services: Services,
) -> None:
    reference = new_case(services)
    assert move(services, reference, S.DECISION_TO_ASSESS_DUE, 10).done
    with services.db.session() as session:
        case = session.scalar(select(Case).where(Case.reference == reference))
        recorded = record_exception(
            services, session, case, ground="personal_circumstances",
            start=DAY0 + timedelta(days=20), end=DAY0 + timedelta(days=50),
            family_informed_on=DAY0 + timedelta(days=21), note="family bereavement",
            actor="cw@council.example.gov.uk", on=DAY0 + timedelta(days=21),
        )  # fmt: skip
        assert recorded.done, recorded.reason
    assert move(services, reference, S.ASSESSMENT_AGREED, 52).done

    stage, events = stored(services, reference)
    assert stage == S.ASSESSMENT_AGREED and replay(events) == S.ASSESSMENT_AGREED
    [exception] = [e for e in events if e.kind == TimelineKind.EXCEPTION]
    assert exception.detail["ground"] == "PERSONAL_CIRCUMSTANCES"
    assert exception.stage == S.DECISION_TO_ASSESS_DUE

    document = case_document(services, reference, today=DAY0 + timedelta(days=60), viewer=VIEWER)
    received, first = document["milestones"][:2]
    assert (received["label"], received["met_on"]) == ("Request received", "2026-01-05")
    assert (first["met_on"], first["state"]) == ("2026-02-26", "met")
    assert (first["on_time_including_exceptions"], first["on_time_excluding_exceptions"]) == (
        False,
        True,
    )
    assert document["exceptions"][0]["family_informed_on"] == "2026-01-26"
    assert document["on_time_excluding_exceptions"] is True
    assert document["on_time_including_exceptions"] is False
    # The clock never stopped: 16 weeks from day 0, whatever the exception.
    assert (document["next_due"], document["days_left"]) == ("2026-04-27", 52)


@pytest.mark.parametrize(
    ("ground", "start", "end", "code"),
    [
        ("HOLIDAY", 5, None, "unknown-ground"),
        ("ABSENT_FROM_AREA", 30, 20, "ends-before-start"),
        ("ABSENT_FROM_AREA", -3, None, "starts-before-day0"),
    ],
)
def test_an_exception_that_makes_no_sense_is_refused(
    services: Services, ground: str, start: int, end: int | None, code: str
) -> None:
    reference = new_case(services)
    with services.db.session() as session:
        case = session.scalar(select(Case).where(Case.reference == reference))
        refused = record_exception(
            services, session, case, ground=ground, start=DAY0 + timedelta(days=start),
            end=DAY0 + timedelta(days=end) if end is not None else None,
            actor="cw@council.example.gov.uk", on=DAY0 + timedelta(days=40),
        )  # fmt: skip
    assert refused.refusal.code == code and refused.event_id is None
    assert len(stored(services, reference)[1]) == 1


def test_replay_refuses_a_history_the_timeline_does_not_allow() -> None:
    assert replay(stage_facts(*WALK[:4])) == S.ASSESSMENT_AGREED
    assert replay([]) is None
    with pytest.raises(HistoryBroken, match="from REQUEST_RECEIVED to ASSESSMENT_AGREED"):
        replay(stage_facts((S.ASSESSMENT_AGREED, 30)))
    with pytest.raises(HistoryBroken, match="starts at"):
        replay([Fact("stage", S.ADVICE_DUE, DAY0, {})])


def test_case_show_document_lists_clock_timeline_and_advice(services: Services) -> None:
    reference = new_case(services)
    add_advice_giver(services, reference, "ep@ep.example.org")
    for code, days in WALK[:3]:
        assert move(services, reference, code, days).done
    document = case_document(services, reference, today=DAY0 + timedelta(days=30), viewer=VIEWER)
    assert document["stage"] == "DECISION_TO_ASSESS_DUE"
    assert document["stage_name"] == "Decision whether to assess"
    assert document["allowed_moves"] == ["ASSESSMENT_AGREED", "REFUSED_TO_ASSESS", "WITHDRAWN"]
    assert (document["next_milestone"], document["days_left"]) == ("decision-to-assess", 12)
    assert [e["stage"] for e in document["timeline"]] == [
        "REQUEST_RECEIVED",
        "REQUEST_ACKNOWLEDGED",
        "PARTIES_NOTIFIED",
        "DECISION_TO_ASSESS_DUE",
    ]
    assert document["timeline"][1]["detail"] == {
        "from": "REQUEST_RECEIVED",
        "to": "REQUEST_ACKNOWLEDGED",
    }
    [advice] = document["advice_requests"]
    assert (advice["professional"], advice["due_on"], advice["days_left"]) == (
        "ep@ep.example.org",
        "2026-03-28",
        52,
    )
    overdue = case_document(services, reference, today=DAY0 + timedelta(days=50), viewer=VIEWER)
    assert (overdue["days_left"], overdue["days_overdue"]) == (None, 8)
    assert case_document(services, "EHC-2026-999999", viewer=VIEWER) is None


# --- the commands, as a caseworker runs them ----------------------------------------------------


def test_case_stage_and_exception_commands(tmp_path, pdf_sandbox) -> None:
    services = initialised_home(tmp_path, pdf_sandbox)
    try:
        reference = new_case(services)
    finally:
        services.close()

    good = run(
        tmp_path, "case", "stage", reference, "request_acknowledged",
        "--on", "2026-01-08", "--actor", "cw@council.example.gov.uk",
    )  # fmt: skip
    assert good.returncode == 0, good.stderr
    assert good.stdout.strip() == (
        f"{reference}: Request received -> Acknowledged on 2026-01-08; progress email queued for 1"
    )

    refused = run(tmp_path, "case", "stage", reference, "FINAL_ISSUED", "--on", "2026-01-09")
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [
        f"intake: case {reference} cannot move from Acknowledged to Final plan issued; "
        "it can move to: PARTIES_NOTIFIED, DECISION_TO_ASSESS_DUE, WITHDRAWN"
    ]
    unknown = run(tmp_path, "case", "stage", "EHC-2026-999999", "WITHDRAWN")
    assert (unknown.returncode, unknown.stderr.strip()) == (1, "intake: no case EHC-2026-999999")

    noted = run(
        tmp_path, "case", "exception", reference, "--ground", "SCHOOL_CLOSURE",
        "--start", "2026-01-10", "--end", "2026-02-10", "--family-informed-on", "2026-01-12",
        "--note", "head teacher asked during the closure window", "--json",
    )  # fmt: skip
    assert noted.returncode == 0, noted.stderr
    assert json.loads(noted.stdout)["ground"] == "SCHOOL_CLOSURE"
    bad_ground = run(
        tmp_path, "case", "exception", reference, "--ground", "HOLIDAY", "--start", "2026-01-10"
    )
    assert bad_ground.returncode == 2 and "invalid choice: 'HOLIDAY'" in bad_ground.stderr

    shown = run(tmp_path, "case", "show", reference, "--json")
    assert shown.returncode == 0, shown.stderr
    document = json.loads(shown.stdout)
    assert document["stage"] == "REQUEST_ACKNOWLEDGED"
    assert [(e["kind"], e["stage"], e["actor"]) for e in document["timeline"]] == [
        ("stage", "REQUEST_RECEIVED", REQUESTER),
        ("stage", "REQUEST_ACKNOWLEDGED", "cw@council.example.gov.uk"),
        ("exception", "REQUEST_ACKNOWLEDGED", "cli:" + getpass.getuser()),
    ]
    assert document["exceptions"][0]["end"] == "2026-02-10"
    outbox = run(tmp_path, "outbox", "--json")
    assert [json.loads(line)["kind"] for line in outbox.stdout.splitlines()] == ["progress"]


def test_every_stage_says_what_is_happening_in_the_templates() -> None:
    from intake.cases.timeline import StageCode, stage_texts

    assert set(stage_texts()) == {code.value for code in StageCode}
    assert all(text.endswith(".") and len(text) > 20 for text in stage_texts().values())
