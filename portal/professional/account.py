"""My account: the signed-in person's details, and a change of their two-step method (codes by
email, or an authenticator app enrolled again with a QR code, as on the activation page)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from intake.accounts.codes import totp_matches, totp_uri
from intake.accounts.two_step import change_two_step
from portal.account_pages import TWO_FACTOR_METHODS, enrolment_secret
from portal.forms import CheckedForm
from portal.identity import SignedIn, services_of
from portal.pages import problem, render, worded
from portal.qr import qr_svg
from store import Professional


def show_account(request: Request, professional: SignedIn) -> Response:
    notice = request.session.pop("account_notice", None)
    return render(request, "account.html", professional=professional, notice=notice)


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
        qr_code=qr_svg(totp_uri(services, professional, secret)),
        totp_secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
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
