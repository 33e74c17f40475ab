"""What the caseworkers' queue pages share: who may use them (`Caseworker`, the one gate every
caseworkers' page uses: `portal.casework.caseworkers`), ids from the path, and times shown in the
service's time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from starlette.exceptions import HTTPException
from starlette.requests import Request

from portal.casework.caseworkers import Caseworker
from portal.identity import services_of

__all__ = ["Caseworker", "local_time", "number_in_path"]


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
