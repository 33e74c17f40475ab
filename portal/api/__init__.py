"""The JSON API under /api/ (read-only: the queue, messages, cases and advice requests) and its
description (/openapi.json, /docs). Authentication and authorisation are the pages' own
(portal.api.access); every answer is a pydantic model (portal.api.models) built from the view the
matching page shows.

`CASEWORKER_ROUTES` and `SIGNED_IN_ROUTES` are (method, path, endpoint, answer model) rows of
the app's one table of routes, which portal/app.py adds where it lists its own. No route here
takes a form: were one added, it would take its form through portal.forms.checked_form (the CSRF
token) like every POST of the portal.
"""

from portal.api import docs, endpoints
from portal.api.access import (
    API_HEADERS,
    API_PREFIX,
    REFUSALS,
    ApiRefused,
    is_api_request,
    no_store,
    refusal,
    refuse_api_request,
)
from portal.api.models import (
    AdviceRequestList,
    AdviceRequestRow,
    CaseForCaseworker,
    CaseForProfessional,
    CaseList,
    MessageDetail,
    QueuePage,
    Refusal,
)

# (method, path, endpoint, answer model): for caseworkers only.
CASEWORKER_ROUTES = (
    ("GET", "/api/queue", endpoints.get_queue, QueuePage),
    ("GET", "/api/messages/{inbound_id}", endpoints.get_message, MessageDetail),
)
# For anyone signed in; what each may read is decided inside (portal.api.access).
SIGNED_IN_ROUTES = (
    ("GET", "/api/cases", endpoints.list_cases, CaseList),
    (
        "GET",
        "/api/cases/{reference}",
        endpoints.get_case,
        CaseForCaseworker | CaseForProfessional,
    ),
    ("GET", "/api/advice-requests", endpoints.list_advice_requests, AdviceRequestList),
    ("GET", "/api/advice-requests/{reference}", endpoints.get_advice_request, AdviceRequestRow),
    # The description: the schema is JSON (401 to anyone not signed in), the page a page.
    ("GET", "/openapi.json", docs.show_openapi, None),
    ("GET", "/docs", docs.show_docs, None),
)

__all__ = [
    "API_HEADERS",
    "API_PREFIX",
    "REFUSALS",
    "CASEWORKER_ROUTES",
    "SIGNED_IN_ROUTES",
    "ApiRefused",
    "Refusal",
    "is_api_request",
    "no_store",
    "refusal",
    "refuse_api_request",
]
