"""The choice lists and repeating groups of the request form, shared by its steps and its rules.

Shared choice lists live in `common`.
"""

from __future__ import annotations

from documents.forms.common import YES_NO_NOT_KNOWN, documents_group
from documents.schema import Field, FieldType, Group

T = FieldType

REQUEST_BASIS = (
    "On behalf of the school/college the child attends — s.36(1)",
    "Bringing the child to the LA's attention as another professional",
)
FAMILY_AWARE = ("Yes — parent/carer agrees", "Yes — young person 16+ agrees", "No")
SEX = ("Female", "Male", "Not known", "Prefer not to say")
LOOKED_AFTER = ("No", "Yes — looked after", "Previously looked after")
# The DfE school census main ethnicity codes.
ETHNICITIES = (
    "White British (WBRI)",
    "White Irish (WIRI)",
    "Traveller of Irish heritage (WIRT)",
    "Gypsy/Roma (WROM)",
    "Any other White background (WOTH)",
    "White and Black Caribbean (MWBC)",
    "White and Black African (MWBA)",
    "White and Asian (MWAS)",
    "Any other mixed background (MOTH)",
    "Indian (AIND)",
    "Pakistani (APKN)",
    "Bangladeshi (ABAN)",
    "Any other Asian background (AOTH)",
    "Black Caribbean (BCRB)",
    "Black African (BAFR)",
    "Any other Black background (BOTH)",
    "Chinese (CHNE)",
    "Any other ethnic group (OOTH)",
    "Refused (REFU)",
    "Information not yet obtained (NOBT)",
)
SETTING_TYPES = (
    "Early years",
    "Mainstream primary",
    "Mainstream secondary",
    "Special school",
    "AP/PRU",
    "FE college",
    "Sixth form",
    "Independent",
    "Elective home education",
    "Not in education",
    "Other",
)
YEAR_GROUPS = ("Nursery", "Reception", *(f"Year {n}" for n in range(1, 15)))
IMPAIRMENTS = ("None", "Hearing", "Vision", "Both")
SOCIAL_CARE_INVOLVEMENT = (
    "None known",
    "Early help",
    "Child in need plan",
    "Child protection plan",
    "Looked after",
    "Care leaver",
    "Adult social care",
)
RELATIONSHIPS = (
    "Mother",
    "Father",
    "Other parent",
    "Step-parent",
    "Grandparent/relative",
    "Foster carer",
    "Special guardian",
    "Adoptive parent",
    "LA (corporate parent)",
    "Other",
)

PROFESSIONALS_INVOLVED = Group(
    "professionals_involved",
    "Other professionals involved",
    fields=(
        Field("name", "Professional's name", T.TEXT, required=True),
        Field("service", "Service or role", T.TEXT, required=True),
        Field("last_contact", "Date of last contact", T.DATE),
        Field("report_attached", "Report attached", T.CHECKBOX),
    ),
    rows=4,
)

DOCUMENTS = documents_group(rows=5, min_rows=1)

CONTACTS = Group(
    "contacts",
    "Parents and carers",
    fields=(
        Field(
            "relationship",
            "Relationship to the child",
            T.CHOICE,
            required=True,
            choices=RELATIONSHIPS,
        ),
        Field("forename", "First name", T.TEXT, required=True),
        Field("surname", "Surname", T.TEXT, required=True),
        Field(
            "has_parental_responsibility",
            "Has parental responsibility?",
            T.CHOICE,
            required=True,
            choices=YES_NO_NOT_KNOWN,
        ),
        Field("address_same_as_child", "Lives at the child's address", T.CHECKBOX),
        Field("address", "Address, if not the child's", T.TEXT),
        Field("postcode", "Postcode, if not the child's", T.POSTCODE),
        Field("email", "Email address", T.EMAIL, hint="give an email address or a phone"),
        Field("phone", "Phone number", T.PHONE, hint="give an email address or a phone"),
        Field("language_or_interpreter", "Language, or interpreter needed", T.TEXT),
        Field("main_contact", "Main contact (tick for one person)", T.CHECKBOX),
        Field("address_confidential", "Address must be kept confidential", T.CHECKBOX),
    ),
    rows=3,
)
