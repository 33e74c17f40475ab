"""The authorisation matrix: every route and endpoint of the app (walked from `app.routes`, so a
new one without a row here fails) asked by four people: someone not signed in, another
professional (part of no case), the case's own professional (the SENCO who asked for it, or for
advice rows the psychologist asked for advice) and a caseworker. Each must get exactly its row's
status; an allowed reader of the case gets that case; a refused one's answer, and anything
another professional or a stranger is shown, holds none of the child's data. POSTs carry a valid
CSRF token (and an empty form), so a refusal here is the route's rule, not CSRF. On SQLite and
PostgreSQL, against a real uvicorn server and the real pipeline's case.
"""

from __future__ import annotations

import re

import httpx
import pytest
from api_world import CHILD_DATA, SCRIPT, World, opened_world, sign_in_again
from casework import HOSTILE_BYTES
from fastapi.routing import APIRoute
from starlette.routing import Mount

from portal import create_app

# (method, path): (anonymous, another professional, the owner, a caseworker). Pages send the
# anonymous to sign in (303), the API answers them 401; a professional asking for a caseworkers'
# page or endpoint is refused (403); a case or advice that is not theirs is "not found" (404).
# An empty form is 400 (its problems listed) where the visitor may send it.
MATRIX = {
    ("GET", "/"): (303, 200, 200, 200),
    ("GET", "/sign-in"): (200, 303, 303, 303),
    ("POST", "/sign-in"): (400, 400, 400, 400),
    ("GET", "/sign-in/code"): (303, 303, 303, 303),
    ("POST", "/sign-in/code"): (303, 303, 303, 303),
    ("POST", "/sign-in/new-code"): (303, 303, 303, 303),
    ("POST", "/sign-out"): (200, 200, 200, 200),
    ("GET", "/activate/{secret}"): (404, 404, 404, 404),
    ("POST", "/activate/{secret}"): (404, 404, 404, 404),
    ("GET", "/forgot-password"): (200, 200, 200, 200),
    ("POST", "/forgot-password"): (400, 400, 400, 400),
    ("GET", "/reset-password/{secret}"): (404, 404, 404, 404),
    ("POST", "/reset-password/{secret}"): (404, 404, 404, 404),
    ("GET", "/register"): (200, 200, 200, 200),
    ("POST", "/register"): (400, 400, 400, 400),
    ("GET", "/held"): (303, 200, 200, 200),
    ("POST", "/held/{inbound_id}"): (303, 400, 400, 400),
    ("GET", "/healthz"): (200, 200, 200, 200),
    ("GET", "/cases/{reference}"): (303, 403, 403, 200),
    ("GET", "/cases/{reference}/files/{attachment_id}"): (303, 403, 403, 200),
    ("POST", "/cases/{reference}/stage"): (303, 403, 403, 400),
    ("POST", "/cases/{reference}/exception"): (303, 403, 403, 400),
    ("POST", "/cases/{reference}/advice"): (303, 403, 403, 400),
    ("POST", "/cases/{reference}/advice/{advice_reference}/remind"): (303, 403, 403, 303),
    ("GET", "/compliance"): (303, 403, 403, 200),
    ("GET", "/compliance.csv"): (303, 403, 403, 200),
    ("GET", "/account"): (303, 200, 200, 200),
    ("GET", "/account/two-step"): (303, 200, 200, 200),
    ("POST", "/account/two-step"): (303, 400, 400, 400),
    ("GET", "/account/document-password"): (303, 200, 200, 200),
    ("POST", "/account/document-password"): (303, 400, 400, 400),
    ("GET", "/children"): (303, 200, 200, 200),
    ("GET", "/children/{reference}"): (303, 404, 200, 404),
    ("GET", "/children/{reference}/request-form"): (303, 404, 200, 404),
    ("GET", "/children/{reference}/advice-form/{advice}"): (303, 404, 200, 404),
    ("GET", "/children/{reference}/receipt/{submission}"): (303, 404, 200, 404),
    ("POST", "/children/{reference}/upload"): (303, 404, 400, 404),
    ("GET", "/queue"): (303, 403, 403, 200),
    ("GET", "/messages/{inbound_id}"): (303, 403, 403, 200),
    ("GET", "/messages/{inbound_id}/raw"): (303, 403, 403, 200),
    ("POST", "/messages/{inbound_id}/release"): (303, 403, 403, 303),
    ("POST", "/messages/{inbound_id}/process-again"): (303, 403, 403, 303),
    ("POST", "/messages/{inbound_id}/reject"): (303, 403, 403, 400),
    ("GET", "/registrations"): (303, 403, 403, 200),
    ("POST", "/registrations/{professional_id}/approve"): (303, 403, 403, 303),
    ("POST", "/registrations/{professional_id}/decline"): (303, 403, 403, 400),
    ("GET", "/api/queue"): (401, 403, 403, 200),
    ("GET", "/api/messages/{inbound_id}"): (401, 403, 403, 200),
    ("GET", "/api/cases"): (401, 200, 200, 200),
    ("GET", "/api/cases/{reference}"): (401, 404, 200, 200),
    ("GET", "/api/advice-requests"): (401, 200, 200, 200),
    ("GET", "/api/advice-requests/{reference}"): (401, 404, 200, 200),
    ("GET", "/openapi.json"): (401, 200, 200, 200),
    ("GET", "/docs"): (303, 200, 200, 200),
    ("GET", "/static"): (200, 200, 200, 200),
}
# Rows whose owner is the professional asked for advice; every other row's is the requester.
ADVISER_OWNS = {
    ("GET", "/children/{reference}/advice-form/{advice}"),
    ("GET", "/api/advice-requests/{reference}"),
}
ACTORS = ("anonymous", "other", "owner", "caseworker")
# Who may never see the child's data, on any route; and the answers that refuse.
STRANGERS = ("anonymous", "other")
REFUSED = (401, 403, 404)
# Routes about this case (or its advice, message or files): an allowed reader gets its own.
ABOUT_THE_CASE = re.compile(r"\{(reference|inbound_id|attachment_id)\}")


def app_routes(app) -> set[tuple[str, str]]:
    """Every (method, path) the app answers, from `app.routes` itself."""
    found = set()
    for route in app.routes:
        if isinstance(route, APIRoute):
            found.update((method, route.path) for method in route.methods)
        elif isinstance(route, Mount):
            found.add(("GET", route.path))
        else:
            raise AssertionError(f"a route of a kind this test does not know: {route!r}")
    return found


def concrete(world: World, method: str, path: str) -> str:
    if path == "/static":
        return "/static/portal.css"
    if path.startswith("/api/advice-requests/"):
        path = path.replace("{reference}", world.advice)
    values = {
        "{reference}": world.reference,
        "{advice}": world.advice,
        "{advice_reference}": world.advice,
        "{submission}": str(world.submission),
        "{attachment_id}": str(world.attachment),
        "{inbound_id}": str(world.inbound_id),
        "{professional_id}": str(world.requester_id),
        "{secret}": "A" * 43,
    }
    for name, value in values.items():
        path = path.replace(name, value)
    return path


def ask(world: World, who: str, method: str, path: str) -> httpx.Response:
    visitor = world.visitors[who]
    if method == "GET":
        return visitor.get(path)
    visitor.get("/sign-in" if who == "anonymous" else "/account")  # this session's CSRF token
    # Multipart, so the upload route reads it too; an empty form but for the token.
    return visitor.http.post(path, files={"csrf_token": (None, visitor.csrf())})


def the_right_case(world: World, key: tuple[str, str], response: httpx.Response) -> bool:
    """The answer is this case's (or its advice request's, message's or file's)."""
    path = key[1]
    if path.endswith("/files/{attachment_id}"):
        return response.content == HOSTILE_BYTES
    if path == "/messages/{inbound_id}/raw":
        return b"case-1@glanwy.sch.uk" in response.content
    wanted = world.advice if key in ADVISER_OWNS else world.reference
    if response.headers.get("content-type", "").startswith("application/json"):
        body = response.json()
        child = body.get("child", {"forename": "Gruffydd"})  # a message or advice names none
        return wanted in (body.get("reference"), body.get("case_reference")) and (
            child["forename"] == "Gruffydd"
        )
    return wanted in response.text or wanted in response.headers.get("content-disposition", "")


@pytest.fixture
def world(services, senco):
    with opened_world(services, senco) as opened:
        yield opened


def test_every_route_answers_each_kind_of_person_as_it_should(world) -> None:
    app = create_app(world.services)
    assert app_routes(app) == set(MATRIX), "a route has no row in MATRIX (or a row no route)"
    got, leaks, wrong_case = {}, [], []
    for key in sorted(MATRIX, key=lambda k: (k[0] == "POST" and "sign-out" in k[1], k)):
        method, path = key
        statuses = []
        for actor in ACTORS:
            who = actor
            if actor == "owner":
                who = "adviser" if key in ADVISER_OWNS else "requester"
            response = ask(world, who, method, concrete(world, method, path))
            statuses.append(response.status_code)
            body = "" if "pdf" in response.headers.get("content-type", "") else response.text
            refused = response.status_code in REFUSED
            if (refused or actor in STRANGERS) and path != "/static":
                leaks += [(key, actor, d) for d in CHILD_DATA if d in body]
                if SCRIPT in body:
                    leaks.append((key, actor, "answers"))
            if (
                response.status_code == 200
                and ABOUT_THE_CASE.search(path)
                and not the_right_case(world, key, response)
            ):
                wrong_case.append((key, actor))
            if method == "POST" and path == "/sign-out" and who != "anonymous":
                sign_in_again(world, who)
        got[key] = tuple(statuses)
    assert {k: v for k, v in got.items() if v != MATRIX[k]} == {}
    assert leaks == []
    assert wrong_case == []
