"""Compliance with the statutory time limits, for caseworkers: by month, the share of decisions
whether to assess made within 6 weeks and of final plans issued within 20 weeks, on time and on
time or excused by an exception; and a CSV of every case's dates and outcomes for the SEN2 return.
The counting is the database's (`intake.views.compliance`)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from intake.views.compliance import MonthFigures, case_returns, monthly_figures
from portal.casework.caseworkers import Caseworker
from portal.identity import services_of
from portal.pages import render

CSV_COLUMNS = (
    "case_reference",
    "request_received",
    "decision_to_assess_on",
    "decision_to_assess",
    "decision_within_6_weeks",
    "decision_late_excused_by_exception",
    "final_plan_issued_on",
    "final_plan_within_20_weeks",
    "final_plan_late_excused_by_exception",
    "exceptions_recorded",
)


def show_compliance(request: Request, caseworker: Caseworker) -> Response:
    with services_of(request).db.session() as session:
        months = monthly_figures(session)
    return render(request, "compliance.html", months=months, share=MonthFigures.share)


def yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def csv_lines(request: Request) -> Iterator[str]:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    with services_of(request).db.session() as session:
        for n, row in enumerate(case_returns(session), 1):
            writer.writerow(
                (
                    row.reference,
                    row.request_received.isoformat(),
                    row.decision_on.isoformat() if row.decision_on else "",
                    row.decision or "",
                    yes_no(row.decision_on_time),
                    yes_no(row.decision_excused),
                    row.final_plan_on.isoformat() if row.final_plan_on else "",
                    yes_no(row.final_plan_on_time),
                    yes_no(row.final_plan_excused),
                    row.exceptions,
                )
            )
            if n % 1000 == 0:
                yield out.getvalue()
                out.seek(0)
                out.truncate()
    yield out.getvalue()


def export_compliance_csv(request: Request, caseworker: Caseworker) -> Response:
    return StreamingResponse(
        csv_lines(request),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="sen2-cases.csv"',
            "Cache-Control": "no-store",
        },
    )


# (method, path, endpoint), for caseworkers only: portal.app adds them to its table.
ROUTES = (
    ("GET", "/compliance", show_compliance),
    ("GET", "/compliance.csv", export_compliance_csv),
)
