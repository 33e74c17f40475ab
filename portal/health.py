"""`/healthz`: whether the service can reach what it depends on, as JSON for a load balancer or a
monitoring check. Each part is one named check in CHECKS: the database, the mailbox (when
INTAKE_IMAP_URL is set) and the relay (or, with none set, the outbox folder).

Every check runs at once in its own thread with short network timeouts, and the answer waits for
them no longer than HEALTH_DEADLINE_SECONDS: a server that accepts a connection and never speaks
makes its check fail, not the endpoint hang. What failed is logged, never shown (the endpoint
needs no sign-in), and never with a password.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from imapclient import IMAPClient
from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse

from intake.receive.imap import MailboxAddress
from intake.serve import outbound_transport
from intake.services import Services
from portal.identity import services_of

logger = logging.getLogger("intake.web")

# Each network call of a check (connect, greeting, a command's answer).
NETWORK_TIMEOUT_SECONDS = 3.0
# The whole answer: a check still running by then has failed.
HEALTH_DEADLINE_SECONDS = 5.0
NOT_CONFIGURED = "not configured"


def database_reachable(services: Services) -> str | None:
    with services.db.session() as session:
        session.execute(text("SELECT 1"))
    return None


def mailbox_reachable(services: Services) -> str | None:
    """Connect, log in, select the watched folder (read-only) and log out."""
    if not services.settings.imap_url:
        return NOT_CONFIGURED
    address = MailboxAddress.from_url(services.settings.imap_url)
    client = IMAPClient(
        address.host, address.port, ssl=address.tls, timeout=NETWORK_TIMEOUT_SECONDS
    )
    try:
        client.login(address.username, address.password)
        client.select_folder(address.folder, readonly=True)
    except BaseException:
        with contextlib.suppress(Exception):
            client.shutdown()
        raise
    client.logout()
    return None


def relay_reachable(services: Services) -> str | None:
    """The relay answers EHLO and NOOP; with no relay set, the outbox folder takes a file."""
    outbound_transport(services, timeout=NETWORK_TIMEOUT_SECONDS).check()
    return None if services.settings.smtp_url else "outbox folder"


# name -> check raising when the part cannot be reached, else returning a note shown beside it.
CHECKS: dict[str, Callable[[Services], str | None]] = {
    "database": database_reachable,
    "mailbox": mailbox_reachable,
    "relay": relay_reachable,
}


def timed(name: str, check: Callable[[Services], str | None], services: Services) -> dict:
    started = time.perf_counter()
    try:
        note = check(services)
        ok = True
    except Exception as exc:
        # The error's type and text only: a URL's password is in no exception we raise, and a
        # traceback's frames are not written.
        logger.warning("health check %s failed: %s: %s", name, type(exc).__name__, exc)
        note, ok = None, False
    result: dict = {"ok": ok, "ms": round((time.perf_counter() - started) * 1000, 1)}
    if note:
        result["note"] = note
    return result


def run_checks(services: Services) -> dict[str, dict]:
    pool = ThreadPoolExecutor(max_workers=len(CHECKS), thread_name_prefix="healthz")
    try:
        running = {name: pool.submit(timed, name, c, services) for name, c in CHECKS.items()}
        deadline = time.monotonic() + HEALTH_DEADLINE_SECONDS
        results = {}
        for name, future in running.items():
            try:
                results[name] = future.result(timeout=max(0.0, deadline - time.monotonic()))
            except FutureTimeout:
                logger.warning("health check %s failed: no answer within the deadline", name)
                results[name] = {"ok": False, "ms": HEALTH_DEADLINE_SECONDS * 1000}
        return results
    finally:
        # A check past the deadline ends by its own network timeout; nobody waits for it.
        pool.shutdown(wait=False)


def report_health(request: Request) -> JSONResponse:
    """`{"ok": bool, "checks": {"database": {"ok": bool, "ms": float}, "mailbox": {...},
    "relay": {...}}}`, a check adding `"note"` ("not configured", "outbox folder"); 503 when
    any configured part fails."""
    checks = run_checks(services_of(request))
    healthy = all(c["ok"] for c in checks.values())
    return JSONResponse(
        {"ok": healthy, "checks": checks},
        status_code=200 if healthy else 503,
        headers={"Cache-Control": "no-store"},
    )
