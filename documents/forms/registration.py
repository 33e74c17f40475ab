"""The registration form: one page a professional returns to open an account.

The email address is never a field: it is the address the form came back from, and the one the
activation link goes to.
"""

from __future__ import annotations

from documents.forms.common import ORGANISATION_TYPES, ROLES, organisation_id_shape
from documents.schema import Field, FieldType, FormDefinition, step

T = FieldType

REGISTRATION = FormDefinition(
    kind="registration",
    version=1,
    title="Register as a professional",
    intro=(
        "Fill in this form and reply to the email it came with, attaching the completed form. "
        "We will send an activation link to the address you reply from."
    ),
    steps=(
        step(
            1,
            "Your details",
            "Tell us who you are and where you work.",
            Field("name", "Your full name", T.TEXT, required=True, min_length=2, max_length=100),
            Field("job_title", "Your job title", T.TEXT, required=True),
            Field("role", "Your role", T.CHOICE, required=True, choices=ROLES),
            Field("organisation_name", "Organisation name", T.TEXT, required=True),
            Field(
                "organisation_type",
                "Organisation type",
                T.CHOICE,
                required=True,
                choices=ORGANISATION_TYPES,
            ),
            Field(
                "organisation_id",
                "School URN or NHS ODS code (if you have one)",
                T.TEXT,
                hint="school URN: 6 digits; NHS ODS code: 3 to 6 letters and digits",
                max_length=6,
            ),
            Field("work_phone", "Work phone number", T.PHONE, required=True),
            Field("work_address", "Work address", T.LONG_TEXT, required=True, max_length=500),
            Field("work_postcode", "Work postcode", T.POSTCODE, required=True),
            Field("terms_accepted", "I accept the terms of use", T.CHECKBOX, required=True),
        ),
    ),
    rules=(organisation_id_shape(1, "organisation_id"),),
    example={
        "name": "Siân Llewelyn-Łukasz",
        "job_title": "SENCO and assistant head",
        "role": "SENCO",
        "organisation_name": "Glan Ŵy Primary School",
        "organisation_type": "Maintained school",
        "organisation_id": "120345",
        "work_phone": "+441164541000",
        "work_address": "Glan Ŵy Primary School\n12 Church Street\nLeicester",
        "work_postcode": "LE1 6ZG",
        "terms_accepted": True,
    },
)
