"""Signing in: email and password, then a one-time code (emailed, or from the authenticator
app), then the signed-in page; and signing out.

The password page says the same thing for an unknown address, an inactive account and a wrong
password, so it cannot be used to find out who has an account. A locked account is named as
locked only to someone who gave its right password.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from intake.accounts.activation import check_password
from intake.accounts.audit import record_account_event
from intake.accounts.codes import CodeResult, check_code, is_locked, send_email_code
from intake.accounts.passwords import verify_password
from intake.cases.accounts import find_professional
from portal.forms import CheckedForm
from portal.identity import SignedIn, services_of, signed_in
from portal.pages import Problem, problem, render
from portal.sessions import (
    forget_password_step,
    password_step,
    remember_password_step,
    sign_in,
    sign_out,
)
from store import Professional

CODE_RESULT_PROBLEMS = {
    CodeResult.WRONG: "code-wrong",
    CodeResult.EXPIRED: "code-expired",
    CodeResult.LOCKED: "account-locked",
}


def see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def show_home(request: Request, professional: SignedIn) -> Response:
    notice = request.session.pop("notice", None)
    return render(request, "home.html", professional=professional, notice=notice)


def show_sign_in(request: Request) -> Response:
    if signed_in(request) is not None:
        return see_other("/")
    return render(request, "sign_in.html")


def take_password(request: Request, form: CheckedForm) -> Response:
    services = services_of(request)
    email, password = form.stripped("email"), form.text("password")
    problems = []
    if not email:
        problems.append(problem("email-missing", "email"))
    if not password:
        problems.append(problem("password-missing", "password"))
    if problems:
        return render(request, "sign_in.html", problems=problems, values={"email": email})
    with services.db.session() as session:
        professional = check_password(services, session, email, password)
        if professional is None:
            return render(
                request,
                "sign_in.html",
                problems=[password_refusal(services, session, email, password)],
                values={"email": email},
            )
        if professional.two_factor != "app":
            send_email_code(services, session, professional, "sign-in")
        remember_password_step(request, professional)
    return see_other("/sign-in/code")


def password_refusal(services, session, email: str, password: str) -> Problem:
    """Why a sign-in failed, as far as it is safe to say."""
    account = find_professional(session, email)
    if (
        account is not None
        and is_locked(services, account)
        and verify_password(account.password_hash, password)
    ):
        return problem("account-locked", "email")
    return problem("sign-in-failed", "email")


def pending_professional(request: Request) -> Professional | None:
    """The account whose password was just given, still waiting for its code."""
    pending = password_step(request)
    if pending is None:
        return None
    with services_of(request).db.session() as session:
        professional = session.get(Professional, pending)
        if professional is None or not professional.is_active:
            return None
        session.expunge(professional)
        return professional


def show_code(request: Request) -> Response:
    professional = pending_professional(request)
    if professional is None:
        return see_other("/sign-in")
    return render(request, "sign_in_code.html", method=professional.two_factor or "email")


def take_code(request: Request, form: CheckedForm) -> Response:
    services = services_of(request)
    pending = pending_professional(request)
    if pending is None:
        return see_other("/sign-in")
    method = pending.two_factor or "email"
    code = form.stripped("code")
    if not code:
        return render(
            request,
            "sign_in_code.html",
            method=method,
            problems=[problem("code-missing", "code")],
        )
    with services.db.session() as session:
        professional = session.get(Professional, pending.id)
        result = check_code(services, session, professional, code, "sign-in")
        if result is CodeResult.WRONG and is_locked(services, professional):
            # That wrong code was the one too many: it locked the account.
            result = CodeResult.LOCKED
        if result is CodeResult.OK:
            forget_password_step(request)
            sign_in(request, services.key, professional)
            record_sign_in(session, professional, method)
            return see_other("/")
    if result is CodeResult.LOCKED:
        forget_password_step(request)
        return render(request, "sign_in.html", problems=[problem("account-locked", "email")])
    return render(
        request,
        "sign_in_code.html",
        method=method,
        problems=[problem(CODE_RESULT_PROBLEMS[result], "code")],
    )


def send_new_code(request: Request, form: CheckedForm) -> Response:
    services = services_of(request)
    pending = pending_professional(request)
    if pending is None:
        return see_other("/sign-in")
    with services.db.session() as session:
        professional = session.get(Professional, pending.id)
        if professional.two_factor != "app" and not is_locked(services, professional):
            send_email_code(services, session, professional, "sign-in")
    return render(request, "sign_in_code.html", method=pending.two_factor or "email", resent=True)


def sign_out_now(request: Request, form: CheckedForm) -> Response:
    services = services_of(request)
    professional = signed_in(request)
    if professional is not None:
        with services.db.session() as session:
            account = session.get(Professional, professional.id)
            account.sessions_ended_at = services.now()
            record_account_event(session, "sign-out", account, via="web")
    sign_out(request)
    return render(request, "signed_out.html")


def record_sign_in(session, professional: Professional, method: str) -> None:
    record_account_event(session, "sign-in", professional, via="web", two_step=method)
