"""The forms we send and read back, by kind."""

from __future__ import annotations

from documents.forms.advice import ADVICE
from documents.forms.registration import REGISTRATION
from documents.forms.request import REQUEST
from documents.schema import FormDefinition

FORMS: dict[str, FormDefinition] = {form.kind: form for form in (REQUEST, ADVICE, REGISTRATION)}
KINDS = ("request", "advice", "registration")


def get_form(kind: str) -> FormDefinition:
    """The definition of `kind`; KeyError names the kinds there are."""
    try:
        return FORMS[kind]
    except KeyError:
        raise KeyError(f"no form {kind!r}; the forms are {', '.join(KINDS)}") from None
