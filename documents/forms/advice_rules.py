"""The conditional and cross-field rules of the advice form, as a table.

Only what the form itself shows is judged here. Judged on ingest, against records or the email:
- `advice_request_ref` names an open advice request issued to this professional, and
  `advice_type` equals the type on that request;
- `work_email` equals the address the request went to, or one verified for the organisation;
- `date_request_received` is not before the day the service sent the request;
- the child's name and `date_of_birth` match the case;
- `late_reason` is required when the advice arrives after its due date;
- each `documents[n].file` matches an attachment on the same email (size, duplicates by hash,
  virus scan); a therapy put in plan section G, and a registration number of an unexpected
  format, are warnings only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from documents.forms.advice_parts import (
    DIAGNOSES,
    DOCUMENTS,
    MEDICAL_ADVICE,
    OUTCOME_REFS,
    OUTCOMES,
    PROVISION,
    SOCIAL_CARE_ADVICE,
)
from documents.forms.common import NEEDS_BOXES, is_year_9_or_above
from documents.rules import (
    at_least_one_answered,
    custom,
    date_not_before,
    equals,
    not_in_future,
    present,
    required_if,
    row_not_in_future,
    same_name,
)
from documents.schema import Answers, CheckContext, Rejection, Rule
from documents.validate import used_rows
from documents.validators import parse_date

_DATE_IN_TEXT = re.compile(
    r"[0-9]{1,2}\s*[/.\-]\s*[0-9]{1,2}\s*[/.\-]\s*[0-9]{4}|[0-9]{4}-[0-9]{2}-[0-9]{2}"
)

# "3 x 30 minutes per week", "twice a term", "one session weekly": a count and a period.
_COUNT = re.compile(
    r"\d|\b(once|twice|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\b", re.I
)
_PERIOD = re.compile(
    r"\b(per|a|an|each|every)\s+(school\s+)?(day|week|fortnight|month|half[- ]?term|term|year)\b"
    r"|\b(daily|weekly|fortnightly|monthly|half[- ]?termly|termly|yearly|annually)\b",
    re.I,
)


def _assessment_dates_given(answers: Answers, ctx: CheckContext) -> Iterable[Rejection]:
    text = answers.get("assessment_dates")
    if present(text) and not any(parse_date(m) for m in _DATE_IN_TEXT.findall(str(text))):
        yield Rejection("no-date-given", 3, "assessment_dates")


def _diagnosis_year_not_future(answers: Answers, ctx: CheckContext) -> Iterable[Rejection]:
    for row in range(1, DIAGNOSES.rows + 1):
        name = f"diagnoses[{row}].year_diagnosed"
        year = answers.get(name)
        if isinstance(year, int | float) and year > ctx.today.year:
            yield Rejection("year-in-future", 5, name, {"row": row, "maximum": ctx.today.year})


def _provision_outcome_exists(answers: Answers, ctx: CheckContext) -> Iterable[Rejection]:
    outcome_rows = set(used_rows(OUTCOMES, answers))
    for row in used_rows(PROVISION, answers):
        name = f"provision[{row}].outcome_ref"
        ref = answers.get(name)
        if ref in OUTCOME_REFS and OUTCOME_REFS.index(ref) + 1 not in outcome_rows:
            yield Rejection("outcome-not-given", 6, name, {"row": row, "outcome": ref})


def _provision_frequency(answers: Answers, ctx: CheckContext) -> Iterable[Rejection]:
    for row in used_rows(PROVISION, answers):
        name = f"provision[{row}].how_often"
        text = answers.get(name)
        if present(text) and not (_COUNT.search(str(text)) and _PERIOD.search(str(text))):
            yield Rejection("frequency-unclear", 6, name, {"row": row})


def _primary_report_listed(answers: Answers, ctx: CheckContext) -> Iterable[Rejection]:
    if answers.get("primary_report_attached") and not used_rows(DOCUMENTS, answers):
        yield Rejection(
            "required-because", 7, "documents[1].file", {"rule": "primary-report-listed"}
        )


def _year_9_or_above(answers: Answers, ctx: CheckContext) -> bool:
    return is_year_9_or_above(answers, ctx)


ADVICE_RULES: tuple[Rule, ...] = (
    # Step 2: child details
    not_in_future("date-of-birth-not-in-future", 2, "date_of_birth"),
    required_if(
        "nhs-number-for-medical",
        2,
        "nhs_number",
        equals("advice_type", MEDICAL_ADVICE),
        "nhs_number is required for medical advice",
    ),
    # Step 3: basis of the advice
    not_in_future("first-involved-not-in-future", 3, "first_involved"),
    custom(
        "assessment-dates-given",
        "assessment_dates holds at least one real date",
        3,
        _assessment_dates_given,
    ),
    required_if(
        "not-seen-reason-required",
        3,
        "not_seen_reason",
        equals("seen_in_person", "No"),
        "not_seen_reason is required if the child was not seen in person",
    ),
    # Step 5: needs
    at_least_one_answered(
        "needs-described",
        5,
        NEEDS_BOXES,
        "needs-not-described",
        "at least one needs box is filled in",
    ),
    required_if(
        "health-needs-for-medical",
        5,
        "health_needs",
        equals("advice_type", MEDICAL_ADVICE),
        "health_needs is required for medical advice",
    ),
    required_if(
        "social-care-needs-for-social-care",
        5,
        "social_care_needs",
        equals("advice_type", SOCIAL_CARE_ADVICE),
        "social_care_needs is required for social care advice",
    ),
    required_if(
        "social-care-status-for-social-care",
        5,
        "social_care_status",
        equals("advice_type", SOCIAL_CARE_ADVICE),
        "social_care_status is required for social care advice",
    ),
    custom(
        "diagnosis-year-not-future",
        "a diagnosis year is not after this year",
        5,
        _diagnosis_year_not_future,
    ),
    # Step 6: outcomes and provision
    custom(
        "provision-outcome-exists",
        "each provision row serves an outcome row that is filled in",
        6,
        _provision_outcome_exists,
    ),
    custom(
        "provision-frequency",
        "each provision row says how often: a number and a period",
        6,
        _provision_frequency,
    ),
    required_if(
        "pfa-advice-required",
        6,
        "preparing_for_adulthood",
        _year_9_or_above,
        "preparing_for_adulthood is required from Year 9",
    ),
    required_if(
        "pfa-areas-required", 6, "pfa_areas", _year_9_or_above, "pfa_areas is required from Year 9"
    ),
    # Step 7: documents
    row_not_in_future("document-date-not-in-future", 7, DOCUMENTS, "dated"),
    custom(
        "primary-report-listed",
        "a report said to be attached is listed as a document",
        7,
        _primary_report_listed,
    ),
    # Step 8: declaration
    same_name("signed-name-matches", 8, "signed_name", "author_name"),
    date_not_before("signed-after-request-received", 8, "signed_date", "date_request_received"),
    not_in_future("signed-date-not-in-future", 8, "signed_date"),
    required_if(
        "late-reason-detail-required",
        8,
        "late_reason_detail",
        equals("late_reason", "Other"),
        "late_reason_detail is required if late_reason is Other",
    ),
)
