"""Who may use the JSON API: the same signed session cookie as the pages (after two-step
sign-in), and the same rules. Where a page would send a visitor to sign in, the API answers 401;
a professional asking for a caseworkers' endpoint gets 403, as the caseworkers' pages answer;
a case or advice request that is not theirs is 404, whether or not it exists, as their own pages
answer. Every refusal is JSON (`models.Refusal`) and is never cached."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from portal.identity import signed_in
from store import Professional

API_PREFIX = "/api/"
# API answers may hold a child's data: never kept by a cache on the way.
API_HEADERS = {"Cache-Control": "no-store"}


class ApiRefused(Exception):
    """An /api/ request refused: `status` and a short code for the JSON answer."""

    def __init__(self, status: int, code: str) -> None:
        super().__init__(code)
        self.status = status
        self.code = code


def require_api_user(request: Request) -> Professional:
    professional = signed_in(request)
    if professional is None:
        raise ApiRefused(401, "sign-in-needed")
    return professional


def require_api_caseworker(request: Request) -> Professional:
    professional = require_api_user(request)
    if not professional.is_caseworker:
        raise ApiRefused(403, "caseworkers-only")
    return professional


def not_found() -> ApiRefused:
    return ApiRefused(404, "not-found")


# A route's parameter `viewer: ApiUser` admits signed-in people, `ApiCaseworker` caseworkers.
ApiUser = Annotated[Professional, Depends(require_api_user)]
ApiCaseworker = Annotated[Professional, Depends(require_api_caseworker)]


def no_store(response: Response) -> None:
    """A dependency of every API route: its answer is never cached."""
    response.headers.update(API_HEADERS)


def refusal(status: int, code: str) -> JSONResponse:
    return JSONResponse({"error": code, "status": status}, status_code=status, headers=API_HEADERS)


def refuse_api_request(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiRefused)
    return refusal(exc.status, exc.code)


def is_api_request(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX) or request.url.path == "/openapi.json"


# What the API's refusals are: listed on every endpoint of /openapi.json.
REFUSALS = {
    401: "not signed in (the session cookie after two-step sign-in)",
    403: "a caseworkers' endpoint asked for by someone who is not one",
    404: "no such thing, or not yours to see",
}
