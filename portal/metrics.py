"""`/metrics`: the service's counts in Prometheus's text format (`intake.views.metrics`).

Who may read it: a monitoring server sending `Authorization: Bearer INTAKE_METRICS_TOKEN` (when
that setting is set), or a signed-in caseworker. Anyone else is treated as on any caseworkers'
page (sent to sign in, or refused with a 403); a wrong token is a 401. The figures are counts,
ages and times, with no child's or sender's data, but they still say how busy the service is.
"""

from __future__ import annotations

import hmac

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from intake.views.metrics import prometheus_text, read_metrics
from portal.casework.caseworkers import require_caseworker
from portal.identity import services_of

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def report_metrics(request: Request) -> Response:
    services = services_of(request)
    presented = request.headers.get("authorization")
    if presented is not None and presented.lower().startswith("bearer "):
        expected = services.settings.metrics_token
        token = presented[len("bearer ") :].strip()
        if expected is None or not hmac.compare_digest(token.encode(), expected.encode()):
            return PlainTextResponse(
                "Unauthorized", status_code=401, headers={"WWW-Authenticate": "Bearer"}
            )
    else:
        require_caseworker(request)
    with services.db.session() as session:
        text = prometheus_text(read_metrics(session, services.now()))
    return Response(text, media_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})
