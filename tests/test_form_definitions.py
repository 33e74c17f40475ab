"""The request and advice form definitions: fields as domain/forms.md names them, sane schemas
and example answers that validate clean on any day they may be checked.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from documents.forms import FORMS, get_form
from documents.forms.advice_parts import OUTCOMES
from documents.forms.common import DOCUMENT_TYPES, NEED_TYPES, ROLES
from documents.schema import (
    DEFAULT_MAX_LENGTH,
    FORM_ID_FIELD,
    TOKEN_FIELD,
    CheckContext,
    FieldType,
    FormDefinition,
)
from documents.validate import used_rows, validate

KINDS = ("request", "advice")

# Field names per step, as domain/forms.md sections 4 and 5 give them (groups by name).
DOCUMENTED_FIELDS = {
    "request": {
        1: [
            "referrer_name",
            "referrer_role",
            "referrer_role_other",
            "organisation_name",
            "organisation_type",
            "organisation_id",
            "work_email",
            "work_phone",
            "request_basis",
            "family_aware",
            "family_aware_reason",
        ],
        2: [
            "child_forename",
            "child_surname",
            "child_known_as",
            "date_of_birth",
            "sex",
            "address_line_1",
            "address_line_2",
            "town",
            "postcode",
            "upn",
            "nhs_number",
            "ethnicity",
            "first_language",
            "looked_after",
            "responsible_la",
            "social_worker_contact",
            "forces_family",
        ],
        3: [
            "setting_name",
            "setting_type",
            "date_admitted",
            "year_group",
            "out_of_year_group",
            "attendance_pct_12m",
            "suspensions_or_part_time",
            "previous_settings",
        ],
        4: [
            "primary_area_of_need",
            "primary_need_type",
            "secondary_need_type",
            "needs_comm_interaction",
            "needs_cognition_learning",
            "needs_semh",
            "needs_sensory_physical",
            "hearing_or_vision_impairment",
            "diagnoses",
            "attainment_and_progress",
            "health_needs_summary",
            "social_care_involvement",
        ],
        5: [
            "sen_support_since",
            "apdr_cycles",
            "interventions_and_impact",
            "extra_resources_used",
            "why_plan_may_be_needed",
            "professionals_involved",
            "child_views",
            "parent_views",
            "outcomes_sought",
            "ep_involved",
        ],
        6: ["documents"],
        7: ["contacts", "yp_email", "yp_phone", "yp_agrees_to_request", "yp_copy_parents"],
        8: [
            "consent_to_share",
            "consent_date",
            "do_not_share_with",
            "declaration_accurate",
            "privacy_notice_read",
            "terms_accepted",
            "signed_name",
            "signed_date",
        ],
    },
    "advice": {
        1: [
            "advice_request_ref",
            "advice_type",
            "author_name",
            "author_role",
            "organisation",
            "professional_register",
            "registration_number",
            "work_email",
            "date_request_received",
        ],
        2: [
            "child_forename",
            "child_surname",
            "date_of_birth",
            "nhs_number",
            "upn",
            "identity_confirmed",
        ],
        3: [
            "involvement_summary",
            "first_involved",
            "assessment_dates",
            "methods",
            "seen_in_person",
            "not_seen_reason",
            "existing_advice_reused",
        ],
        4: [
            "child_views",
            "how_views_gathered",
            "parent_views",
            "background",
            "other_agencies",
            "strengths",
        ],
        5: [
            "needs_comm_interaction",
            "needs_cognition_learning",
            "needs_semh",
            "needs_sensory_physical",
            "health_needs",
            "diagnoses",
            "social_care_needs",
            "social_care_status",
        ],
        6: [
            "outcomes",
            "provision",
            "preparing_for_adulthood",
            "pfa_areas",
            "adult_services_transition",
            "no_placement_named",
        ],
        7: ["documents", "primary_report_attached"],
        8: [
            "will_be_shared_ack",
            "third_party_info",
            "within_expertise",
            "declaration_accurate",
            "terms_accepted",
            "signed_name",
            "signed_date",
            "late_reason",
            "late_reason_detail",
        ],
    },
}

# (group, row fields, rows, min_rows) per form.
DOCUMENTED_GROUPS = {
    "request": [
        ("professionals_involved", ["name", "service", "last_contact", "report_attached"], 4, 0),
        ("documents", ["file", "type", "description", "dated"], 5, 1),
        (
            "contacts",
            [
                "relationship",
                "forename",
                "surname",
                "has_parental_responsibility",
                "address_same_as_child",
                "address",
                "postcode",
                "email",
                "phone",
                "language_or_interpreter",
                "main_contact",
                "address_confidential",
            ],
            3,
            0,
        ),
    ],
    "advice": [
        ("diagnoses", ["condition", "year_diagnosed", "by_whom"], 3, 0),
        ("outcomes", ["area", "text", "by_when"], 4, 1),
        ("provision", ["outcome_ref", "what", "who", "how_often", "plan_section"], 5, 1),
        ("documents", ["file", "type", "description", "dated"], 5, 0),
    ],
}

PREFILL_KEYS = {
    "request": {
        "referrer_name": "professional.name",
        "referrer_role": "professional.role",
        "organisation_name": "professional.organisation_name",
        "organisation_type": "professional.organisation_type",
        "organisation_id": "professional.organisation_id",
        "work_email": "professional.email",
        "work_phone": "professional.phone",
    },
    "advice": {
        "advice_request_ref": "advice.reference",
        "advice_type": "advice.type",
        "date_request_received": "advice.received",
        "author_name": "professional.name",
        "author_role": "professional.role",
        "organisation": "professional.organisation_name",
        "work_email": "professional.email",
        "child_forename": "child.forename",
        "child_surname": "child.surname",
        "date_of_birth": "child.date_of_birth",
        "nhs_number": "child.nhs_number",
        "upn": "child.upn",
    },
}


def _every_day_of_2026_and_2027() -> list[date]:
    start = date(2026, 1, 1)
    return [start + timedelta(days=n) for n in range((date(2027, 12, 31) - start).days + 1)]


@pytest.fixture(params=KINDS)
def form(request: pytest.FixtureRequest) -> FormDefinition:
    return get_form(request.param)


def test_forms_are_registered_with_their_titles() -> None:
    assert FORMS["request"].title == "Request for a statutory EHC needs assessment"
    assert FORMS["advice"].title == "Professional advice for an EHC needs assessment"
    assert [(FORMS[k].kind, FORMS[k].version) for k in KINDS] == [("request", 1), ("advice", 1)]


def test_example_validates_clean_on_every_day_of_2026_and_2027(form: FormDefinition) -> None:
    for today in _every_day_of_2026_and_2027():
        validation = validate(form, form.example, CheckContext(today))
        assert validation.rejections == (), today


def test_example_answers_are_canonical(form: FormDefinition) -> None:
    """Validation hands back exactly what the example holds: it is in canonical form."""
    validation = validate(form, form.example, CheckContext(date(2026, 6, 1)))
    for name, value in form.example.items():
        assert validation.answers[name] == value, name


def test_example_names_only_fields_of_the_form(form: FormDefinition) -> None:
    names = {f.name for f in form.fields()}
    assert set(form.example) <= names


def test_example_carries_the_hard_characters(form: FormDefinition) -> None:
    text = "".join(str(v) for v in form.example.values())
    for char in ("é", "ł", "ŵ", "\n"):
        assert char in text, char


def test_example_fills_exactly_one_long_text_to_4000(form: FormDefinition) -> None:
    full = [
        f.name
        for f in form.fields()
        if f.type is FieldType.LONG_TEXT and len(str(form.example.get(f.name, ""))) == 4000
    ]
    assert len(full) == 1
    assert form.field(full[0]).limit == 4000


def test_request_example_uses_two_rows_of_documents_and_contacts() -> None:
    form = FORMS["request"]
    for group in form.steps[5].groups + form.steps[6].groups:
        assert len(used_rows(group, form.example)) >= 2, group.name


def test_eight_steps_numbered_in_order(form: FormDefinition) -> None:
    assert [s.number for s in form.steps] == list(range(1, 9))
    assert all(s.title and s.intro for s in form.steps)


def test_fields_are_where_the_domain_document_puts_them(form: FormDefinition) -> None:
    for s in form.steps:
        names = [f.name for f in s.fields if f.group is None]
        names += [g.name for g in s.groups]
        assert sorted(names) == sorted(DOCUMENTED_FIELDS[form.kind][s.number]), s.number


def test_groups_have_the_documented_rows(form: FormDefinition) -> None:
    groups = [g for s in form.steps for g in s.groups]
    found = [(g.name, [f.name for f in g.fields], g.rows, g.min_rows) for g in groups]
    assert found == DOCUMENTED_GROUPS[form.kind]
    assert "documents[5].dated" in {f.name for f in form.fields()}


def test_names_and_pdf_names_are_unique(form: FormDefinition) -> None:
    names = [f.name for f in form.fields()]
    pdf_names = [FORM_ID_FIELD, TOKEN_FIELD]
    for f in form.fields():
        pdf_names.append(f.pdf_name)
        if f.type is FieldType.MULTI_CHOICE:
            pdf_names.extend(f.option_pdf_name(i) for i in range(len(f.choices)))
    assert len(names) == len(set(names))
    assert len(pdf_names) == len(set(pdf_names))


def test_choices_are_distinct_and_short(form: FormDefinition) -> None:
    for f in form.fields():
        if f.type in (FieldType.CHOICE, FieldType.MULTI_CHOICE):
            assert len(f.choices) >= 2, f.name
            assert len(set(f.choices)) == len(f.choices), f.name
            assert all(0 < len(c) <= DEFAULT_MAX_LENGTH[FieldType.TEXT] for c in f.choices)
            assert f.limit is None, f.name
        else:
            assert f.choices == (), f.name


def test_every_text_answer_has_a_limit_within_the_defaults(form: FormDefinition) -> None:
    for f in form.fields():
        if f.type in (FieldType.CHOICE, FieldType.MULTI_CHOICE, FieldType.CHECKBOX):
            continue
        assert f.limit is not None and f.limit <= DEFAULT_MAX_LENGTH[f.type], f.name
        assert f.min_length is None or f.min_length < f.limit, f.name
        assert f.label.strip(), f.name


def test_outcome_text_is_at_most_1000() -> None:
    assert FORMS["advice"].field("outcomes[3].text").limit == 1000


def test_minimum_lengths_from_the_domain_document() -> None:
    request, advice = FORMS["request"], FORMS["advice"]
    assert request.field("attainment_and_progress").min_length == 50
    assert request.field("interventions_and_impact").min_length == 100
    assert request.field("why_plan_may_be_needed").min_length == 100
    assert request.field("family_aware_reason").min_length == 20
    assert request.field("referrer_name").min_length == 2
    assert request.field("referrer_name").limit == 100
    assert advice.field("strengths").min_length == 30
    assert request.field("documents[1].description").min_length == 3


def test_numbers_have_their_ranges() -> None:
    attendance = FORMS["request"].field("attendance_pct_12m")
    assert (attendance.minimum, attendance.maximum, attendance.decimals) == (0, 100, 1)
    cycles = FORMS["request"].field("apdr_cycles")
    assert (cycles.minimum, cycles.maximum, cycles.decimals) == (0, 99, 0)
    assert FORMS["advice"].field("diagnoses[1].year_diagnosed").minimum == 1900


def test_prefill_keys_are_the_documented_ones(form: FormDefinition) -> None:
    prefilled = {f.name: f.prefill for f in form.fields() if f.prefill is not None}
    assert prefilled == PREFILL_KEYS[form.kind]


def test_shared_choice_lists_are_one_tuple() -> None:
    request, advice = FORMS["request"], FORMS["advice"]
    assert request.field("referrer_role").choices is ROLES
    assert advice.field("author_role").choices is ROLES
    assert request.field("primary_need_type").choices is NEED_TYPES
    assert request.field("secondary_need_type").choices is NEED_TYPES
    assert request.field("documents[1].type").choices is DOCUMENT_TYPES
    assert advice.field("documents[1].type").choices is DOCUMENT_TYPES


def test_outcome_references_follow_the_outcome_rows() -> None:
    refs = FORMS["advice"].field("provision[1].outcome_ref").choices
    assert refs == tuple(f"Outcome {row}" for row in range(1, OUTCOMES.rows + 1))


def test_rules_are_named_and_described(form: FormDefinition) -> None:
    for rule in form.rules:
        assert rule.name == rule.name.lower() and " " not in rule.name and "_" not in rule.name
        assert rule.description.strip() and "\n" not in rule.description
        assert 1 <= rule.step <= 8
