"""Who is asking: the signed-in account behind a request's session, loaded from the store on
each request so that a deactivated account or a changed password ends the session at once."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.requests import Request

from intake.services import Services
from portal.sessions import sign_out, signed_in_id, still_valid
from store import Professional


def services_of(request: Request) -> Services:
    return request.app.state.services


def signed_in(request: Request) -> Professional | None:
    """The signed-in account (detached from its database session), or None; pages render
    `request.state.professional` in their header."""
    services = services_of(request)
    request.state.professional = None
    user_id = signed_in_id(request)
    if user_id is None:
        return None
    with services.db.session() as session:
        professional = session.get(Professional, user_id)
        if not still_valid(request, services.key, professional):
            sign_out(request)
            return None
        session.expunge(professional)
    request.state.professional = professional
    return professional


class SignInNeeded(Exception):
    """A page for signed-in people only, asked for by someone who is not: sent to sign in."""


def require_signed_in(request: Request) -> Professional:
    professional = signed_in(request)
    if professional is None:
        raise SignInNeeded()
    return professional


# A route's parameter `professional: SignedIn` admits only signed-in people (app.py's table
# says which routes those are, and a test holds each to it).
SignedIn = Annotated[Professional, Depends(require_signed_in)]
