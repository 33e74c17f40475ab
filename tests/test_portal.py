"""The portal's foundations, over HTTP against a real uvicorn server on both databases: who may
see what, CSRF on every form, the session cookie's flags and expiry, signing out, /healthz."""

from __future__ import annotations

import base64
import json
import re
import time
from dataclasses import replace

import itsdangerous
import pytest
from web_client import Visitor, active_account, served, sign_in

from portal import ROUTES
from portal.app import ANYONE, CASEWORKERS, SIGNED_IN
from portal.sessions import IDLE_MINUTES, session_key
from store import open_database

ANNE = "anne.senco@glanwy.sch.uk"
FORM_TYPE = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
def site(services):
    with served(services) as base_url:
        yield base_url


@pytest.fixture
def visitor(site):
    person = Visitor(site)
    yield person
    person.close()


def test_anonymous_visitors_are_sent_to_sign_in(visitor) -> None:
    home = visitor.get("/")
    assert home.status_code == 303 and home.headers["location"] == "/sign-in"
    page = visitor.get("/sign-in")
    assert page.status_code == 200
    assert '<label class="label" for="field-email">Email address</label>' in page.text
    assert visitor.get("/sign-in/code").headers["location"] == "/sign-in"


def test_only_the_pages_for_signing_in_are_open_to_anyone(visitor) -> None:
    public = {(r.method, r.path) for r in ROUTES if r.who == ANYONE}
    assert public == {
        ("GET", "/sign-in"),
        ("POST", "/sign-in"),
        ("GET", "/sign-in/code"),
        ("POST", "/sign-in/code"),
        ("POST", "/sign-in/new-code"),
        ("POST", "/sign-out"),
        ("GET", "/activate/{secret}"),
        ("POST", "/activate/{secret}"),
        ("GET", "/forgot-password"),
        ("POST", "/forgot-password"),
        ("GET", "/reset-password/{secret}"),
        ("POST", "/reset-password/{secret}"),
        ("GET", "/register"),
        ("POST", "/register"),
        ("GET", "/healthz"),
    }
    for route in ROUTES:
        if route.who in (SIGNED_IN, CASEWORKERS) and route.method == "GET":
            response = visitor.get(sample_path(route.path))
            if route.in_api or route.path == "/openapi.json":
                # JSON for programs: 401, not a page to sign in on.
                assert response.status_code == 401, route.path
                assert response.json() == {"error": "sign-in-needed", "status": 401}
            else:
                assert response.status_code == 303, route.path
                assert response.headers["location"] == "/sign-in", route.path


def sample_path(path: str) -> str:
    """A route's path with a value in each parameter: a link's secret, else a number."""
    return re.sub(r"\{\w+\}", "1", path.replace("{secret}", "A" * 43))


# What each kind of person gets from every route is tests/test_authorization.py's matrix.


def test_a_signed_in_professional_sees_who_they_are_signed_in_as(visitor, services) -> None:
    active_account(services, ANNE)
    sign_in(visitor, services, ANNE)
    home = visitor.get("/")
    assert home.status_code == 200
    assert "Signed in as Dr Ffion Ó Súilleabháin" in home.text
    assert ANNE in home.text and "Sign out" in home.text
    assert visitor.get("/sign-in").headers["location"] == "/"
    assert "Sign out" in visitor.get("/register").text  # every page's header says so
    assert "Sign out" in visitor.get("/no-such-page").text


def test_every_form_is_refused_without_its_csrf_token(visitor, services) -> None:
    active_account(services, ANNE)
    sign_in(visitor, services, ANNE)
    posts = [sample_path(r.path) for r in ROUTES if r.method == "POST"]
    assert "/sign-out" in posts and "/register" in posts
    for path in posts:
        refused = visitor.post(path, {"email": ANNE}, token=False)
        assert refused.status_code == 403, path
        assert "Sorry, we could not do that" in refused.text, path
        forged = visitor.http.post(path, data={"csrf_token": "x" * 43, "email": ANNE})
        assert forged.status_code == 403, path
    # Nothing was done: still signed in (the sign-out form was refused too).
    assert "Signed in as" in visitor.get("/").text


def test_another_visitors_token_does_not_do(site, visitor) -> None:
    other = Visitor(site)
    try:
        other.get("/forgot-password")
        visitor.get("/forgot-password")
        stolen = other.csrf()
        assert stolen != visitor.csrf()
        sent = visitor.http.post(
            "/forgot-password", data={"csrf_token": stolen, "email": "x@y.example"}
        )
        assert sent.status_code == 403
    finally:
        other.close()


def set_cookie_of(response) -> str:
    return response.headers["set-cookie"]


def test_the_session_cookie_is_httponly_lax_and_expires(visitor) -> None:
    cookie = set_cookie_of(visitor.get("/sign-in"))
    assert cookie.startswith("intake_session=")
    flags = [f.strip().lower() for f in cookie.split(";")]
    assert "httponly" in flags and "samesite=lax" in flags
    assert f"max-age={IDLE_MINUTES * 60}" in flags
    assert "secure" not in flags  # the service's address is http here


def test_over_https_the_cookie_is_secure_and_host_only(services) -> None:
    https = replace(services.settings, base_url="https://send.example.gov.uk")
    with served(replace(services, settings=https)) as base_url:
        visitor = Visitor(base_url)
        cookie = set_cookie_of(visitor.get("/sign-in"))
        visitor.close()
    flags = [f.strip().lower() for f in cookie.split(";")]
    assert cookie.startswith("__Host-intake=") and "secure" in flags and "path=/" in flags
    assert not any(f.startswith("domain=") for f in flags)


def forged_cookie(services, session: dict, age_seconds: int) -> str:
    """A session cookie as the app signs it, made `age_seconds` ago."""

    class Then(itsdangerous.TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - age_seconds

    data = base64.b64encode(json.dumps(session).encode())
    return Then(session_key(services.key)).sign(data).decode()


def test_a_session_idle_too_long_is_over(visitor, services) -> None:
    anne = active_account(services, ANNE)
    sign_in(visitor, services, ANNE)
    live = dict(visitor.http.cookies)["intake_session"]
    session = json.loads(base64.b64decode(live.rsplit(".", 2)[0]))
    assert session["user"] == anne.id
    visitor.http.cookies.clear()
    visitor.http.cookies.set("intake_session", forged_cookie(services, session, 60))
    assert visitor.get("/").status_code == 200
    visitor.http.cookies.clear()
    stale = forged_cookie(services, session, IDLE_MINUTES * 60 + 5)
    visitor.http.cookies.set("intake_session", stale)
    assert visitor.get("/").headers["location"] == "/sign-in"


def test_a_cookie_signed_with_another_key_is_nobody(visitor, services) -> None:
    anne = active_account(services, ANNE)
    forged = itsdangerous.TimestampSigner("guessed").sign(
        base64.b64encode(json.dumps({"user": anne.id}).encode())
    )
    visitor.http.cookies.set("intake_session", forged.decode())
    assert visitor.get("/").headers["location"] == "/sign-in"


def test_signing_out_ends_the_session(visitor, services) -> None:
    active_account(services, ANNE)
    sign_in(visitor, services, ANNE)
    visitor.get("/")
    out = visitor.post("/sign-out", {})
    assert out.status_code == 200 and "You have signed out" in out.text
    assert "null" in set_cookie_of(out) or "intake_session=" in set_cookie_of(out)
    assert visitor.get("/").headers["location"] == "/sign-in"


def test_a_copy_of_the_cookie_is_worthless_after_signing_out(site, visitor, services) -> None:
    active_account(services, ANNE)
    sign_in(visitor, services, ANNE)
    visitor.get("/")
    copied = dict(visitor.http.cookies)["intake_session"]
    visitor.post("/sign-out", {})
    thief = Visitor(site)
    thief.http.cookies.set("intake_session", copied)
    try:
        assert thief.get("/").headers["location"] == "/sign-in"
    finally:
        thief.close()


def test_pages_load_nothing_from_elsewhere_and_forbid_framing(visitor) -> None:
    for path in ("/sign-in", "/register", "/forgot-password", "/activate/unknown"):
        page = visitor.get(path)
        assert not re.search(r'(src|href)="(https?:)?//', page.text), path
        policy = page.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert page.headers["referrer-policy"] == "no-referrer"
        assert page.headers["cache-control"] == "no-store"
    css = visitor.get("/static/portal.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "@import" not in css.text and "url(" not in css.text


def test_an_oversized_form_is_refused_before_it_is_read(visitor) -> None:
    visitor.get("/sign-in")
    huge = {"email": "a@b.example", "password": "x" * (2 * 1024 * 1024)}
    refused = visitor.post("/sign-in", huge)
    assert refused.status_code == 413
    chunks = (b"email=a%40b.example&password=" + b"x" * 65536 for _ in range(40))
    streamed = visitor.http.post("/sign-in", content=chunks, headers=FORM_TYPE)
    assert streamed.status_code == 413


def test_an_unknown_page_is_a_page_not_found(visitor) -> None:
    missing = visitor.get("/no-such-page")
    assert missing.status_code == 404 and "Page not found" in missing.text


def test_health_reports_the_database(visitor) -> None:
    health = visitor.get("/healthz")
    assert health.status_code == 200
    assert health.json()["ok"] is True
    assert health.json()["checks"]["database"]["ok"] is True


def test_health_fails_when_the_database_cannot_be_reached(services, tmp_path) -> None:
    unreachable = open_database(f"sqlite:///{tmp_path / 'missing' / 'folder' / 'intake.db'}")
    try:
        with served(replace(services, db=unreachable)) as base_url:
            visitor = Visitor(base_url)
            health = visitor.get("/healthz")
            visitor.close()
    finally:
        unreachable.close()
    assert health.status_code == 503
    assert health.json()["ok"] is False
    assert health.json()["checks"]["database"]["ok"] is False
    # The other parts are still checked (tests/test_portal_health.py): only the database failed.
    assert health.json()["checks"]["relay"]["ok"] is True
