"""The app factory: `create_app(services)` builds the FastAPI app, its middleware and the one
table of routes below, where every page and endpoint can be read in one place.

Every POST route takes its form through `checked_form`, which refuses a request without this
session's CSRF token; tests/test_portal.py walks this table to hold every route to that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from intake.services import Services
from portal import api, health, professional
from portal import queue as caseworker_queue
from portal.account import held, links, register, sign_in
from portal.casework import case_pages, compliance_pages
from portal.casework.caseworkers import CaseworkersOnly, refuse_non_caseworker
from portal.forms import CsrfRefused
from portal.guards import MAX_BODY_BYTES, AddSecurityHeaders, LimitBodySize
from portal.identity import SignInNeeded
from portal.pages import render
from portal.sessions import IDLE_MINUTES, cookie_name, session_key

# Who may use a route: anyone, or only signed-in people (the endpoint takes `SignedIn`).
ANYONE = "anyone"
SIGNED_IN = "signed-in"
# Only signed-in caseworkers (the endpoint takes `Caseworker`): others are refused with a 403.
CASEWORKERS = "caseworkers"


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    endpoint: Callable[..., Any]
    who: str = ANYONE
    # An /api/ endpoint's answer (a pydantic model): described in /openapi.json and /docs.
    answer: Any = None

    @property
    def in_api(self) -> bool:
        return self.path.startswith(api.API_PREFIX)


ROUTES: tuple[Route, ...] = (
    Route("GET", "/", sign_in.show_home, SIGNED_IN),
    Route("GET", "/sign-in", sign_in.show_sign_in),
    Route("POST", "/sign-in", sign_in.take_password),
    Route("GET", "/sign-in/code", sign_in.show_code),
    Route("POST", "/sign-in/code", sign_in.take_code),
    Route("POST", "/sign-in/new-code", sign_in.send_new_code),
    Route("POST", "/sign-out", sign_in.sign_out_now),
    Route("GET", "/activate/{secret}", links.show_activation),
    Route("POST", "/activate/{secret}", links.take_activation),
    Route("GET", "/forgot-password", links.show_forgot_password),
    Route("POST", "/forgot-password", links.take_forgot_password),
    Route("GET", "/reset-password/{secret}", links.show_reset_password),
    Route("POST", "/reset-password/{secret}", links.take_reset_password),
    Route("GET", "/register", register.show_register),
    Route("POST", "/register", register.take_register),
    Route("GET", "/held", held.show_held, SIGNED_IN),
    Route("POST", "/held/{inbound_id}", held.take_code, SIGNED_IN),
    Route("GET", "/healthz", health.report_health),
    *(Route(method, path, endpoint, CASEWORKERS) for method, path, endpoint in case_pages.ROUTES),
    *(Route(m, p, endpoint, CASEWORKERS) for m, p, endpoint in compliance_pages.ROUTES),
    *(Route(method, path, endpoint, SIGNED_IN) for method, path, endpoint in professional.ROUTES),
    *(Route(m, p, endpoint, CASEWORKERS) for m, p, endpoint in caseworker_queue.ROUTES),
    *(Route(m, p, endpoint, CASEWORKERS, model) for m, p, endpoint, model in api.CASEWORKER_ROUTES),
    *(Route(m, p, endpoint, SIGNED_IN, model) for m, p, endpoint, model in api.SIGNED_IN_ROUTES),
)


def create_app(services: Services) -> FastAPI:
    """The web app over `services` (database, settings, key), ready for uvicorn."""
    app = FastAPI(
        title=f"{services.settings.service_name}: EHC intake",
        # Ours instead (portal.api.docs): FastAPI's would load Swagger UI from a CDN.
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.services = services
    for route in ROUTES:
        if route.in_api:
            app.add_api_route(
                route.path,
                route.endpoint,
                methods=[route.method],
                response_model=route.answer,
                dependencies=[Depends(api.no_store)],
                responses={code: {"model": api.Refusal, "description": why}
                           for code, why in api.REFUSALS.items()},
                openapi_extra={"x-who": route.who},
            )  # fmt: skip
        else:
            app.add_api_route(
                route.path, route.endpoint, methods=[route.method], include_in_schema=False
            )
    app.mount("/static", StaticFiles(packages=[("templates", "web/static")]), name="static")
    app.add_exception_handler(CsrfRefused, refuse_forged_form)
    app.add_exception_handler(SignInNeeded, send_to_sign_in)
    app.add_exception_handler(CaseworkersOnly, refuse_non_caseworker)
    app.add_exception_handler(api.ApiRefused, api.refuse_api_request)
    app.add_exception_handler(HTTPException, show_http_problem)
    app.add_exception_handler(RequestValidationError, refuse_api_parameters)

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
    app.add_middleware(
        LimitBodySize,
        larger=(professional.UPLOAD_PATH, services.settings.max_message_bytes + MAX_BODY_BYTES),
    )
    app.add_middleware(AddSecurityHeaders)
    return app


def send_to_sign_in(request: Request, exc: Exception) -> Response:
    return RedirectResponse("/sign-in", status_code=303)


# Plain functions, so Starlette runs them in its thread pool: render() may read the database.
def refuse_forged_form(request: Request, exc: Exception) -> Response:
    return render(request, "refused.html", status_code=403)


def show_http_problem(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 500)
    if api.is_api_request(request):
        return api.refusal(status, "not-found" if status == 404 else "refused")
    template = "not_found.html" if status == 404 else "refused.html"
    return render(request, template, status_code=status)


async def refuse_api_parameters(request: Request, exc: Exception) -> Response:
    """FastAPI's 422 (which parameter, and why), never cached like every API answer."""
    response = await request_validation_exception_handler(request, exc)
    response.headers.update(api.API_HEADERS)
    return response
