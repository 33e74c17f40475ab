"""Steps 5 to 8 of the request form: support so far, documents, contacts and the declaration.

Steps 1 to 4 and the form itself are in `request`.
"""

from __future__ import annotations

from documents.forms.common import YES_NO, YES_NO_NOT_KNOWN
from documents.forms.request_parts import CONTACTS, DOCUMENTS, PROFESSIONALS_INVOLVED
from documents.schema import Field, FieldType, step

T = FieldType

SUPPORT_STEP = step(
    5,
    "Support so far, views and outcomes",
    "Tell us what has been tried, with what effect, and what the child and family want.",
    Field("sen_support_since", "Since when has the child had SEN support?", T.DATE),
    Field(
        "apdr_cycles",
        "How many assess-plan-do-review cycles have been completed?",
        T.NUMBER,
        required=True,
        minimum=0,
        maximum=99,
    ),
    Field(
        "interventions_and_impact",
        "What interventions have been used, and with what impact?",
        T.LONG_TEXT,
        required=True,
        min_length=100,
        hint="at least 100 characters",
    ),
    Field(
        "extra_resources_used",
        "What extra resources has the setting used?",
        T.LONG_TEXT,
        hint="a summary of the costed provision map",
    ),
    Field(
        "why_plan_may_be_needed",
        "Why may the child need special educational provision through an EHC plan?",
        T.LONG_TEXT,
        required=True,
        min_length=100,
        hint="at least 100 characters; why SEN support alone is not enough",
    ),
    PROFESSIONALS_INVOLVED,
    Field(
        "child_views",
        "What are the child's views?",
        T.LONG_TEXT,
        required=True,
        hint="or explain why their views could not be gathered",
    ),
    Field(
        "parent_views",
        "What are the parents' or carers' views?",
        T.LONG_TEXT,
        required=True,
        hint="or explain why their views could not be gathered",
    ),
    Field("outcomes_sought", "What outcomes are sought for the child?", T.LONG_TEXT, required=True),
    Field(
        "ep_involved",
        "Has an educational psychologist been involved?",
        T.CHOICE,
        choices=YES_NO_NOT_KNOWN,
        hint="for information only",
    ),
)

DOCUMENTS_STEP = step(
    6,
    "Upload documents",
    "Attach supporting documents to your email and list each one here.",
    DOCUMENTS,
)

CONTACTS_STEP = step(
    7,
    "Contacts",
    "The people with parental responsibility, and the young person's own details if 16 or over.",
    CONTACTS,
    Field("yp_email", "Young person 16+: what is their email address?", T.EMAIL),
    Field("yp_phone", "Young person 16+: what is their phone number?", T.PHONE),
    Field(
        "yp_agrees_to_request",
        "Young person 16+: do they agree to this request?",
        T.CHOICE,
        choices=YES_NO,
    ),
    Field(
        "yp_copy_parents",
        "Young person 16+: should their parents get copies of letters?",
        T.CHOICE,
        choices=YES_NO,
    ),
)

DECLARATION_STEP = step(
    8,
    "Consent, declaration and terms",
    "Confirm the family's consent and sign the request.",
    Field(
        "consent_to_share",
        "The family (or young person) agreed to this request and to "
        "information being shared with the agencies involved",
        T.CHECKBOX,
        required=True,
    ),
    Field(
        "consent_date",
        "On what date did they give consent?",
        T.DATE,
        required=True,
        hint="dd/mm/yyyy, within 6 months of signing",
    ),
    Field(
        "do_not_share_with",
        "Is there anyone the family does not want given information?",
        T.LONG_TEXT,
        hint="name the people or services",
    ),
    Field(
        "declaration_accurate",
        "I declare the information in this request is accurate",
        T.CHECKBOX,
        required=True,
    ),
    Field(
        "privacy_notice_read",
        "I have read the council's SEND privacy notice",
        T.CHECKBOX,
        required=True,
    ),
    Field("terms_accepted", "I accept the terms of use", T.CHECKBOX, required=True),
    Field(
        "signed_name", "Sign by typing your full name", T.TEXT, required=True, hint="as in step 1"
    ),
    Field("signed_date", "Date signed", T.DATE, required=True),
)
