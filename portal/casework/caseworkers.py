"""Pages for SES caseworkers only: a signed-in professional without the caseworker role is
refused (403, a page saying so), someone not signed in is sent to sign in."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.requests import Request
from starlette.responses import Response

from portal.identity import require_signed_in
from portal.pages import render
from store import Professional


class CaseworkersOnly(Exception):
    """A caseworkers' page asked for by a signed-in person who is not one."""


def require_caseworker(request: Request) -> Professional:
    professional = require_signed_in(request)
    if not professional.is_caseworker:
        raise CaseworkersOnly()
    return professional


# A route's parameter `caseworker: Caseworker` admits only signed-in caseworkers.
Caseworker = Annotated[Professional, Depends(require_caseworker)]


def refuse_non_caseworker(request: Request, exc: Exception) -> Response:
    return render(request, "caseworkers_only.html", status_code=403)
