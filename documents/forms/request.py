"""Form A: a professional's request for a statutory EHC needs assessment, in 8 steps.

The steps and fields follow domain/forms.md section 4: steps 1 to 4 here, 5 to 8 in
`request_later_steps`; the rules are in `request_rules`, the example answers in `request_example`.
"""

from __future__ import annotations

from documents.forms.common import (
    AREAS_OF_NEED,
    NEED_TYPE_HINT,
    NEED_TYPES,
    ORGANISATION_TYPES,
    ROLES,
    YES_NO_NOT_KNOWN,
    needs_box_fields,
)
from documents.forms.request_example import REQUEST_EXAMPLE
from documents.forms.request_later_steps import (
    CONTACTS_STEP,
    DECLARATION_STEP,
    DOCUMENTS_STEP,
    SUPPORT_STEP,
)
from documents.forms.request_parts import (
    ETHNICITIES,
    FAMILY_AWARE,
    IMPAIRMENTS,
    LOOKED_AFTER,
    REQUEST_BASIS,
    SETTING_TYPES,
    SEX,
    SOCIAL_CARE_INVOLVEMENT,
    YEAR_GROUPS,
)
from documents.forms.request_rules import REQUEST_RULES
from documents.schema import Field, FieldType, FormDefinition, step

T = FieldType

_WORK_DETAILS = step(
    1,
    "Your work details and role",
    "Tell us who you are, where you work and on what basis you are asking for an assessment.",
    Field(
        "referrer_name",
        "What is your full name?",
        T.TEXT,
        required=True,
        min_length=2,
        max_length=100,
        hint="letters, spaces, hyphens, apostrophes and full stops",
        prefill="professional.name",
    ),
    Field(
        "referrer_role",
        "What is your role?",
        T.CHOICE,
        required=True,
        choices=ROLES,
        prefill="professional.role",
    ),
    Field("referrer_role_other", "If you chose Other, what is your role?", T.TEXT),
    Field(
        "organisation_name",
        "Which organisation do you work for?",
        T.TEXT,
        required=True,
        prefill="professional.organisation_name",
    ),
    Field(
        "organisation_type",
        "What type of organisation is it?",
        T.CHOICE,
        required=True,
        choices=ORGANISATION_TYPES,
        prefill="professional.organisation_type",
    ),
    Field(
        "organisation_id",
        "What is your organisation's school URN or NHS ODS code?",
        T.TEXT,
        max_length=6,
        hint="school URN: 6 digits; NHS ODS code: 3 to 6 letters and digits",
        prefill="professional.organisation_id",
    ),
    Field(
        "work_email",
        "What is your work email address?",
        T.EMAIL,
        required=True,
        hint="reply from this address",
        prefill="professional.email",
    ),
    Field(
        "work_phone",
        "What is your work phone number?",
        T.PHONE,
        required=True,
        prefill="professional.phone",
    ),
    Field(
        "request_basis",
        "On what basis are you making this request?",
        T.CHOICE,
        required=True,
        choices=REQUEST_BASIS,
        hint="only a school, college or early years setting the child attends can ask under "
        "s.36(1)",
    ),
    Field(
        "family_aware",
        "Does the family know about and agree to this request?",
        T.CHOICE,
        required=True,
        choices=FAMILY_AWARE,
    ),
    Field(
        "family_aware_reason",
        "If not, why is the family not aware, or why do they not agree?",
        T.LONG_TEXT,
        min_length=20,
    ),
)

_CHILD = step(
    2,
    "About the child or young person",
    "Give the child's legal name and home details as the school or service holds them.",
    Field("child_forename", "What is the child's legal first name?", T.TEXT, required=True),
    Field("child_surname", "What is the child's legal surname?", T.TEXT, required=True),
    Field("child_known_as", "Is the child known by another name? If so, which?", T.TEXT),
    Field("date_of_birth", "What is the child's date of birth?", T.DATE, required=True),
    Field("sex", "What is the child's sex?", T.CHOICE, required=True, choices=SEX),
    Field("address_line_1", "Home address: first line", T.TEXT, required=True),
    Field("address_line_2", "Home address: second line", T.TEXT),
    Field("town", "Home address: town or city", T.TEXT, required=True),
    Field("postcode", "Home postcode", T.POSTCODE, required=True),
    Field(
        "upn",
        "What is the child's unique pupil number (UPN)?",
        T.UPN,
        hint="required if your organisation is a school with the child on roll",
    ),
    Field("nhs_number", "What is the child's NHS number, if you know it?", T.NHS_NUMBER),
    Field(
        "ethnicity",
        "What is the child's ethnicity?",
        T.CHOICE,
        choices=ETHNICITIES,
        hint="as recorded in the school census",
    ),
    Field("first_language", "What is the child's first language?", T.TEXT),
    Field(
        "looked_after",
        "Is the child looked after by a local authority?",
        T.CHOICE,
        required=True,
        choices=LOOKED_AFTER,
    ),
    Field("responsible_la", "If looked after, which local authority is responsible?", T.TEXT),
    Field(
        "social_worker_contact",
        "Social worker's name, phone and email (if looked after or on a child protection plan)",
        T.TEXT,
    ),
    Field(
        "forces_family",
        "Is the child from an armed forces family?",
        T.CHOICE,
        choices=YES_NO_NOT_KNOWN,
    ),
)

_SETTING = step(
    3,
    "Education setting and attendance",
    "Tell us where the child is educated now and how well they attend.",
    Field(
        "setting_name",
        "Which setting does the child attend?",
        T.TEXT,
        required=True,
        hint='write "Not in education" if none',
    ),
    Field(
        "setting_type",
        "What type of setting is it?",
        T.CHOICE,
        required=True,
        choices=SETTING_TYPES,
    ),
    Field("date_admitted", "When was the child admitted to this setting?", T.DATE),
    Field(
        "year_group",
        "Which year group is the child in?",
        T.CHOICE,
        choices=YEAR_GROUPS,
        hint="required unless the child is home educated or not in education",
    ),
    Field(
        "out_of_year_group",
        "Tick if the child is taught outside their chronological year group",
        T.CHECKBOX,
    ),
    Field(
        "attendance_pct_12m",
        "What was the child's attendance over the last 12 months (%)?",
        T.NUMBER,
        minimum=0,
        maximum=100,
        decimals=1,
        hint="0 to 100, one decimal place",
    ),
    Field(
        "suspensions_or_part_time",
        "Describe any suspensions, exclusions or part-time timetable",
        T.LONG_TEXT,
    ),
    Field(
        "previous_settings", "Which settings has the child attended before, and when?", T.LONG_TEXT
    ),
)

_NEEDS = step(
    4,
    "The child's needs",
    "Describe the child's special educational needs. Fill in the box for the primary area of "
    "need and any other area that applies.",
    Field(
        "primary_area_of_need",
        "What is the child's primary area of need?",
        T.CHOICE,
        required=True,
        choices=AREAS_OF_NEED,
    ),
    Field(
        "primary_need_type",
        "What is the primary type of need?",
        T.CHOICE,
        required=True,
        choices=NEED_TYPES,
        hint=NEED_TYPE_HINT,
    ),
    Field(
        "secondary_need_type",
        "Is there a secondary type of need? If so, which?",
        T.CHOICE,
        choices=NEED_TYPES,
        hint="different from the primary type",
    ),
    *needs_box_fields(),
    Field(
        "hearing_or_vision_impairment",
        "Does the child have a hearing or vision impairment?",
        T.CHOICE,
        required=True,
        choices=IMPAIRMENTS,
        hint="a specialist teacher will then be asked for advice",
    ),
    Field(
        "diagnoses",
        "What diagnoses does the child have, and who made them?",
        T.LONG_TEXT,
        hint="no need to list medicines",
    ),
    Field(
        "attainment_and_progress",
        "What are the child's current attainment and rate of progress?",
        T.LONG_TEXT,
        required=True,
        min_length=50,
        hint="at least 50 characters; compare with peers",
    ),
    Field("health_needs_summary", "Summarise any health needs", T.LONG_TEXT),
    Field(
        "social_care_involvement",
        "Which social care involvement is there? Tick all that apply",
        T.MULTI_CHOICE,
        required=True,
        choices=SOCIAL_CARE_INVOLVEMENT,
    ),
)

REQUEST = FormDefinition(
    kind="request",
    version=1,
    title="Request for a statutory EHC needs assessment",
    intro=(
        "Use this form to ask the council to carry out an education, health and care needs "
        "assessment. Fill in every step, attach your supporting documents to your reply email "
        "and send the completed form back."
    ),
    steps=(
        _WORK_DETAILS,
        _CHILD,
        _SETTING,
        _NEEDS,
        SUPPORT_STEP,
        DOCUMENTS_STEP,
        CONTACTS_STEP,
        DECLARATION_STEP,
    ),
    rules=REQUEST_RULES,
    example=REQUEST_EXAMPLE,
)
