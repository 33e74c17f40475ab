"""Choice lists, fields and age reckoning that more than one form shares.

A choice list that two forms offer ("as Form A roles", "same choice") is one tuple here, so the
forms cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta

from documents.rules import as_date, present
from documents.schema import Answers, CheckContext, Field, FieldType, Group, Rejection, Rule

ROLES = (
    "SENCO",
    "Headteacher/Principal",
    "Early years SEN lead",
    "Educational psychologist",
    "Paediatrician/doctor",
    "Nurse",
    "Speech and language therapist",
    "Occupational therapist",
    "Physiotherapist",
    "CAMHS clinician",
    "Social worker/Early help worker",
    "Specialist/advisory teacher (incl. QTVI/QTHI)",
    "Other",
)

ORGANISATION_TYPES = (
    "Maintained school",
    "Academy/free school",
    "Special school",
    "Independent school",
    "Early years provider",
    "FE/sixth-form college",
    "Alternative provision",
    "NHS service",
    "LA social care/early help",
    "LA psychology/SEND service",
    "Other",
)

# Organisations that hold pupils on a school roll, so know the child's UPN.
SCHOOL_ORGANISATION_TYPES = (
    "Maintained school",
    "Academy/free school",
    "Special school",
    "Independent school",
)

# Settings that may ask on behalf of the child's own school or college (Children and Families Act
# 2014 s.36(1)). Alternative provision counts: a pupil referral unit is a school in law.
EDUCATION_ORGANISATION_TYPES = (
    *SCHOOL_ORGANISATION_TYPES,
    "Early years provider",
    "FE/sixth-form college",
    "Alternative provision",
)

YES_NO = ("Yes", "No")
YES_NO_NOT_KNOWN = ("Yes", "No", "Not known")

AREAS_OF_NEED = (
    "Communication and interaction",
    "Cognition and learning",
    "SEMH",
    "Sensory and/or physical",
)

# The SEN type codes of the school census, each inside one of the four areas of need; OTH
# (other difficulty) may sit in any.
NEED_TYPES_BY_AREA = {
    "SPLD": ("Cognition and learning",),
    "MLD": ("Cognition and learning",),
    "SLD": ("Cognition and learning",),
    "PMLD": ("Cognition and learning",),
    "SEMH": ("SEMH",),
    "SLCN": ("Communication and interaction",),
    "HI": ("Sensory and/or physical",),
    "VI": ("Sensory and/or physical",),
    "MSI": ("Sensory and/or physical",),
    "PD": ("Sensory and/or physical",),
    "ASD": ("Communication and interaction",),
    "OTH": AREAS_OF_NEED,
}
NEED_TYPES = tuple(NEED_TYPES_BY_AREA)
NEED_TYPE_HINT = (
    "SPLD specific, MLD moderate, SLD severe, PMLD profound and multiple learning difficulty; "
    "SEMH; SLCN speech, language and communication; HI hearing, VI vision, MSI multi-sensory "
    "impairment; PD physical disability; ASD autistic spectrum; OTH other"
)

# The four needs boxes, keyed by the area of need each one describes.
NEEDS_BOX_BY_AREA = {
    "Communication and interaction": "needs_comm_interaction",
    "Cognition and learning": "needs_cognition_learning",
    "SEMH": "needs_semh",
    "Sensory and/or physical": "needs_sensory_physical",
}
NEEDS_BOXES = tuple(NEEDS_BOX_BY_AREA.values())


def needs_box_fields() -> tuple[Field, ...]:
    """The four "needs in this area" boxes both forms ask for."""
    return (
        Field(
            "needs_comm_interaction",
            "What are the child's needs in communication and interaction?",
            FieldType.LONG_TEXT,
            hint="speech, language, understanding others, social interaction",
        ),
        Field(
            "needs_cognition_learning",
            "What are the child's needs in cognition and learning?",
            FieldType.LONG_TEXT,
            hint="learning difficulties, memory, processing, literacy and numeracy",
        ),
        Field(
            "needs_semh",
            "What are the child's social, emotional and mental health (SEMH) needs?",
            FieldType.LONG_TEXT,
            hint="wellbeing, behaviour, relationships, anxiety",
        ),
        Field(
            "needs_sensory_physical",
            "What are the child's sensory and/or physical needs?",
            FieldType.LONG_TEXT,
            hint="hearing, vision, mobility, motor skills, sensory processing",
        ),
    )


DOCUMENT_TYPES = (
    "SEN support plan/IEP",
    "Provision map",
    "Attainment/progress data",
    "EP report",
    "Medical report",
    "SALT/OT/physio report",
    "Social care assessment",
    "Parent/carer views",
    "Child's views/All About Me",
    "Attendance record",
    "Other",
)


def documents_group(rows: int, min_rows: int = 0) -> Group:
    """The uploads repeater: one row per file attached to the reply email."""
    return Group(
        "documents",
        "Documents attached to your email",
        fields=(
            Field(
                "file",
                "File name of the attachment",
                FieldType.FILE,
                required=True,
                hint="exactly as attached, for example provision-map-2025.pdf",
            ),
            Field(
                "type",
                "What kind of document is it?",
                FieldType.CHOICE,
                required=True,
                choices=DOCUMENT_TYPES,
            ),
            Field(
                "description",
                "Describe the document in a few words",
                FieldType.TEXT,
                required=True,
                min_length=3,
                max_length=200,
            ),
            Field("dated", "Date of the document", FieldType.DATE),
        ),
        rows=rows,
        min_rows=min_rows,
        overflow_label="More documents: file name, type and description, one per line",
    )


# A school URN is 6 digits; an NHS ODS code 3-6 letters and digits.
_ORGANISATION_ID = re.compile(r"\d{6}|[A-Z0-9]{3,6}")


def organisation_id_shape(step: int, target: str) -> Rule:
    def check(answers: Answers, ctx: CheckContext) -> Iterable[Rejection]:
        value = answers.get(target)
        if present(value) and not _ORGANISATION_ID.fullmatch(str(value).strip().upper()):
            yield Rejection("organisation-id-invalid", step, target)

    return Rule(
        "organisation-id-shape",
        f"{target} is a 6-digit school URN or a 3-6 character NHS ODS code",
        step,
        check,
    )


def years_between(born: date, on: date) -> int:
    """Whole years from `born` to `on` (negative when `on` is before `born`)."""
    years = on.year - born.year
    if (on.month, on.day) < (born.month, born.day):
        years -= 1
    return years


def age_at(answers: Answers, ctx: CheckContext, reference: str | None = None) -> int | None:
    """The child's age on the date answered in `reference` (else today), None without a DOB."""
    born = as_date(answers.get("date_of_birth"))
    if born is None:
        return None
    on = as_date(answers.get(reference)) if reference else None
    return years_between(born, on or ctx.today)


YOUNG_PERSON_AGE = 16


def is_young_person(answers: Answers, ctx: CheckContext) -> bool:
    """16 or over on the day the request was signed (or today, unsigned)."""
    age = age_at(answers, ctx, "signed_date")
    return age is not None and age >= YOUNG_PERSON_AGE


def school_year_start(today: date) -> date:
    return date(today.year if today.month >= 9 else today.year - 1, 9, 1)


def is_year_9_or_above(answers: Answers, ctx: CheckContext) -> bool:
    """Year 9 or above by age: 13 or over when the current school year began.

    A school year group holds the children born 1 September to 31 August, so age is reckoned
    on 31 August: a child born on 1 September turns 13 on the first day of the year but is
    in the younger group, Year 8.
    """
    born = as_date(answers.get("date_of_birth"))
    if born is None:
        return False
    return years_between(born, school_year_start(ctx.today) - timedelta(days=1)) >= 13


def text_of_length(length: int, body: str, tally_intro: str) -> str:
    """`body`, then a tally of weekly scores that brings it to exactly `length` characters.

    Example answers must fill a long-text box to its limit, and a list of scores can be made any
    length without ending mid-word.
    """
    gap = length - len(body) - len(tally_intro) - len(".")
    # a one-digit and b two-digit scores joined by ", " take 3a + 4b - 2 characters.
    for two_digit in range(gap // 4 + 2):
        rest = gap + 2 - 4 * two_digit
        if rest >= 0 and rest % 3 == 0:
            scores = [str(3 + i % 7) for i in range(rest // 3)]
            scores += [str(10 + i % 11) for i in range(two_digit)]
            return f"{body}{tally_intro}{', '.join(scores)}."
    raise ValueError(f"body of {len(body)} characters cannot be brought to {length}")
