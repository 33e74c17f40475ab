"""Pages reached from a link we emailed: activating an account (a password, and two-step
verification by email or by an authenticator app, enrolled with a QR code), and resetting a
forgotten password. The work itself is intake.accounts.activation's; these pages ask and show.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from intake.accounts.activation import activate, reset_password, start_password_reset
from intake.accounts.codes import new_totp_secret, totp_matches, totp_uri
from intake.accounts.document_passwords import set_document_password
from intake.accounts.links import peek_link
from intake.accounts.passwords import password_problem
from portal.account.qr import app_enrolment
from portal.forms import CheckedForm, SentForm
from portal.identity import services_of
from portal.pages import Problem, problem, render, worded
from portal.sessions import sign_in, sign_out
from store import Professional

TWO_FACTOR_METHODS = ("email", "app")


def link_owner(request: Request, secret: str, purpose: str) -> Professional | None:
    services = services_of(request)
    with services.db.session() as session:
        professional = peek_link(services, session, secret, purpose)
        if professional is not None:
            session.expunge(professional)
        return professional


def link_gone(request: Request) -> Response:
    return render(request, "link_gone.html", status_code=404)


def enrolment_secret(request: Request, link_secret: str) -> str:
    """The authenticator secret offered with this activation link: the same on every visit, so
    an app that scanned the code stays right if the page is reloaded or sent back."""
    link = hashlib.sha256(link_secret.encode()).hexdigest()[:16]
    enrol = request.session.get("enrol")
    if not isinstance(enrol, dict) or enrol.get("link") != link:
        enrol = {"link": link, "secret": new_totp_secret()}
        request.session["enrol"] = enrol
    return enrol["secret"]


def activation_page(
    request: Request, secret: str, professional: Professional, **context
) -> Response:
    services = services_of(request)
    totp_secret = enrolment_secret(request, secret)
    return render(
        request,
        "activate.html",
        professional=professional,
        **app_enrolment(totp_uri(services, professional, totp_secret), totp_secret),
        **context,
    )


def show_activation(request: Request, secret: str) -> Response:
    professional = link_owner(request, secret, "activate")
    if professional is None:
        return link_gone(request)
    return activation_page(request, secret, professional)


def new_password_problems(form: SentForm) -> list[Problem]:
    password, again = form.text("password"), form.text("password_again")
    if not password:
        return [problem("new-password-missing", "password")]
    why = password_problem(password)
    if why is not None:
        return [problem(why, "password")]
    if password != again:
        return [problem("passwords-differ", "password_again")]
    return []


def document_password_problems(
    form: SentForm, *, required: bool, same_as_sign_in: Callable[[str], bool]
) -> list[Problem]:
    """What is wrong with a document password typed twice (activation, where it is optional,
    and the account page): long enough, the same twice, and not the sign-in password."""
    password, again = form.text("document_password"), form.text("document_password_again")
    if not password and not again:
        return [problem("document-password-missing", "document_password")] if required else []
    why = password_problem(password)
    if why is not None:
        return [problem(f"document-{why}", "document_password")]
    if password != again:
        return [problem("document-passwords-differ", "document_password_again")]
    if same_as_sign_in(password):
        return [problem("document-password-same", "document_password")]
    return []


def take_activation(request: Request, secret: str, form: CheckedForm) -> Response:
    services = services_of(request)
    professional = link_owner(request, secret, "activate")
    if professional is None:
        return link_gone(request)
    totp_secret = enrolment_secret(request, secret)
    method, code = form.stripped("two_factor"), form.stripped("app_code")
    problems = new_password_problems(form)
    if method not in TWO_FACTOR_METHODS:
        problems.append(problem("two-factor-missing", "two_factor"))
    elif method == "app" and not code:
        problems.append(problem("app-code-missing", "app_code"))
    elif method == "app" and not totp_matches(totp_secret, code):
        problems.append(problem("app-code-wrong", "app_code"))
    # Without a document password, forms holding a child's details wait in the portal unless the
    # address is in a trusted domain.
    problems += document_password_problems(
        form, required=False, same_as_sign_in=lambda typed: typed == form.text("password")
    )
    if not problems:
        with services.db.session() as session:
            activated, reasons = activate(
                services,
                session,
                secret,
                password=form.text("password"),
                two_factor=method,
                totp_secret=totp_secret if method == "app" else None,
                totp_code=code if method == "app" else None,
            )
            if activated is not None and form.text("document_password"):
                set_document_password(
                    services, activated, form.text("document_password"), session=session
                )
            if activated is not None:
                sign_in(request, services.key, activated)
                request.session["notice"] = "activated"
                return RedirectResponse("/", status_code=303)
        problems = worded(reasons)
    return activation_page(
        request, secret, professional, problems=problems, values={"two_factor": method}
    )


def show_forgot_password(request: Request) -> Response:
    return render(request, "forgot_password.html")


def take_forgot_password(request: Request, form: CheckedForm) -> Response:
    services = services_of(request)
    email = form.stripped("email")
    if not email:
        return render(request, "forgot_password.html", problems=[problem("email-missing", "email")])
    with services.db.session() as session:
        # Silent for unknown and inactive addresses: the page below is the same either way.
        start_password_reset(services, session, email)
    return render(request, "forgot_password_sent.html", email=email)


def show_reset_password(request: Request, secret: str) -> Response:
    professional = link_owner(request, secret, "reset-password")
    if professional is None:
        return link_gone(request)
    return render(request, "reset_password.html", professional=professional)


def take_reset_password(request: Request, secret: str, form: CheckedForm) -> Response:
    services = services_of(request)
    professional = link_owner(request, secret, "reset-password")
    if professional is None:
        return link_gone(request)
    problems = new_password_problems(form)
    if not problems:
        with services.db.session() as session:
            changed, reasons = reset_password(services, session, secret, form.text("password"))
        if changed is not None:
            # Whoever was signed in here signs in again, with the new password and a code.
            sign_out(request)
            return render(request, "password_changed.html")
        problems = worded(reasons)
    return render(request, "reset_password.html", professional=professional, problems=problems)
