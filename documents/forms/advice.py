"""Form B: a professional's advice for an EHC needs assessment, in 8 steps.

The steps and fields follow domain/forms.md section 5; the rules are in `advice_rules`, the
example answers in `advice_example`.
"""

from __future__ import annotations

from documents.forms.advice_example import ADVICE_EXAMPLE
from documents.forms.advice_parts import (
    ADVICE_TYPES,
    DIAGNOSES,
    DOCUMENTS,
    EXISTING_ADVICE,
    HOW_VIEWS_GATHERED,
    LATE_REASONS,
    METHODS,
    OUTCOMES,
    PFA_AREAS,
    PROFESSIONAL_REGISTERS,
    PROVISION,
    SOCIAL_CARE_STATUSES,
)
from documents.forms.advice_rules import ADVICE_RULES
from documents.forms.common import ROLES, YES_NO, needs_box_fields
from documents.schema import Field, FieldType, FormDefinition, step

T = FieldType

_ADVICE_GIVER = step(
    1,
    "Advice giver and request",
    "Tell us who is giving this advice, and confirm the request it answers.",
    Field(
        "advice_request_ref",
        "Which advice request does this answer?",
        T.TEXT,
        required=True,
        max_length=30,
        hint="the reference in our email, for example ADV-2025-000123",
        prefill="advice.reference",
    ),
    Field(
        "advice_type",
        "What type of advice is this?",
        T.CHOICE,
        required=True,
        choices=ADVICE_TYPES,
        hint="the type we asked for",
        prefill="advice.type",
    ),
    Field(
        "author_name", "What is your full name?", T.TEXT, required=True, prefill="professional.name"
    ),
    Field(
        "author_role",
        "What is your role?",
        T.CHOICE,
        required=True,
        choices=ROLES,
        prefill="professional.role",
    ),
    Field(
        "organisation",
        "Which organisation or service do you work for?",
        T.TEXT,
        required=True,
        prefill="professional.organisation_name",
    ),
    Field(
        "professional_register",
        "Which professional register are you on?",
        T.CHOICE,
        choices=PROFESSIONAL_REGISTERS,
    ),
    Field("registration_number", "What is your registration number?", T.TEXT, max_length=30),
    Field(
        "work_email",
        "What is your work email address?",
        T.EMAIL,
        required=True,
        hint="reply from this address",
        prefill="professional.email",
    ),
    Field(
        "date_request_received",
        "On what date did you receive the request for advice?",
        T.DATE,
        required=True,
        prefill="advice.received",
    ),
)

_CHILD = step(
    2,
    "Child details",
    "We have filled in the child's details from the case: check them and confirm.",
    Field(
        "child_forename",
        "Child's legal first name",
        T.TEXT,
        required=True,
        prefill="child.forename",
    ),
    Field("child_surname", "Child's legal surname", T.TEXT, required=True, prefill="child.surname"),
    Field(
        "date_of_birth",
        "Child's date of birth",
        T.DATE,
        required=True,
        prefill="child.date_of_birth",
    ),
    Field(
        "nhs_number",
        "Child's NHS number",
        T.NHS_NUMBER,
        hint="required for medical advice",
        prefill="child.nhs_number",
    ),
    Field("upn", "Child's unique pupil number (UPN)", T.UPN, prefill="child.upn"),
    Field(
        "identity_confirmed",
        "This advice is about the child named above",
        T.CHECKBOX,
        required=True,
    ),
)

_BASIS = step(
    3,
    "Basis of the advice",
    "Tell us how you know the child and how you reached your advice.",
    Field(
        "involvement_summary",
        "How long have you been involved with the child, and how?",
        T.LONG_TEXT,
        required=True,
    ),
    Field("first_involved", "When were you first involved with the child?", T.DATE),
    Field(
        "assessment_dates",
        "On what dates did you assess the child?",
        T.TEXT,
        required=True,
        hint="one or more dates, dd/mm/yyyy",
    ),
    Field(
        "methods",
        "How did you assess the child? Tick all that apply",
        T.MULTI_CHOICE,
        required=True,
        choices=METHODS,
    ),
    Field(
        "seen_in_person",
        "Did you see the child in person?",
        T.CHOICE,
        required=True,
        choices=YES_NO,
    ),
    Field(
        "not_seen_reason",
        "If not, why not?",
        T.LONG_TEXT,
        hint="if an appointment was missed, give its date",
    ),
    Field(
        "existing_advice_reused",
        "Is this new advice or an existing report?",
        T.CHOICE,
        required=True,
        choices=EXISTING_ADVICE,
    ),
)

_VIEWS = step(
    4,
    "Views, background and strengths",
    "Tell us what the child and family think, the background and what the child does well.",
    Field(
        "child_views",
        "What are the child's views?",
        T.LONG_TEXT,
        required=True,
        hint="or explain why their views could not be gathered",
    ),
    Field(
        "how_views_gathered",
        "How were the child's views gathered?",
        T.CHOICE,
        required=True,
        choices=HOW_VIEWS_GATHERED,
    ),
    Field("parent_views", "What are the parents' or carers' views?", T.LONG_TEXT),
    Field("background", "What is the relevant background?", T.LONG_TEXT, required=True),
    Field("other_agencies", "Which other agencies are involved?", T.LONG_TEXT),
    Field(
        "strengths",
        "What are the child's strengths and interests?",
        T.LONG_TEXT,
        required=True,
        min_length=30,
        hint="at least 30 characters",
    ),
)

_NEEDS = step(
    5,
    "Needs",
    "Describe the child's needs in your area of expertise: fill in at least one needs box.",
    *needs_box_fields(),
    Field(
        "health_needs",
        "What are the child's health needs?",
        T.LONG_TEXT,
        hint="required for medical advice; becomes section C of the plan",
    ),
    DIAGNOSES,
    Field(
        "social_care_needs",
        "What are the child's social care needs?",
        T.LONG_TEXT,
        hint="required for social care advice; becomes section D of the plan",
    ),
    Field(
        "social_care_status",
        "What is the child's social care status?",
        T.CHOICE,
        choices=SOCIAL_CARE_STATUSES,
        hint="required for social care advice",
    ),
)

_OUTCOMES = step(
    6,
    "Outcomes and provision",
    "Give the outcomes the child should work towards and the provision each one needs.",
    OUTCOMES,
    PROVISION,
    Field(
        "preparing_for_adulthood",
        "What support does the young person need to prepare for adulthood?",
        T.LONG_TEXT,
        hint="required from Year 9",
    ),
    Field(
        "pfa_areas",
        "Which preparing-for-adulthood areas does it cover?",
        T.MULTI_CHOICE,
        choices=PFA_AREAS,
        hint="required from Year 9",
    ),
    Field(
        "adult_services_transition",
        "What is needed for the move to adult services?",
        T.LONG_TEXT,
        hint="for health advice",
    ),
    Field(
        "no_placement_named",
        "My advice describes provision and does not name a school or placement",
        T.CHECKBOX,
        required=True,
    ),
)

_DOCUMENTS = step(
    7,
    "Upload documents",
    "Attach your report and any supporting documents to your email and list each one here.",
    DOCUMENTS,
    Field(
        "primary_report_attached",
        "My full report is attached and is my statutory advice",
        T.CHECKBOX,
        hint="steps 4 to 6 may then hold summaries only",
    ),
)

_DECLARATION = step(
    8,
    "Summary and declaration",
    "Confirm how your advice will be used and sign it.",
    Field(
        "will_be_shared_ack",
        "I understand this advice will be shared with the family and "
        "included in the plan's appendices",
        T.CHECKBOX,
        required=True,
    ),
    Field(
        "third_party_info",
        "Is there information that must not be disclosed to the family?",
        T.LONG_TEXT,
        hint="safeguarding or third-party information; held separately",
    ),
    Field(
        "within_expertise",
        "My advice is within my professional expertise",
        T.CHECKBOX,
        required=True,
    ),
    Field(
        "declaration_accurate",
        "I declare the information in this advice is accurate",
        T.CHECKBOX,
        required=True,
    ),
    Field("terms_accepted", "I accept the terms of use", T.CHECKBOX, required=True),
    Field(
        "signed_name", "Sign by typing your full name", T.TEXT, required=True, hint="as in step 1"
    ),
    Field("signed_date", "Date signed", T.DATE, required=True),
    Field(
        "late_reason",
        "If this advice is late, why?",
        T.CHOICE,
        choices=LATE_REASONS,
        hint="required if sent after the due date",
    ),
    Field(
        "late_reason_detail",
        "Tell us more about why the advice is late",
        T.TEXT,
        hint="required if you chose Other",
    ),
)

ADVICE = FormDefinition(
    kind="advice",
    version=1,
    title="Professional advice for an EHC needs assessment",
    intro=(
        "Use this form to give your advice for a child's education, health and care needs "
        "assessment. Fill in every step, attach your report to your reply email and send the "
        "completed form back within six weeks of receiving the request."
    ),
    steps=(_ADVICE_GIVER, _CHILD, _BASIS, _VIEWS, _NEEDS, _OUTCOMES, _DOCUMENTS, _DECLARATION),
    rules=ADVICE_RULES,
    example=ADVICE_EXAMPLE,
)
