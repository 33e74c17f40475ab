"""The forms we send and read back, by kind."""

from __future__ import annotations

from ..schema import FormDefinition
from .registration import REGISTRATION

FORMS: dict[str, FormDefinition] = {form.kind: form for form in (REGISTRATION,)}
KINDS = ("request", "advice", "registration")


def get_form(kind: str) -> FormDefinition:
    """The definition of `kind`; KeyError names the kinds there are."""
    try:
        return FORMS[kind]
    except KeyError:
        raise KeyError(f"no form {kind!r}; the forms are {', '.join(KINDS)}") from None
