"""Registration: a pending account for an address and the activation link emailed to it, from the
registration form returned by email or the web form; and caseworker accounts, opened by a
caseworker from the command line.

An account stays inactive until its owner opens the link (`intake.accounts.activation`). Attempts
are limited per address and per sending domain over a day, counted in `registration_attempts`
whatever came of them; two attempts at the same moment may both pass a limit at its edge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from documents import ORGANISATION_TYPES, ROLES, normalise_email
from intake.accounts.audit import record_account_event
from intake.accounts.links import LIFETIMES, issue_link
from intake.cases.accounts import find_professional
from intake.reasons import Reason, reason, worded
from intake.replies import Thread, send_reply
from intake.services import Services
from store import Professional, RegistrationAttempt

CASEWORKER_ROLE = "Caseworker"
VIAS = ("email", "web", "cli")


@dataclass(frozen=True)
class RegistrationLimits:
    """At most `per_address` attempts for one address, and `per_domain` for one domain, in any
    sliding `window`."""

    per_address: int = 3
    per_domain: int = 20
    window: timedelta = timedelta(days=1)


def register(
    services: Services,
    session: Session,
    *,
    email: str,
    name: str,
    role: str,
    organisation: str,
    organisation_type: str | None = None,
    phone: str | None = None,
    organisation_id: str | None = None,
    via: str = "email",
    thread: Thread | None = None,
    notes: Sequence[Reason] = (),
    limits: RegistrationLimits = RegistrationLimits(),
) -> tuple[Professional | None, list[Reason]]:
    """A pending account for `email` and its activation link queued (threaded under `thread`
    when given, with `notes` said first); or None and why not. In the caller's transaction."""
    address = normalise_email(email or "")
    if address is None:
        return None, [reason("registration-address-invalid")]
    if role not in ROLES:
        return None, [reason("not-a-choice", field="role", form="registration", value=role)]
    if organisation_type is not None and organisation_type not in ORGANISATION_TYPES:
        value = organisation_type
        return None, [
            reason("not-a-choice", field="organisation_type", form="registration", value=value)
        ]
    refused = over_limit(services, session, address, limits)
    if refused is not None:
        note_attempt(services, session, address, via, refused.code)
        record_account_event(session, refused.code, None, actor=address, at=services.now(), via=via)
        return None, [refused]
    existing = find_professional(session, address)
    if existing is not None:
        outcome = answer_existing(services, session, existing, thread, notes)
        note_attempt(services, session, address, via, outcome.code)
        return None, [outcome]
    professional = open_account(
        services,
        session,
        email=address,
        name=name,
        role=role,
        organisation=organisation,
        organisation_type=organisation_type,
        phone=phone,
        organisation_id=organisation_id,
    )
    note_attempt(services, session, address, via, "registration-activation-sent")
    record_account_event(session, "registered", professional, at=services.now(), via=via)
    send_activation_link(services, session, professional, thread, notes)
    return professional, [reason("registration-activation-sent", address=address)]


def add_caseworker(
    services: Services, session: Session, *, email: str, name: str, actor: str
) -> tuple[Professional | None, list[Reason]]:
    """A pending caseworker account and its activation link; at activation they must choose
    two-step verification, as everyone must. No rate limit: a caseworker opens it."""
    address = normalise_email(email or "")
    if address is None:
        return None, [reason("registration-address-invalid")]
    existing = find_professional(session, address)
    if existing is not None:
        return None, [answer_existing(services, session, existing, None, ())]
    professional = open_account(
        services,
        session,
        email=address,
        name=name,
        role=CASEWORKER_ROLE,
        organisation=services.settings.service_name,
        caseworker=True,
    )
    note_attempt(services, session, address, "cli", "registration-activation-sent")
    record_account_event(session, "registered", professional, actor=actor, at=services.now())
    send_activation_link(services, session, professional, None, ())
    return professional, [reason("registration-activation-sent", address=address)]


def open_account(
    services: Services,
    session: Session,
    *,
    email: str,
    name: str,
    role: str,
    organisation: str,
    organisation_type: str | None = None,
    phone: str | None = None,
    organisation_id: str | None = None,
    caseworker: bool = False,
) -> Professional:
    professional = Professional(
        email=email,
        name=name.strip(),
        role=role,
        organisation_name=organisation.strip(),
        organisation_type=organisation_type,
        organisation_id=organisation_id or None,
        phone=phone or None,
        is_active=False,
        is_caseworker=caseworker,
        created_at=services.now(),
    )
    session.add(professional)
    session.flush()
    return professional


def answer_existing(
    services: Services,
    session: Session,
    existing: Professional,
    thread: Thread | None,
    notes: Sequence[Reason],
) -> Reason:
    """An address that has an account already: a new activation link while it is pending, never
    one for an active or declined account."""
    if existing.is_active:
        return reason("already-registered")
    if existing.declined_at is not None:
        return reason("registration-declined")
    record_account_event(session, "activation-link-sent-again", existing, at=services.now())
    send_activation_link(services, session, existing, thread, notes)
    return reason("registration-pending")


def send_activation_link(
    services: Services,
    session: Session,
    professional: Professional,
    thread: Thread | None,
    notes: Sequence[Reason],
) -> None:
    link = issue_link(services, session, professional, "activate")
    send_reply(
        services,
        session,
        "activation_link",
        thread or Thread(professional.email, None, (), None),
        {
            "name": professional.name,
            "link": link,
            "days": LIFETIMES["activate"].days,
            "caseworker": professional.is_caseworker,
            "notes": worded(notes),
        },
        auto_submitted="auto-replied" if thread and thread.inbound_id else "auto-generated",
    )


def over_limit(
    services: Services, session: Session, address: str, limits: RegistrationLimits
) -> Reason | None:
    since = services.now() - limits.window
    by_address = _attempts(session, RegistrationAttempt.address == address.lower(), since)
    if by_address >= limits.per_address:
        return reason("registration-limit-address", detail=f"{by_address} attempts in a day")
    by_domain = _attempts(session, RegistrationAttempt.domain == domain_of(address), since)
    if by_domain >= limits.per_domain:
        return reason("registration-limit-domain", detail=f"{by_domain} attempts in a day")
    return None


def note_attempt(
    services: Services, session: Session, address: str, via: str, outcome: str
) -> None:
    session.add(
        RegistrationAttempt(
            address=address.lower(),
            domain=domain_of(address),
            via=via,
            outcome=outcome,
            at=services.now(),
        )
    )
    session.flush()


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


def _attempts(session: Session, which, since) -> int:
    return session.scalar(
        select(func.count())
        .select_from(RegistrationAttempt)
        .where(which, RegistrationAttempt.at > since)
    )
