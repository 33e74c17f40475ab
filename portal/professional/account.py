"""My account: the signed-in person's details, a change of their two-step method (codes by
email, or an authenticator app enrolled again with a QR code, as on the activation page), and
their document password (what PDFs holding a child's details are encrypted with by email).
Both changes ask for the sign-in password again."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from intake.accounts.audit import record_account_event
from intake.accounts.codes import totp_matches, totp_uri
from intake.accounts.document_passwords import set_document_password
from intake.accounts.passwords import verify_password
from intake.accounts.two_step import change_two_step
from intake.child_documents import in_trusted_domain
from portal.account.links import (
    TWO_FACTOR_METHODS,
    document_password_problems,
    enrolment_secret,
)
from portal.account.qr import app_enrolment
from portal.forms import CheckedForm
from portal.identity import SignedIn, services_of
from portal.pages import problem, render, worded
from store import Professional


def show_account(request: Request, professional: SignedIn) -> Response:
    notice = request.session.pop("account_notice", None)
    trusted = in_trusted_domain(professional.email, services_of(request).settings.trusted_domains)
    return render(
        request, "account.html", professional=professional, notice=notice, trusted_domain=trusted
    )


def app_secret(request: Request, professional: Professional) -> str:
    """The new authenticator secret offered to this account in this session: the same on every
    visit, so an app that scanned the code stays right if the page is sent back."""
    return enrolment_secret(request, f"two-step-change:{professional.id}")


def two_step_page(request: Request, professional: Professional, **context) -> Response:
    services = services_of(request)
    secret = app_secret(request, professional)
    return render(
        request,
        "account_two_step.html",
        professional=professional,
        **app_enrolment(totp_uri(services, professional, secret), secret),
        **context,
    )


def show_two_step(request: Request, professional: SignedIn) -> Response:
    return two_step_page(
        request, professional, values={"two_factor": professional.two_factor or "email"}
    )


def take_two_step(request: Request, professional: SignedIn, form: CheckedForm) -> Response:
    services = services_of(request)
    secret = app_secret(request, professional)
    method, code = form.stripped("two_factor"), form.stripped("app_code")
    problems = []
    if not form.text("current_password"):
        problems.append(problem("password-missing", "current_password"))
    if method not in TWO_FACTOR_METHODS:
        problems.append(problem("two-factor-missing", "two_factor"))
    elif method == "app" and not code:
        problems.append(problem("app-code-missing", "app_code"))
    elif method == "app" and not totp_matches(secret, code):
        problems.append(problem("app-code-wrong", "app_code"))
    if not problems:
        with services.db.session() as session:
            reasons = change_two_step(
                services,
                session,
                professional,
                password=form.text("current_password"),
                method=method,
                totp_secret=secret if method == "app" else None,
                totp_code=code if method == "app" else None,
            )
        if not reasons:
            request.session.pop("enrol", None)  # a later change offers a new secret
            request.session["account_notice"] = f"two-step-{method}"
            return RedirectResponse("/account", status_code=303)
        problems = worded(reasons)
    return two_step_page(request, professional, problems=problems, values={"two_factor": method})


def show_document_password(request: Request, professional: SignedIn) -> Response:
    return render(request, "account_document_password.html", professional=professional)


def take_document_password(request: Request, professional: SignedIn, form: CheckedForm) -> Response:
    services = services_of(request)
    problems = document_password_problems(
        form,
        required=True,
        same_as_sign_in=lambda typed: verify_password(professional.password_hash, typed),
    )
    current = form.text("current_password")
    if not current:
        problems.append(problem("password-missing", "current_password"))
    elif not verify_password(professional.password_hash, current):
        problems.append(problem("current-password-wrong", "current_password"))
    if not problems:
        with services.db.session() as session:
            why = set_document_password(
                services, professional, form.text("document_password"), session=session
            )
            if why is None:
                record_account_event(session, "document-password-set", professional, via="web")
        if why is None:
            request.session["account_notice"] = "document-password"
            return RedirectResponse("/account", status_code=303)
        problems = [problem(f"document-{why}", "document_password")]
    return render(
        request, "account_document_password.html", professional=professional, problems=problems
    )
