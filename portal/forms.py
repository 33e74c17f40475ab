"""A form sent to us: refused unless it carries this session's CSRF token, then read as plain
strings (every POST route takes its form through `checked_form`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.requests import Request

from portal.sessions import CSRF_FIELD, csrf_matches

# Our forms are a few short fields; a larger body is not one of them.
MAX_FIELDS = 50
MAX_FILES = 0


class CsrfRefused(Exception):
    """A POST without this session's CSRF token: shown as a 403 page, and nothing done."""


class SentForm(dict[str, str]):
    """The fields of a submitted form, each the last value given, stripped of nothing."""

    def text(self, name: str) -> str:
        return self.get(name, "")

    def stripped(self, name: str) -> str:
        return self.get(name, "").strip()


async def checked_form(request: Request) -> SentForm:
    """The form's fields, once its CSRF token has been checked against the session's."""
    data = await request.form(max_fields=MAX_FIELDS, max_files=MAX_FILES)
    if not csrf_matches(request, data.get(CSRF_FIELD)):
        raise CsrfRefused()
    return SentForm((key, value) for key, value in data.items() if isinstance(value, str))


# A route's parameter `form: CheckedForm` is the form, CSRF-checked before the route runs.
CheckedForm = Annotated[SentForm, Depends(checked_form)]
