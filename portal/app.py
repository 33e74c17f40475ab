"""The app factory: `create_app(services)` builds the FastAPI app, its middleware and the one
table of routes below, where every page and endpoint can be read in one place.

Every POST route takes its form through `checked_form`, which refuses a request without this
session's CSRF token; tests/test_portal.py walks this table to hold every route to that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from intake.services import Services
from portal import account_pages, health, register_page, sign_in_pages
from portal import queue as caseworker_queue
from portal.forms import CsrfRefused
from portal.guards import AddSecurityHeaders, LimitBodySize
from portal.identity import SignInNeeded
from portal.pages import render
from portal.queue.access import CASEWORKER
from portal.sessions import IDLE_MINUTES, cookie_name, session_key

# Who may use a route: anyone, or only signed-in people (the endpoint takes `SignedIn`).
ANYONE = "anyone"
SIGNED_IN = "signed-in"


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    endpoint: Callable[..., Any]
    who: str = ANYONE


ROUTES: tuple[Route, ...] = (
    Route("GET", "/", sign_in_pages.show_home, SIGNED_IN),
    Route("GET", "/sign-in", sign_in_pages.show_sign_in),
    Route("POST", "/sign-in", sign_in_pages.take_password),
    Route("GET", "/sign-in/code", sign_in_pages.show_code),
    Route("POST", "/sign-in/code", sign_in_pages.take_code),
    Route("POST", "/sign-in/new-code", sign_in_pages.send_new_code),
    Route("POST", "/sign-out", sign_in_pages.sign_out_now),
    Route("GET", "/activate/{secret}", account_pages.show_activation),
    Route("POST", "/activate/{secret}", account_pages.take_activation),
    Route("GET", "/forgot-password", account_pages.show_forgot_password),
    Route("POST", "/forgot-password", account_pages.take_forgot_password),
    Route("GET", "/reset-password/{secret}", account_pages.show_reset_password),
    Route("POST", "/reset-password/{secret}", account_pages.take_reset_password),
    Route("GET", "/register", register_page.show_register),
    Route("POST", "/register", register_page.take_register),
    Route("GET", "/healthz", health.report_health),
    *(Route(m, p, endpoint, CASEWORKER) for m, p, endpoint in caseworker_queue.ROUTES),
)


def create_app(services: Services) -> FastAPI:
    """The web app over `services` (database, settings, key), ready for uvicorn."""
    app = FastAPI(
        title=f"{services.settings.service_name}: EHC intake",
        docs_url=None,  # the JSON API and its documentation come with the dashboard
        redoc_url=None,
        openapi_url=None,
    )
    app.state.services = services
    for route in ROUTES:
        app.add_api_route(
            route.path, route.endpoint, methods=[route.method], include_in_schema=False
        )
    app.mount("/static", StaticFiles(packages=[("templates", "web/static")]), name="static")
    app.add_exception_handler(CsrfRefused, refuse_forged_form)
    app.add_exception_handler(SignInNeeded, send_to_sign_in)
    app.add_exception_handler(HTTPException, show_http_problem)

    # Added last, so it runs first: every page and handler above sees `request.session`.
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_key(services.key),
        session_cookie=cookie_name(services.settings.base_url),
        max_age=IDLE_MINUTES * 60,
        same_site="lax",
        https_only=services.settings.base_url.startswith("https://"),
    )
    # Outermost: an oversized body is refused before anything reads it; every answer, refusals
    # included, carries the security headers.
    app.add_middleware(LimitBodySize)
    app.add_middleware(AddSecurityHeaders)
    return app


def send_to_sign_in(request: Request, exc: Exception) -> Response:
    return RedirectResponse("/sign-in", status_code=303)


# Plain functions, so Starlette runs them in its thread pool: render() may read the database.
def refuse_forged_form(request: Request, exc: Exception) -> Response:
    return render(request, "refused.html", status_code=403)


def show_http_problem(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 500)
    template = "not_found.html" if status == 404 else "refused.html"
    return render(request, template, status_code=status)
