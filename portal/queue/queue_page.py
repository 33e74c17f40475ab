"""GET /queue: the intake queue for caseworkers, one list at a time (`?status=`), newest first,
50 rows a page (`?page=`), narrowed by a case or advice reference or part of a sender's address
(`?q=`), with every list's count. It reads the same lists as `intake queue`
(intake.views.queue_lists)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from intake.views.queue_lists import DEFAULT_LIST, LIST_BY_NAME, QUEUE_LISTS, queue_page
from portal.identity import services_of
from portal.pages import render
from portal.queue.access import Caseworker, local_time

# Where each kind of row leads: its message, or its case (advice and mail name their case).
MESSAGE_KINDS = ("message",)
CASE_KINDS = ("case", "deadline", "advice", "undelivered-mail", "held-mail")


def link_of(row: dict[str, Any]) -> str | None:
    if row["type"] in MESSAGE_KINDS:
        return f"/messages/{row['id']}"
    reference = row["id"] if row["type"] in ("case", "deadline") else row.get("reference")
    if reference and reference.startswith("EHC-"):
        return f"/cases/{reference}"
    if reference and reference.startswith("inbound_message "):
        return f"/messages/{reference.removeprefix('inbound_message ')}"
    return None


def page_number(value: str) -> int:
    return int(value) if value.isdigit() and len(value) < 7 else 1


def show_queue(
    request: Request, caseworker: Caseworker, status: str = "", page: str = "1", q: str = ""
) -> Response:
    services = services_of(request)
    name = status if status in LIST_BY_NAME else DEFAULT_LIST
    shown = queue_page(services, name, page_number(page), q.strip())

    def page_link(number: int) -> str:
        wanted = {"status": name, "page": number, **({"q": shown.search} if shown.search else {})}
        return "/queue?" + urlencode(wanted)

    def list_link(list_name: str) -> str:
        wanted = {"status": list_name, **({"q": shown.search} if shown.search else {})}
        return "/queue?" + urlencode(wanted)

    rows = [
        {**row, "link": link_of(row), "when": local_time(request, row["received_at"])}
        for row in shown.rows
    ]
    return render(
        request,
        "queue.html",
        shown=shown,
        rows=rows,
        lists=[queue_list.name for queue_list in QUEUE_LISTS],
        page_link=page_link,
        list_link=list_link,
    )
