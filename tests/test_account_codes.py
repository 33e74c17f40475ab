"""Passwords, single-use links and one-time codes, on both databases: what each accepts once,
what expires, and the lock after five wrong codes that tells the owner."""

from __future__ import annotations

from datetime import timedelta

import pyotp
from sqlalchemy import select, update
from web_client import emailed_code, emails

from intake.accounts.codes import (
    MAX_WRONG_CODES,
    CodeResult,
    check_code,
    is_locked,
    new_totp_secret,
    send_email_code,
)
from intake.accounts.links import issue_link, link_secret, peek_link, redeem_link
from intake.accounts.passwords import hash_password, password_problem, verify_password
from store import LinkToken, OneTimeCode, Professional


def test_a_password_hash_verifies_only_its_password() -> None:
    stored = hash_password("correct horse battery")
    assert stored.startswith("scrypt$") and "correct" not in stored
    assert verify_password(stored, "correct horse battery")
    assert not verify_password(stored, "correct horse batterY")
    assert not verify_password(None, "anything")
    assert not verify_password("md5$abc", "anything")
    assert hash_password("same") != hash_password("same")  # salted
    assert password_problem("short") == "password-too-short"
    assert password_problem("long enough now") is None


def test_a_link_works_once_and_not_after_it_expires(services, senco) -> None:
    with services.db.session() as session:
        person = session.get(Professional, senco.id)
        url = issue_link(services, session, person, "activate")
    assert url.startswith(services.settings.base_url)
    secret = link_secret(url)
    with services.db.session() as session:
        assert peek_link(services, session, secret, "activate").id == senco.id
        assert redeem_link(services, session, secret, "reset-password") is None
        assert redeem_link(services, session, secret, "activate").id == senco.id
    with services.db.session() as session:
        assert redeem_link(services, session, secret, "activate") is None
        person = session.get(Professional, senco.id)
        second = link_secret(issue_link(services, session, person, "reset-password"))
        session.execute(update(LinkToken).values(expires_at=services.now() - timedelta(seconds=1)))
    with services.db.session() as session:
        assert redeem_link(services, session, second, "reset-password") is None


def test_a_new_link_retires_the_earlier_one(services, senco) -> None:
    with services.db.session() as session:
        person = session.get(Professional, senco.id)
        first = link_secret(issue_link(services, session, person, "reset-password"))
        second = link_secret(issue_link(services, session, person, "reset-password"))
    with services.db.session() as session:
        assert redeem_link(services, session, first, "reset-password") is None
        assert redeem_link(services, session, second, "reset-password") is not None


def test_an_emailed_code_is_single_use_and_expires(services, senco) -> None:
    with services.db.session() as session:
        send_email_code(services, session, session.get(Professional, senco.id), "sign-in")
    code = emailed_code(services)
    with services.db.session() as session:
        person = session.get(Professional, senco.id)
        assert check_code(services, session, person, code, "enrol-app") is CodeResult.EXPIRED
        assert check_code(services, session, person, code, "sign-in") is CodeResult.OK
        assert check_code(services, session, person, code, "sign-in") is CodeResult.EXPIRED
        send_email_code(services, session, person, "sign-in")
    code = emailed_code(services)
    with services.db.session() as session:
        session.execute(
            update(OneTimeCode).values(expires_at=services.now() - timedelta(seconds=1))
        )
        person = session.get(Professional, senco.id)
        assert check_code(services, session, person, code, "sign-in") is CodeResult.EXPIRED
    # Only the HMAC is stored.
    with services.db.session() as session:
        assert code not in {row.code_hash for row in session.scalars(select(OneTimeCode))}


def test_five_wrong_codes_lock_the_account_and_tell_its_owner(services, senco) -> None:
    with services.db.session() as session:
        send_email_code(services, session, session.get(Professional, senco.id), "sign-in")
    code = emailed_code(services)
    wrong = "000000" if code != "000000" else "111111"
    results = []
    with services.db.session() as session:
        person = session.get(Professional, senco.id)
        for _ in range(MAX_WRONG_CODES + 1):
            results.append(check_code(services, session, person, wrong, "sign-in"))
        # Locked: even the right code is refused now.
        results.append(check_code(services, session, person, code, "sign-in"))
        assert is_locked(services, person)
    assert results == [CodeResult.WRONG] * MAX_WRONG_CODES + [CodeResult.LOCKED] * 2
    [locked] = emails(services, "account_locked")
    assert locked["To"] == senco.email


def test_an_authenticator_code_is_accepted_once(services, senco) -> None:
    secret = new_totp_secret()
    with services.db.session() as session:
        person = session.get(Professional, senco.id)
        person.totp_secret, person.two_factor = secret, "app"
    code = pyotp.TOTP(secret).now()
    with services.db.session() as session:
        person = session.get(Professional, senco.id)
        assert check_code(services, session, person, code, "sign-in") is CodeResult.OK
    with services.db.session() as session:
        person = session.get(Professional, senco.id)
        assert check_code(services, session, person, code, "sign-in") is CodeResult.EXPIRED
        window = {
            pyotp.TOTP(secret).at(services.now() + timedelta(seconds=s)) for s in (-30, 0, 30)
        }
        other = next(c for c in ("123456", "654321", "000001") if c not in window)
        assert check_code(services, session, person, other, "sign-in") is CodeResult.WRONG
