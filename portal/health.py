"""`/healthz`: whether the service can reach what it depends on, as JSON for a load balancer or a
monitoring check. Each part is one named check; issue 12 adds the mailbox and the relay."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse

from intake.services import Services
from portal.identity import services_of

logger = logging.getLogger("intake.web")


def database_reachable(services: Services) -> None:
    with services.db.session() as session:
        session.execute(text("SELECT 1"))


# name -> check raising when the part cannot be reached.
CHECKS: dict[str, Callable[[Services], None]] = {
    "database": database_reachable,
}


def report_health(request: Request) -> JSONResponse:
    """`{"ok": bool, "checks": {"database": {"ok": bool, "ms": float}}}`; 503 when any fails.
    What failed is logged, not shown: the endpoint needs no sign-in."""
    services = services_of(request)
    checks = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            check(services)
            ok = True
        except Exception:
            logger.warning("health check %s failed", name, exc_info=True)
            ok = False
        checks[name] = {"ok": ok, "ms": round((time.perf_counter() - started) * 1000, 1)}
    healthy = all(c["ok"] for c in checks.values())
    return JSONResponse(
        {"ok": healthy, "checks": checks},
        status_code=200 if healthy else 503,
        headers={"Cache-Control": "no-store"},
    )
