"""The forms we send and read back, by kind."""

from __future__ import annotations

from ..schema import FormDefinition
from .advice import ADVICE
from .registration import REGISTRATION
from .request import REQUEST

FORMS: dict[str, FormDefinition] = {form.kind: form for form in (REQUEST, ADVICE, REGISTRATION)}
KINDS = ("request", "advice", "registration")


def get_form(kind: str) -> FormDefinition:
    """The definition of `kind`; KeyError names the kinds there are."""
    try:
        return FORMS[kind]
    except KeyError:
        raise KeyError(f"no form {kind!r}; the forms are {', '.join(KINDS)}") from None
