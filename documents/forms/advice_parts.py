"""The choice lists and repeating groups of the advice form, shared by its steps and its rules.

Shared choice lists live in `common`.
"""

from __future__ import annotations

from documents.forms.common import AREAS_OF_NEED, documents_group
from documents.schema import Field, FieldType, Group

T = FieldType

ADVICE_TYPES = (
    "Educational 6(1)(b)",
    "Medical/health 6(1)(c)",
    "Psychological 6(1)(d)",
    "Social care 6(1)(e)",
    "Other requested by LA 6(1)(f)",
    "Preparing for adulthood 6(1)(g)",
    "Requested by family 6(1)(h)",
)
MEDICAL_ADVICE = "Medical/health 6(1)(c)"
SOCIAL_CARE_ADVICE = "Social care 6(1)(e)"

PROFESSIONAL_REGISTERS = (
    "HCPC",
    "GMC",
    "NMC",
    "Social Work England",
    "Teaching (QTS)",
    "None/Other",
)
METHODS = (
    "Observation in setting",
    "Direct work with child",
    "Standardised assessment",
    "Discussion with parents",
    "Discussion with staff",
    "Records/reports review",
    "Home visit",
    "Clinic appointment",
)
EXISTING_ADVICE = (
    "New advice",
    "Existing report reused — family and LA agree it is sufficient (reg 6(4))",
)
HOW_VIEWS_GATHERED = (
    "Direct conversation",
    "Observation",
    "Communication aid",
    "Via parent/staff",
    "Not possible",
)
SOCIAL_CARE_STATUSES = (
    "No involvement",
    "Early help",
    "CIN plan",
    "CP plan",
    "Looked after",
    "Care leaver",
    "Adult social care 18+",
)
OUTCOME_AREAS = (*AREAS_OF_NEED, "Health", "Social care", "Preparing for adulthood")
BY_WHEN = ("End of current key stage", "12 months", "End of next phase", "Other")
PLAN_SECTIONS = ("F educational", "G health", "H1 CSDPA s.2", "H2 other social care")
PFA_AREAS = ("Employment", "Independent living", "Friends/relationships/community", "Good health")
# Only the three after "Not late" are reg 8(2) grounds for missing the six weeks.
LATE_REASONS = (
    "Not late",
    "Child missed appointment",
    "Exceptional family circumstances",
    "Family away 4+ weeks",
    "Other",
)

DIAGNOSES = Group(
    "diagnoses",
    "Diagnoses",
    fields=(
        Field("condition", "Condition diagnosed", T.TEXT, required=True),
        Field("year_diagnosed", "Year diagnosed", T.NUMBER, minimum=1900, hint="for example 2023"),
        Field("by_whom", "Diagnosed by (role or service)", T.TEXT),
    ),
    rows=3,
)

OUTCOMES = Group(
    "outcomes",
    "Outcomes",
    fields=(
        Field("area", "Area of the outcome", T.CHOICE, required=True, choices=OUTCOME_AREAS),
        Field(
            "text",
            "What should the child be able to do?",
            T.LONG_TEXT,
            required=True,
            max_length=1000,
            hint="specific and measurable, up to 1,000 characters",
        ),
        Field("by_when", "By when?", T.CHOICE, required=True, choices=BY_WHEN),
    ),
    rows=4,
    min_rows=1,
)

# A provision row names the outcome row it serves, so the choices follow the outcome rows.
OUTCOME_REFS = tuple(f"Outcome {row}" for row in range(1, OUTCOMES.rows + 1))

PROVISION = Group(
    "provision",
    "Provision",
    fields=(
        Field(
            "outcome_ref",
            "Which outcome does it serve?",
            T.CHOICE,
            required=True,
            choices=OUTCOME_REFS,
        ),
        Field("what", "What provision is needed?", T.LONG_TEXT, required=True),
        Field(
            "who",
            "Who should provide it (a role, not a person)?",
            T.TEXT,
            required=True,
            hint='for example "qualified speech and language therapist"',
        ),
        Field(
            "how_often",
            "How often, and for how long?",
            T.TEXT,
            required=True,
            hint='a number and a period, for example "3 x 30 minutes per week"',
        ),
        Field(
            "plan_section",
            "Which section of the plan?",
            T.CHOICE,
            required=True,
            choices=PLAN_SECTIONS,
        ),
    ),
    rows=5,
    min_rows=1,
)

DOCUMENTS = documents_group(rows=5)
