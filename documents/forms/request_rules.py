"""The conditional and cross-field rules of the request form, as a table.

Only what the form itself shows is judged here. Judged on ingest, against records or the email:
- `work_email` equals the sending address or is on the council's verified-professional list;
  free webmail domains are warned about;
- the token names an open case for this professional; the child's date of birth matches it;
- `postcode` inside the council's area (a warning, needing the council's postcode list);
- each `documents[n].file` matches an attachment on the same email, within the size limit,
  not a duplicate by hash, virus-scanned; documents over 12 months old, and no SEN support plan
  nor progress data, are warnings;
- `year_group` different from the chronological year group without `out_of_year_group` ticked
  (a warning).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date

from documents.forms.common import (
    EDUCATION_ORGANISATION_TYPES,
    NEED_TYPES_BY_AREA,
    NEEDS_BOX_BY_AREA,
    NEEDS_BOXES,
    SCHOOL_ORGANISATION_TYPES,
    age_at,
    is_young_person,
    organisation_id_shape,
)
from documents.forms.request_parts import CONTACTS, DOCUMENTS, PROFESSIONALS_INVOLVED, REQUEST_BASIS
from documents.rules import (
    as_date,
    at_least_one_answered,
    contains,
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

LOOKED_AFTER_NOW = "Yes — looked after"
MAX_AGE = 25  # EHC plans cover 0 to 25: 25 itself is out of range
CONSENT_VALID_MONTHS = 6
NEEDS_MIN_LENGTH = 50
NOT_IN_SCHOOL = ("Elective home education", "Not in education")


def _referrer_name_characters(answers: Answers, ctx: CheckContext) -> Iterable[Rejection]:
    name = answers.get("referrer_name")
    if present(name) and not all(c.isalpha() or c in " '-.’" for c in str(name)):
        yield Rejection("name-characters", 1, "referrer_name")


def _request_basis_allowed(answers: Answers, ctx: CheckContext) -> Iterable[Rejection]:
    organisation = answers.get("organisation_type")
    if (
        present(organisation)
        and organisation not in EDUCATION_ORGANISATION_TYPES
        and answers.get("request_basis") == REQUEST_BASIS[0]
    ):
        yield Rejection(
            "request-basis-not-allowed", 1, "request_basis", {"organisation_type": organisation}
        )


def _age_in_range(answers: Answers, ctx: CheckContext) -> Iterable[Rejection]:
    age = age_at(answers, ctx, "signed_date")
    if age is not None and not 0 <= age < MAX_AGE:
        yield Rejection("age-out-of-range", 2, "date_of_birth", {"age": age, "maximum": MAX_AGE})


def _is_looked_after(answers: Answers, ctx: CheckContext) -> bool:
    return answers.get("looked_after") == LOOKED_AFTER_NOW


def _looked_after_or_protection_plan(answers: Answers, ctx: CheckContext) -> bool:
    return _is_looked_after(answers, ctx) or contains(
        "social_care_involvement", "Child protection plan"
    )(answers, ctx)


def _is_in_school(answers: Answers, ctx: CheckContext) -> bool:
    setting = answers.get("setting_type")
    return present(setting) and setting not in NOT_IN_SCHOOL


def _need_type_inside_area(answers: Answers, ctx: CheckContext) -> Iterable[Rejection]:
    area, need = answers.get("primary_area_of_need"), answers.get("primary_need_type")
    if need in NEED_TYPES_BY_AREA and present(area) and area not in NEED_TYPES_BY_AREA[need]:
        yield Rejection("need-type-outside-area", 4, "primary_need_type", {"area": area})


def _secondary_need_differs(answers: Answers, ctx: CheckContext) -> Iterable[Rejection]:
    secondary = answers.get("secondary_need_type")
    if present(secondary) and secondary == answers.get("primary_need_type"):
        yield Rejection("same-as-primary", 4, "secondary_need_type")


def _matching_needs_box(answers: Answers, ctx: CheckContext) -> Iterable[Rejection]:
    box = NEEDS_BOX_BY_AREA.get(answers.get("primary_area_of_need"))
    if box is not None and not present(answers.get(box)):
        yield Rejection("required-because", 4, box, {"rule": "matching-needs-box-required"})


def _contact_rows(answers: Answers) -> list[int]:
    return used_rows(CONTACTS, answers)


def _contact_address_required(answers: Answers, ctx: CheckContext) -> Iterable[Rejection]:
    for row in _contact_rows(answers):
        if answers.get(f"contacts[{row}].address_same_as_child"):
            continue
        for part in ("address", "postcode"):
            name = f"contacts[{row}].{part}"
            if not present(answers.get(name)):
                yield Rejection(
                    "required-because", 7, name, {"rule": "contact-address-required", "row": row}
                )


def _contact_email_or_phone(answers: Answers, ctx: CheckContext) -> Iterable[Rejection]:
    for row in _contact_rows(answers):
        if not (
            present(answers.get(f"contacts[{row}].email"))
            or present(answers.get(f"contacts[{row}].phone"))
        ):
            yield Rejection("contact-method-required", 7, f"contacts[{row}].email", {"row": row})


def _one_main_contact(answers: Answers, ctx: CheckContext) -> Iterable[Rejection]:
    rows = _contact_rows(answers)
    main = [row for row in rows if answers.get(f"contacts[{row}].main_contact")]
    if rows and len(main) != 1:
        yield Rejection("main-contact-count", 7, "contacts", {"count": len(main)})


def _parental_responsibility(answers: Answers, ctx: CheckContext) -> Iterable[Rejection]:
    # A looked-after child's corporate parent, or a young person speaking for themselves,
    # stands in for a parent with parental responsibility.
    if _is_looked_after(answers, ctx) or is_young_person(answers, ctx):
        return
    holders = [
        row
        for row in _contact_rows(answers)
        if answers.get(f"contacts[{row}].has_parental_responsibility") == "Yes"
    ]
    if not holders:
        yield Rejection("no-parental-responsibility", 7, "contacts")


def months_before(day: date, months: int) -> date:
    """The same day `months` earlier, or that month's last day when it is shorter."""
    year, month_index = divmod(day.year * 12 + day.month - 1 - months, 12)
    month = month_index + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _consent_recent(answers: Answers, ctx: CheckContext) -> Iterable[Rejection]:
    consent = as_date(answers.get("consent_date"))
    signed = as_date(answers.get("signed_date")) or ctx.today
    if consent is not None and consent < months_before(signed, CONSENT_VALID_MONTHS):
        yield Rejection("consent-too-old", 8, "consent_date", {"months": CONSENT_VALID_MONTHS})


def _young_person_field(rule_name: str, target: str) -> Rule:
    return required_if(
        rule_name,
        7,
        target,
        is_young_person,
        f"{target} is required when the young person is 16 or over",
    )


REQUEST_RULES: tuple[Rule, ...] = (
    # Step 1: your work details and role
    custom(
        "referrer-name-characters",
        "referrer_name holds only letters, spaces, hyphens, apostrophes and full stops",
        1,
        _referrer_name_characters,
    ),
    required_if(
        "role-other-required",
        1,
        "referrer_role_other",
        equals("referrer_role", "Other"),
        "referrer_role_other is required if role is Other",
    ),
    organisation_id_shape(1, "organisation_id"),
    custom(
        "request-basis-allowed",
        "only a school, college or early years setting may ask on behalf of its own setting",
        1,
        _request_basis_allowed,
    ),
    required_if(
        "family-aware-reason-required",
        1,
        "family_aware_reason",
        equals("family_aware", "No"),
        "family_aware_reason is required if family_aware is No",
    ),
    # Step 2: about the child
    not_in_future("date-of-birth-not-in-future", 2, "date_of_birth"),
    custom(
        "age-in-range", "the child is 0 to 24 on the day the request is signed", 2, _age_in_range
    ),
    required_if(
        "responsible-la-required",
        2,
        "responsible_la",
        _is_looked_after,
        "responsible_la is required if the child is looked after",
    ),
    required_if(
        "social-worker-required",
        2,
        "social_worker_contact",
        _looked_after_or_protection_plan,
        "social_worker_contact is required if looked after or on a child protection plan",
    ),
    required_if(
        "upn-required-for-school",
        2,
        "upn",
        equals("organisation_type", *SCHOOL_ORGANISATION_TYPES),
        "upn is required when a school makes the request",
    ),
    # Step 3: education setting
    not_in_future("date-admitted-not-in-future", 3, "date_admitted"),
    date_not_before("date-admitted-after-birth", 3, "date_admitted", "date_of_birth"),
    required_if(
        "year-group-required",
        3,
        "year_group",
        _is_in_school,
        "year_group is required unless home educated or not in education",
    ),
    # Step 4: needs
    custom(
        "need-type-inside-area",
        "primary_need_type belongs to primary_area_of_need",
        4,
        _need_type_inside_area,
    ),
    custom(
        "secondary-need-differs",
        "secondary_need_type differs from primary_need_type",
        4,
        _secondary_need_differs,
    ),
    custom(
        "matching-needs-box-required",
        "the needs box of the primary area of need is filled in",
        4,
        _matching_needs_box,
    ),
    at_least_one_answered(
        "needs-described",
        4,
        NEEDS_BOXES,
        "needs-not-described",
        "at least one needs box holds 50 characters or more",
        min_length=NEEDS_MIN_LENGTH,
    ),
    # Step 5: support so far
    not_in_future("sen-support-not-in-future", 5, "sen_support_since"),
    date_not_before("sen-support-after-birth", 5, "sen_support_since", "date_of_birth"),
    row_not_in_future(
        "professional-contact-not-in-future", 5, PROFESSIONALS_INVOLVED, "last_contact"
    ),
    # Step 6: documents
    row_not_in_future("document-date-not-in-future", 6, DOCUMENTS, "dated"),
    # Step 7: contacts
    custom(
        "contact-address-required",
        "a contact not living with the child gives an address and postcode",
        7,
        _contact_address_required,
    ),
    custom(
        "contact-email-or-phone",
        "each contact gives an email address or a phone number",
        7,
        _contact_email_or_phone,
    ),
    custom(
        "one-main-contact",
        "exactly one contact is ticked as the main contact",
        7,
        _one_main_contact,
    ),
    custom(
        "parental-responsibility-contact",
        "a contact has parental responsibility, unless looked after or 16 or over",
        7,
        _parental_responsibility,
    ),
    _young_person_field("yp-email-required", "yp_email"),
    _young_person_field("yp-phone-required", "yp_phone"),
    _young_person_field("yp-agrees-required", "yp_agrees_to_request"),
    _young_person_field("yp-copy-parents-required", "yp_copy_parents"),
    # Step 8: consent and declaration
    not_in_future("consent-date-not-in-future", 8, "consent_date"),
    custom(
        "consent-recent", "consent_date is within 6 months before signed_date", 8, _consent_recent
    ),
    same_name("signed-name-matches", 8, "signed_name", "referrer_name"),
    not_in_future("signed-date-not-in-future", 8, "signed_date"),
    date_not_before("signed-after-consent", 8, "signed_date", "consent_date"),
)
