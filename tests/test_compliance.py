"""Compliance with the time limits, counted in SQL on both databases: the monthly shares on
/compliance and the SEN2 CSV agree with each case's own clock (`case_document`), and only
caseworkers may see them."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from casework import signed_in_caseworker
from sqlalchemy import select
from test_timeline import DAY0, move, new_case
from web_client import served

from intake.cases.stages import record_exception
from intake.views.case import case_document
from intake.views.compliance import case_returns, monthly_figures
from store import Case

TO_DECISION = ("DECISION_TO_ASSESS_DUE",)
TO_FINAL = (
    "ADVICE_REQUESTED", "ADVICE_DUE", "DECISION_TO_ISSUE_DUE", "DRAFT_ISSUED",
    "REPRESENTATIONS_OPEN",
)  # fmt: skip


def walk(services, reference: str, decision: str, decided_day: int, final_day: int | None):
    move(services, reference, "DECISION_TO_ASSESS_DUE", decided_day - 1)
    move(services, reference, decision, decided_day)
    if final_day is None:
        return
    for n, stage in enumerate(TO_FINAL):
        assert move(services, reference, stage, decided_day + 1 + n).done
    assert move(services, reference, "FINAL_ISSUED", final_day).done


def excuse(services, reference: str, start_day: int) -> None:
    with services.db.session() as session:
        case = session.scalar(select(Case).where(Case.reference == reference))
        recorded = record_exception(
            services, session, case, ground="PERSONAL_CIRCUMSTANCES",
            start=DAY0 + timedelta(days=start_day), actor="cw@council.example.gov.uk",
            on=DAY0 + timedelta(days=start_day),
        )  # fmt: skip
        assert recorded.done


@pytest.fixture
def cases(services) -> dict[str, str]:
    return five_cases(services)


def five_cases(services) -> dict[str, str]:
    """Day 0 is 5 January 2026: 6 weeks is day 42, 20 weeks day 140."""
    made = {name: new_case(services) for name in ("prompt", "late", "excused", "open", "refused")}
    walk(services, made["prompt"], "ASSESSMENT_AGREED", 30, 130)  # both on time
    walk(services, made["late"], "ASSESSMENT_AGREED", 45, 150)  # both late, no exception
    excuse(services, made["excused"], 20)
    walk(services, made["excused"], "ASSESSMENT_AGREED", 50, 160)  # late, excused
    walk(services, made["refused"], "REFUSED_TO_ASSESS", 41, None)  # on time, closed
    return made


def test_the_sen2_rows_agree_with_each_cases_clock(services, cases) -> None:
    with services.db.session() as session:
        rows = {row.reference: row for row in case_returns(session)}
    assert set(rows) == set(cases.values())
    for reference, row in rows.items():
        document = case_document(
            services, reference, today=DAY0 + timedelta(days=200), viewer="test"
        )
        limits = {m["code"]: m for m in document["milestones"]}
        for limit, on, on_time, excused in (
            ("decision-to-assess", row.decision_on, row.decision_on_time, row.decision_excused),
            ("final-plan", row.final_plan_on, row.final_plan_on_time, row.final_plan_excused),
        ):
            clock = limits[limit]
            assert (on.isoformat() if on else None) == clock["met_on"], (reference, limit)
            assert on_time == clock["on_time_including_exceptions"], (reference, limit)
            if on_time is False:
                assert excused == clock["on_time_excluding_exceptions"], (reference, limit)
            else:
                assert excused is None
    assert rows[cases["refused"]].decision == "not-assess"
    assert rows[cases["prompt"]].decision == "assess"
    assert rows[cases["open"]].decision is None
    assert rows[cases["excused"]].exceptions == 1


def test_the_months_count_decisions_and_final_plans_on_time_and_excused(services, cases) -> None:
    with services.db.session() as session:
        months = {m.month: m for m in monthly_figures(session)}
    # Decisions: days 30, 41, 45 and 50 are all in February 2026; plans on days 130 (May),
    # 150 and 160 (June).
    assert sorted(months) == ["2026-02", "2026-05", "2026-06"]
    february = months["2026-02"]
    assert (
        february.decisions, february.decisions_on_time, february.decisions_on_time_or_excused
    ) == (4, 2, 3)  # fmt: skip
    assert (months["2026-05"].final_plans, months["2026-05"].final_plans_on_time) == (1, 1)
    june = months["2026-06"]
    assert (june.final_plans, june.final_plans_on_time, june.final_plans_on_time_or_excused) == (
        2, 0, 1,
    )  # fmt: skip


def test_the_compliance_page_and_csv_for_caseworkers(services, cases) -> None:
    with served(services) as site:
        caseworker = signed_in_caseworker(site, services)
        try:
            page = caseworker.get("/compliance")
            export = caseworker.get("/compliance.csv")
        finally:
            caseworker.close()
    assert page.status_code == 200
    february = page.text.split(">2026-02</th>", 1)[1].split("</tr>", 1)[0]
    assert [cell.split(">")[-1] for cell in february.split("</td>")[:3]] == [
        "4", "50% (2)", "75% (3)",
    ]  # fmt: skip
    assert export.headers["content-type"] == "text/csv; charset=utf-8"
    assert export.headers["content-disposition"] == 'attachment; filename="sen2-cases.csv"'
    rows = list(csv.DictReader(io.StringIO(export.text)))
    late = next(r for r in rows if r["case_reference"] == cases["excused"])
    assert late == {
        "case_reference": cases["excused"],
        "request_received": "2026-01-05",
        "decision_to_assess_on": "2026-02-24",
        "decision_to_assess": "assess",
        "decision_within_6_weeks": "no",
        "decision_late_excused_by_exception": "yes",
        "final_plan_issued_on": "2026-06-14",
        "final_plan_within_20_weeks": "no",
        "final_plan_late_excused_by_exception": "yes",
        "exceptions_recorded": "1",
    }
    assert len(rows) == 5
