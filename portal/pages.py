"""Rendering a page: the Jinja2 templates under templates/web/, the context every page shares
(service name, who is signed in, the CSRF token), and the problems a form is shown with.

A problem is a `Reason` (a code and the field it concerns); its sentence comes from the portal's
wording table templates/web/problems.toml, else from the service's table of reasons, so no
sentence a person reads is written in Python.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from intake.accounts import codes, links, passwords
from intake.reasons import Reason
from portal.identity import signed_in
from portal.sessions import CSRF_FIELD, csrf_token

# Pages show who is signed in and may hold personal data: never kept by a cache on the way.
PAGE_HEADERS = {"Cache-Control": "no-store"}


@dataclass(frozen=True)
class Problem:
    """One problem on a form, as the error summary and its field show it."""

    field: str | None
    text: str

    @property
    def anchor(self) -> str:
        return field_id(self.field) if self.field else "main-content"


def field_id(name: str) -> str:
    """The HTML id of a form field (the error summary links to it)."""
    return "field-" + "".join(c if c.isalnum() else "-" for c in name)


def _minutes(lifetime) -> int:
    return int(lifetime.total_seconds() // 60)


# The numbers pages and problems quote, taken from where they are enforced.
LIMITS = {
    "code_minutes": _minutes(codes.LIFETIMES["sign-in"]),
    "lock_minutes": _minutes(codes.LOCK_FOR),
    "reset_minutes": _minutes(links.LIFETIMES["reset-password"]),
    "activate_days": links.LIFETIMES["activate"].days,
    "password_min": passwords.MIN_LENGTH,
}


@cache
def page_templates() -> jinja2.Environment:
    folder = resources.files("templates").joinpath("web")
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals["field_id"] = field_id
    environment.globals["CSRF_FIELD"] = CSRF_FIELD
    environment.globals["limits"] = LIMITS
    return environment


@cache
def problem_wording() -> dict[str, str]:
    source = resources.files("templates").joinpath("web", "problems.toml").read_text("utf-8")
    return dict(tomllib.loads(source)["problems"])


def problem(code: str, field: str | None = None, **params: Any) -> Problem:
    return word(Reason(code, field=field, params=params))


def word(reason: Reason, form: str | None = None) -> Problem:
    """The reason's sentence: the portal's own wording when it has one, else the service's."""
    own = problem_wording().get(reason.code)
    if own is not None:
        return Problem(reason.field, own.format_map({**LIMITS, **reason.params}))
    if form and not reason.form:
        reason = Reason(reason.code, reason.step, reason.field, form, reason.params)
    return Problem(reason.field, reason.sentence())


def worded(reasons: Iterable[Reason], form: str | None = None) -> list[Problem]:
    return [word(r, form) for r in reasons]


def render(
    request: Request,
    template: str,
    *,
    status_code: int = 200,
    problems: Iterable[Problem] = (),
    **context: Any,
) -> HTMLResponse:
    """A page from templates/web/, with what every page needs."""
    problems = list(problems)
    services = request.app.state.services
    if not hasattr(request.state, "professional"):
        # A page whose route did not ask still shows who is signed in (and keeps them so).
        signed_in(request)
    body = (
        page_templates()
        .get_template(template)
        .render(
            request=request,
            service_name=services.settings.service_name,
            signed_in=request.state.professional,
            csrf_token=csrf_token(request),
            problems=problems,
            problem_for={p.field: p for p in reversed(problems) if p.field},
            values=context.pop("values", {}),
            **context,
        )
    )
    if problems and status_code == 200:
        # A form sent back with problems: 400 tells scripts; people see the page as usual.
        status_code = 400
    return HTMLResponse(body, status_code=status_code, headers=PAGE_HEADERS)
