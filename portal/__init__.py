"""The web face (FastAPI and Jinja2 pages): activation, sign-in with two-step verification,
password reset and registration; the caseworker dashboard and professionals' pages build on it
(docs/architecture.md). Served by `intake serve` on INTAKE_WEB_LISTEN.
"""

from portal.app import ROUTES, create_app
from portal.server import WebServer

__all__ = ["ROUTES", "WebServer", "create_app"]
