"""Who may use the caseworkers' pages: a signed-in caseworker account. A professional who asks
for one is told there is no such page (it does not exist for them); a visitor signed out is sent
to sign in first. The pages show times in the service's time zone."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends
from starlette.exceptions import HTTPException
from starlette.requests import Request

from portal.identity import require_signed_in, services_of
from store import Professional

# The `who` of these routes in the app's table.
CASEWORKER = "caseworker"


def require_caseworker(request: Request) -> Professional:
    professional = require_signed_in(request)
    if not professional.is_caseworker:
        raise HTTPException(status_code=404)
    return professional


# A route's parameter `caseworker: Caseworker` admits only signed-in caseworkers.
Caseworker = Annotated[Professional, Depends(require_caseworker)]


def number_in_path(value: str) -> int:
    """A row's id from the path; anything else is a page that does not exist."""
    if not value.isdigit() or len(value) > 18:
        raise HTTPException(status_code=404)
    return int(value)


def local_time(request: Request, value: str | datetime | None) -> str:
    """A stored moment as the caseworker reads it: "2 Dec 2026, 11:20" in the service's zone."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        return moment.strftime("%-d %b %Y")
    zone = ZoneInfo(services_of(request).settings.timezone)
    return moment.astimezone(zone).strftime("%-d %b %Y, %H:%M")
