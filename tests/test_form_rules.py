"""Every conditional and cross-field rule of the request and advice forms, on both sides.

Each case starts from the form's example answers, changes as little as it can to break one rule
and asserts the exact rejection (from the rule itself and from the whole validation); then it
changes as little as it can to stay on the other side and asserts the rule is silent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from documents.forms import FORMS
from documents.forms.advice_parts import MEDICAL_ADVICE, SOCIAL_CARE_ADVICE
from documents.forms.request_parts import REQUEST_BASIS
from documents.forms.request_rules import months_before
from documents.schema import CheckContext, FormDefinition
from documents.validate import Validation, validate

TODAY = date(2026, 3, 2)
TOMORROW = "2026-03-03"
TODAY_ISO = TODAY.isoformat()
LOOKED_AFTER = "Yes — looked after"
YOUNG_PERSON = {
    "yp_email": "gruff.np@example.org",
    "yp_phone": "+441164960789",
    "yp_agrees_to_request": "Yes",
    "yp_copy_parents": "No",
}
NO_PARENTAL_RESPONSIBILITY = {
    "contacts[1].has_parental_responsibility": "No",
    "contacts[2].has_parental_responsibility": "Not known",
}
NO_DOCUMENTS = {
    f"documents[{row}].{part}": None
    for row in (1, 2)
    for part in ("file", "type", "description", "dated")
}
HEALTH_NEEDS = "Needs daily medication at school and a care plan for seizures."
YEAR_9_DOB = "2012-08-31"  # 13 by 31 August 2025, so Year 9 in the school year of TODAY
YEAR_8_DOB = "2012-09-01"


@dataclass(frozen=True)
class Case:
    form: str
    rule: str
    breaks: dict[str, Any]
    expect: tuple[str, int, str]  # code, step, field
    holds: dict[str, Any]
    # Whether the "holds" answers validate with no rejection at all (not only from this rule).
    clean: bool = True
    today: date = TODAY
    label: str = ""

    @property
    def id(self) -> str:
        return f"{self.form}:{self.rule}{':' + self.label if self.label else ''}"


def _yp_without(name: str) -> dict[str, Any]:
    return {"date_of_birth": "2009-11-20", **YOUNG_PERSON, name: None}


R, A = "request", "advice"
# fmt: off
# One row per case; the table reads better unwrapped than as the formatter would lay it out.
CASES = [
    # Request, step 1
    Case(R, "referrer-name-characters",
         {"referrer_name": "H3l3ne M", "signed_name": "H3l3ne M"},
         ("name-characters", 1, "referrer_name"),
         {"referrer_name": "Siân O'Brien-Łukasz Jr.", "signed_name": "Siân O'Brien-Łukasz Jr."}),
    Case(R, "role-other-required", {"referrer_role": "Other"},
         ("required-because", 1, "referrer_role_other"),
         {"referrer_role": "Other", "referrer_role_other": "Inclusion lead"}),
    Case(R, "organisation-id-shape", {"organisation_id": "12-345"},
         ("organisation-id-invalid", 1, "organisation_id"), {"organisation_id": "rwe"}),
    Case(R, "request-basis-allowed", {"organisation_type": "NHS service"},
         ("request-basis-not-allowed", 1, "request_basis"),
         {"organisation_type": "NHS service", "request_basis": REQUEST_BASIS[1]}),
    Case(R, "request-basis-allowed", {"organisation_type": "LA social care/early help"},
         ("request-basis-not-allowed", 1, "request_basis"),
         {"organisation_type": "Alternative provision"}, label="pupil-referral-unit"),
    Case(R, "family-aware-reason-required", {"family_aware": "No"},
         ("required-because", 1, "family_aware_reason"),
         {"family_aware": "No", "family_aware_reason": "Mother is in hospital until next week."}),
    # Request, step 2
    Case(R, "date-of-birth-not-in-future", {"date_of_birth": TOMORROW},
         ("date-in-future", 2, "date_of_birth"), {"date_of_birth": TODAY_ISO}, clean=False),
    Case(R, "age-in-range", {"date_of_birth": "2000-11-20"},
         ("age-out-of-range", 2, "date_of_birth"),
         {"date_of_birth": "2000-11-21", **YOUNG_PERSON}),
    Case(R, "age-in-range", {"date_of_birth": "2025-11-21"},
         ("age-out-of-range", 2, "date_of_birth"), {"date_of_birth": "2025-11-20"},
         clean=False, label="born-after-signing"),
    Case(R, "responsible-la-required",
         {"looked_after": LOOKED_AFTER, "social_worker_contact": "Ffion Ŵen, 0116 496 0789"},
         ("required-because", 2, "responsible_la"),
         {"looked_after": LOOKED_AFTER, "social_worker_contact": "Ffion Ŵen, 0116 496 0789",
          "responsible_la": "Leicester City Council"}),
    Case(R, "social-worker-required", {"social_care_involvement": ["Child protection plan"]},
         ("required-because", 2, "social_worker_contact"),
         {"social_care_involvement": ["Child protection plan"],
          "social_worker_contact": "Ffion Ŵen, 0116 496 0789"}),
    Case(R, "social-worker-required",
         {"looked_after": LOOKED_AFTER, "responsible_la": "Leicester City Council"},
         ("required-because", 2, "social_worker_contact"),
         {"looked_after": "Previously looked after"}, label="looked-after"),
    Case(R, "upn-required-for-school", {"upn": None}, ("required-because", 2, "upn"),
         {"upn": None, "organisation_type": "Early years provider"}),
    # Request, step 3
    Case(R, "date-admitted-not-in-future", {"date_admitted": TOMORROW},
         ("date-in-future", 3, "date_admitted"), {"date_admitted": TODAY_ISO}),
    Case(R, "date-admitted-after-birth", {"date_admitted": "2016-05-13"},
         ("date-before", 3, "date_admitted"), {"date_admitted": "2016-05-14"}),
    Case(R, "year-group-required", {"year_group": None}, ("required-because", 3, "year_group"),
         {"year_group": None, "setting_type": "Elective home education"}),
    # Request, step 4
    Case(R, "need-type-inside-area", {"primary_need_type": "ASD"},
         ("need-type-outside-area", 4, "primary_need_type"), {"primary_need_type": "OTH"}),
    Case(R, "need-type-inside-area",
         {"primary_area_of_need": "Sensory and/or physical", "needs_sensory_physical": "Glasses."},
         ("need-type-outside-area", 4, "primary_need_type"),
         {"primary_area_of_need": "Sensory and/or physical", "needs_sensory_physical": "Glasses.",
          "primary_need_type": "VI"}, label="sensory"),
    Case(R, "secondary-need-differs", {"secondary_need_type": "SPLD"},
         ("same-as-primary", 4, "secondary_need_type"), {"secondary_need_type": None}),
    Case(R, "matching-needs-box-required", {"needs_cognition_learning": None},
         ("required-because", 4, "needs_cognition_learning"),
         {"needs_cognition_learning": None, "primary_area_of_need": "Communication and interaction",
          "primary_need_type": "SLCN", "secondary_need_type": None}),
    Case(R, "needs-described",
         {"needs_cognition_learning": "a" * 49, "needs_comm_interaction": None},
         ("needs-not-described", 4, "needs_comm_interaction"),
         {"needs_cognition_learning": "a" * 50, "needs_comm_interaction": None}),
    # Request, step 5
    Case(R, "sen-support-not-in-future", {"sen_support_since": TOMORROW},
         ("date-in-future", 5, "sen_support_since"), {"sen_support_since": TODAY_ISO}),
    Case(R, "sen-support-after-birth", {"sen_support_since": "2016-05-13"},
         ("date-before", 5, "sen_support_since"), {"sen_support_since": "2016-05-14"}),
    Case(R, "professional-contact-not-in-future",
         {"professionals_involved[2].last_contact": TOMORROW},
         ("date-in-future", 5, "professionals_involved[2].last_contact"),
         {"professionals_involved[2].last_contact": TODAY_ISO}),
    # Request, step 6
    Case(R, "document-date-not-in-future", {"documents[2].dated": TOMORROW},
         ("date-in-future", 6, "documents[2].dated"), {"documents[2].dated": TODAY_ISO}),
    # Request, step 7
    Case(R, "contact-address-required", {"contacts[2].address": None},
         ("required-because", 7, "contacts[2].address"),
         {"contacts[2].address": None, "contacts[2].postcode": None,
          "contacts[2].address_same_as_child": True}),
    Case(R, "contact-address-required", {"contacts[2].postcode": None},
         ("required-because", 7, "contacts[2].postcode"),
         {"contacts[2].postcode": None, "contacts[2].address_same_as_child": True},
         label="postcode"),
    Case(R, "contact-email-or-phone", {"contacts[2].phone": None},
         ("contact-method-required", 7, "contacts[2].email"),
         {"contacts[2].phone": None, "contacts[2].email": "rhys.pryce@example.org"}),
    Case(R, "one-main-contact", {"contacts[2].main_contact": True},
         ("main-contact-count", 7, "contacts"),
         {"contacts[1].main_contact": False, "contacts[2].main_contact": True}),
    Case(R, "one-main-contact", {"contacts[1].main_contact": False},
         ("main-contact-count", 7, "contacts"), {}, label="none-ticked"),
    Case(R, "parental-responsibility-contact", NO_PARENTAL_RESPONSIBILITY,
         ("no-parental-responsibility", 7, "contacts"),
         {**NO_PARENTAL_RESPONSIBILITY, "looked_after": LOOKED_AFTER,
          "responsible_la": "Leicester City Council", "social_worker_contact": "Ffion Ŵen"}),
    Case(R, "parental-responsibility-contact", NO_PARENTAL_RESPONSIBILITY,
         ("no-parental-responsibility", 7, "contacts"),
         {**NO_PARENTAL_RESPONSIBILITY, "date_of_birth": "2009-11-20", **YOUNG_PERSON},
         label="young-person"),
    *(
        Case(R, rule, _yp_without(name), ("required-because", 7, name),
             {"date_of_birth": "2009-11-21"})
        for rule, name in (
            ("yp-email-required", "yp_email"),
            ("yp-phone-required", "yp_phone"),
            ("yp-agrees-required", "yp_agrees_to_request"),
            ("yp-copy-parents-required", "yp_copy_parents"),
        )
    ),
    # Request, step 8
    Case(R, "consent-date-not-in-future", {"consent_date": TOMORROW},
         ("date-in-future", 8, "consent_date"),
         {"consent_date": TODAY_ISO, "signed_date": TODAY_ISO}),
    Case(R, "consent-recent", {"consent_date": "2025-05-19"},
         ("consent-too-old", 8, "consent_date"), {"consent_date": "2025-05-20"}),
    Case(R, "signed-name-matches", {"signed_name": "Helene Michalowska"},
         ("name-mismatch", 8, "signed_name"), {"signed_name": "  hélène   MICHAŁOWSKA "}),
    Case(R, "signed-date-not-in-future", {"signed_date": TOMORROW},
         ("date-in-future", 8, "signed_date"), {"signed_date": TODAY_ISO}),
    Case(R, "signed-after-consent", {"signed_date": "2025-11-02"},
         ("date-before", 8, "signed_date"), {"signed_date": "2025-11-03"}),
    # Advice, step 2
    Case(A, "date-of-birth-not-in-future", {"date_of_birth": TOMORROW},
         ("date-in-future", 2, "date_of_birth"), {"date_of_birth": TODAY_ISO}),
    Case(A, "nhs-number-for-medical",
         {"advice_type": MEDICAL_ADVICE, "health_needs": HEALTH_NEEDS, "nhs_number": None},
         ("required-because", 2, "nhs_number"),
         {"advice_type": MEDICAL_ADVICE, "health_needs": HEALTH_NEEDS}),
    # Advice, step 3
    Case(A, "first-involved-not-in-future", {"first_involved": TOMORROW},
         ("date-in-future", 3, "first_involved"), {"first_involved": TODAY_ISO}),
    Case(A, "assessment-dates-given", {"assessment_dates": "Two mornings in October"},
         ("no-date-given", 3, "assessment_dates"), {"assessment_dates": "Mornings of 2025-10-21"}),
    Case(A, "assessment-dates-given", {"assessment_dates": "31/02/2025"},
         ("no-date-given", 3, "assessment_dates"), {"assessment_dates": "28/2/2025"},
         label="impossible-date"),
    Case(A, "not-seen-reason-required", {"seen_in_person": "No"},
         ("required-because", 3, "not_seen_reason"),
         {"seen_in_person": "No", "not_seen_reason": "Missed appointment on 21/10/2025."}),
    # Advice, step 5
    Case(A, "needs-described", {"needs_cognition_learning": None, "needs_semh": None},
         ("needs-not-described", 5, "needs_comm_interaction"),
         {"needs_cognition_learning": None, "needs_semh": None,
          "needs_sensory_physical": "Poor fine motor control."}),
    Case(A, "health-needs-for-medical", {"advice_type": MEDICAL_ADVICE},
         ("required-because", 5, "health_needs"),
         {"advice_type": MEDICAL_ADVICE, "health_needs": HEALTH_NEEDS}),
    Case(A, "social-care-needs-for-social-care",
         {"advice_type": SOCIAL_CARE_ADVICE, "social_care_status": "Early help"},
         ("required-because", 5, "social_care_needs"),
         {"advice_type": SOCIAL_CARE_ADVICE, "social_care_status": "Early help",
          "social_care_needs": "Short breaks to support the family."}),
    Case(A, "social-care-status-for-social-care",
         {"advice_type": SOCIAL_CARE_ADVICE, "social_care_needs": "Short breaks."},
         ("required-because", 5, "social_care_status"),
         {"advice_type": SOCIAL_CARE_ADVICE, "social_care_needs": "Short breaks.",
          "social_care_status": "CIN plan"}),
    Case(A, "diagnosis-year-not-future", {"diagnoses[1].year_diagnosed": 2027},
         ("year-in-future", 5, "diagnoses[1].year_diagnosed"),
         {"diagnoses[1].year_diagnosed": 2026}),
    # Advice, step 6
    Case(A, "provision-outcome-exists", {"provision[2].outcome_ref": "Outcome 3"},
         ("outcome-not-given", 6, "provision[2].outcome_ref"),
         {"provision[2].outcome_ref": "Outcome 1"}),
    Case(A, "provision-frequency", {"provision[1].how_often": "regularly"},
         ("frequency-unclear", 6, "provision[1].how_often"),
         {"provision[1].how_often": "twice weekly"}),
    Case(A, "provision-frequency", {"provision[1].how_often": "20 minutes"},
         ("frequency-unclear", 6, "provision[1].how_often"),
         {"provision[1].how_often": "20 minutes each half-term"}, label="no-period"),
    Case(A, "provision-frequency", {"provision[1].how_often": "weekly"},
         ("frequency-unclear", 6, "provision[1].how_often"),
         {"provision[1].how_often": "one session termly"}, label="no-number"),
    Case(A, "pfa-advice-required", {"date_of_birth": YEAR_9_DOB, "pfa_areas": ["Employment"]},
         ("required-because", 6, "preparing_for_adulthood"), {"date_of_birth": YEAR_8_DOB}),
    Case(A, "pfa-areas-required",
         {"date_of_birth": YEAR_9_DOB, "preparing_for_adulthood": "Travel training."},
         ("required-because", 6, "pfa_areas"),
         {"date_of_birth": YEAR_9_DOB, "preparing_for_adulthood": "Travel training.",
          "pfa_areas": ["Independent living"]}),
    # Advice, step 7
    Case(A, "document-date-not-in-future", {"documents[1].dated": TOMORROW},
         ("date-in-future", 7, "documents[1].dated"), {"documents[1].dated": TODAY_ISO}),
    Case(A, "primary-report-listed", NO_DOCUMENTS, ("required-because", 7, "documents[1].file"),
         {**NO_DOCUMENTS, "primary_report_attached": False}),
    # Advice, step 8
    Case(A, "signed-name-matches", {"signed_name": "Owain Rees"},
         ("name-mismatch", 8, "signed_name"), {"signed_name": "dr  OWAIN rees"}),
    Case(A, "signed-after-request-received", {"signed_date": "2025-10-05"},
         ("date-before", 8, "signed_date"), {"signed_date": "2025-10-06"}),
    Case(A, "signed-date-not-in-future", {"signed_date": TOMORROW},
         ("date-in-future", 8, "signed_date"), {"signed_date": TODAY_ISO}),
    Case(A, "late-reason-detail-required", {"late_reason": "Other"},
         ("required-because", 8, "late_reason_detail"),
         {"late_reason": "Other", "late_reason_detail": "Our service was closed for a week."}),
]
# fmt: on


def answers_with(form: FormDefinition, changes: dict[str, Any]) -> dict[str, Any]:
    answers = {**form.example, **changes}
    return {name: value for name, value in answers.items() if value is not None}


def judge(case: Case, changes: dict[str, Any]) -> tuple[Validation, list[tuple]]:
    """The whole validation, and what the case's rule alone says about the same answers."""
    form = FORMS[case.form]
    ctx = CheckContext(case.today)
    validation = validate(form, answers_with(form, changes), ctx)
    rule = next(r for r in form.rules if r.name == case.rule)
    from_rule = [(r.code, r.step, r.field) for r in rule.check(validation.answers, ctx)]
    return validation, from_rule


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_rule_rejects_when_broken(case: Case) -> None:
    validation, from_rule = judge(case, case.breaks)
    assert case.expect in from_rule
    assert case.expect in [(r.code, r.step, r.field) for r in validation.rejections]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_rule_is_silent_on_the_other_side(case: Case) -> None:
    validation, from_rule = judge(case, case.holds)
    assert from_rule == []
    if case.clean:
        assert validation.rejections == ()


@pytest.mark.parametrize("kind", ["request", "advice"])
def test_every_rule_has_cases(kind: str) -> None:
    names = [rule.name for rule in FORMS[kind].rules]
    covered = {case.rule for case in CASES if case.form == kind}
    assert len(names) == len(set(names)), "rule names repeat"
    assert set(names) - covered == set(), "rules without a test case"
    assert covered - set(names) == set(), "cases for rules that do not exist"


@pytest.mark.parametrize(
    ("today", "year_9"),
    [(date(2026, 8, 31), False), (date(2026, 9, 1), True)],
)
def test_year_9_turns_on_with_the_new_school_year(today: date, year_9: bool) -> None:
    """Born 1 September 2012: Year 8 in 2025-26, Year 9 from 1 September 2026."""
    case = Case(A, "pfa-advice-required", {}, ("", 0, ""), {}, today=today)
    _, from_rule = judge(case, {"date_of_birth": YEAR_8_DOB})
    assert (("required-because", 6, "preparing_for_adulthood") in from_rule) is year_9


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 11, 20), date(2025, 5, 20)),
        (date(2025, 8, 31), date(2025, 2, 28)),
        (date(2024, 8, 31), date(2024, 2, 29)),
        (date(2026, 3, 15), date(2025, 9, 15)),
    ],
)
def test_months_before_keeps_the_day_or_the_month_end(day: date, expected: date) -> None:
    assert months_before(day, 6) == expected
