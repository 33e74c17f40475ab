"""The queue's lists, as `intake queue` and the web read them (intake.views.queue_lists): the
deadlines at risk follow the deadline watch's rule exactly, each list is newest first and counts
what it lists, and the text search narrows by reference or by sender. Both databases."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from intake.cases.accounts import add_professional
from intake.cases.advice_requests import request_advice
from intake.cases.timeline import CLOSED_STAGE_VALUES, StageCode
from intake.reminders.deadlines import milestone_at_risk
from intake.views.queue_lists import LIST_BY_NAME, QUEUE_LISTS, queue_page, queue_rows
from store import Case, Child, OutboxMessage, OutboxStatus, Professional, utcnow

REQUESTER = "h.michalowska@glanwy.sch.uk"
ADVISER = "ep@eps.example.gov.uk"


def requester(services) -> Professional:
    return add_professional(
        services,
        email=REQUESTER,
        name="Hélène Michałowska",
        role="SENCO",
        organisation="Glan Ŵy Primary School",
        activate=True,
    )


def insert_cases(services, specs: list[tuple[str, date]], *, by: Professional) -> list[str]:
    """One case per (stage, day 0), references in order."""
    references = []
    with services.db.session() as session:
        for number, (stage, day0) in enumerate(specs, start=1):
            child = Child(
                forename=f"Child{number}", surname="Test", date_of_birth=date(2016, 5, 14)
            )
            session.add(child)
            session.flush()
            reference = f"EHC-2025-{number:06d}"
            session.add(
                Case(
                    reference=reference, child_id=child.id, requested_by_id=by.id,
                    request_token=f"token-{number}", stage=stage, day0=day0,
                )
            )  # fmt: skip
            references.append(reference)
    return references


def test_the_deadlines_at_risk_are_those_the_deadline_watch_warns_of(services) -> None:
    today = services.today()
    stages = [s.value for s in StageCode] + ["Request received", "a stage we do not know"]
    offsets = (0, 20, 34, 35, 36, 41, 43, 100, 104, 105, 106, 133, 134, 140, 200)
    specs = [(stage, today - timedelta(days=days)) for stage in stages for days in offsets]
    references = insert_cases(services, specs, by=requester(services))

    rows = queue_rows(services, None)
    at_risk = {
        row["id"]: (row["milestone"], row["due"]) for row in rows if row["type"] == "deadline"
    }

    labels = {"Decision whether to carry out an assessment": "decision-to-assess"}
    labels |= {"Decision if a plan is not to be issued": "decision-to-issue"}
    labels |= {"Final EHC plan issued": "final-plan"}
    expected = {}
    for reference, (stage, day0) in zip(references, specs, strict=True):
        found = None if stage in CLOSED_STAGE_VALUES else milestone_at_risk(day0, stage, today)
        if found is not None:
            expected[reference] = (labels[found[0]], found[1].isoformat())
    assert at_risk == expected
    assert len(expected) > 20  # the grid reaches every milestone
    page = queue_page(services, "deadlines-at-risk")
    assert page.counts["deadlines-at-risk"] == len(expected)
    assert [r["id"] for r in page.rows] == sorted(
        expected, key=lambda ref: (specs[references.index(ref)][1], ref), reverse=True
    )[:50]


def test_every_list_counts_what_it_lists_and_the_search_narrows_it(services) -> None:
    senco = requester(services)
    today = services.today()
    new, late = insert_cases(
        services,
        [("REQUEST_RECEIVED", today), ("ADVICE_REQUESTED", today - timedelta(days=110))],
        by=senco,
    )
    add_professional(
        services, email=ADVISER, name="Dr Ep", role="Educational psychologist",
        organisation="EPS", activate=True,
    )  # fmt: skip
    with services.db.session() as session:
        case = session.scalar(select(Case).where(Case.reference == late))
        adviser = session.scalar(select(Professional).where(Professional.email == ADVISER))
        advice = request_advice(
            services, session, case, adviser, "psychological",
            today=today - timedelta(days=50), actor="cw@council.example.gov.uk",
        ).reference  # fmt: skip
        session.add(
            OutboxMessage(
                kind="confirmation", to_address="bounced@school.example", subject="x",
                message_id="<x@intake>", raw=b"x", status=OutboxStatus.FAILED,
                last_error="550 no such user", created_at=utcnow(), case_id=case.id,
            )
        )  # fmt: skip

    whole = {name: LIST_BY_NAME[name] for name in LIST_BY_NAME}
    assert list(whole) == [q.name for q in QUEUE_LISTS]
    page = queue_page(services, "new-requests")
    for name, count in page.counts.items():
        assert count == len(queue_page(services, name).rows), name
    assert [r["id"] for r in queue_page(services, "new-requests").rows] == [new]
    assert [r["id"] for r in queue_page(services, "overdue-advice").rows] == [advice]
    assert [r["id"] for r in queue_page(services, "deadlines-at-risk").rows] == [late]
    [unsent] = queue_page(services, "mail-not-sent").rows
    assert (unsent["type"], unsent["reference"]) == ("undelivered-mail", late)

    by_case = queue_page(services, "overdue-advice", search=late.lower())
    assert [r["id"] for r in by_case.rows] == [advice]
    assert queue_page(services, "overdue-advice", search="EHC-2025-999999").rows == []
    assert [r["id"] for r in queue_page(services, "overdue-advice", search="EP@EPS").rows] == [
        advice
    ]
    assert queue_page(services, "new-requests", search="nobody@").counts["new-requests"] == 0
    assert [r["id"] for r in queue_page(services, "mail-not-sent", search="bounced").rows] == [
        unsent["id"]
    ]
    # `intake queue` without --status prints every list but the messages' own, whole.
    kinds = {row["type"] for row in queue_rows(services, None)}
    assert kinds == {"case", "advice", "deadline", "undelivered-mail"}


def test_a_page_of_several_statuses_is_the_page_of_their_merged_list(services) -> None:
    from datetime import timedelta as seconds_apart

    from intake.views.queue import Asked
    from store import InboundMessage, InboundStatus, Transport

    mixed = [InboundStatus.QUARANTINED, InboundStatus.FAILED, InboundStatus.PARKED] * 40
    start = utcnow() - seconds_apart(hours=1)
    with services.db.session() as session:
        session.add_all(
            InboundMessage(
                received_at=start + seconds_apart(seconds=n % 37),  # ties, broken by id
                transport=Transport.FILE,
                message_key=f"<m{n}@x>",
                raw_sha256="0" * 64,
                size=1,
                status=status,
                reasons=[],
                decisions=[],
            )  # fmt: skip
            for n, status in enumerate(mixed)
        )
    needs = LIST_BY_NAME["needs-a-person"]
    assert needs.paged is not None
    asked = Asked(services.today(), services.now())
    with services.db.session() as session:
        whole = [row["id"] for row in needs.fetch(session, asked)]
        paged = [
            row["id"] for offset in (0, 50, 100) for row in needs.fetch(session, asked, 50, offset)
        ]
        assert paged == whole and len(whole) == 120
        assert needs.count(session, asked) == 120
        assert needs.count(session, asked, up_to=100) == 101  # "more than 100"
    page = queue_page(services, "needs-a-person", page=3)
    assert [row["id"] for row in page.rows] == whole[100:]
    assert (page.page, page.pages) == (3, 3)
    assert queue_page(services, "needs-a-person", page=99).page == 3
