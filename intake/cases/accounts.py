"""Professionals' accounts at their simplest: add, list, find by address, and what a form may
be pre-filled with. Registration by email, activation and two-step verification build on this.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from documents import ORGANISATION_TYPES, ROLES, normalise_email
from intake.errors import CommandFailed
from intake.services import Services
from store import Professional


def find_professional(session: Session, address: str | None) -> Professional | None:
    if not address:
        return None
    return session.scalar(
        select(Professional).where(func.lower(Professional.email) == address.strip().lower())
    )


def add_professional(
    services: Services,
    *,
    email: str,
    name: str,
    role: str,
    organisation: str,
    organisation_type: str | None = None,
    phone: str | None = None,
    activate: bool = False,
    caseworker: bool = False,
) -> Professional:
    """A new account; CommandFailed says what is wrong with the details given."""
    address = normalise_email(email)
    if address is None:
        raise CommandFailed(f"{email!r} is not an email address")
    if role not in ROLES and not caseworker:
        raise CommandFailed(f"role {role!r} is not one of: {', '.join(ROLES)}")
    if organisation_type is not None and organisation_type not in ORGANISATION_TYPES:
        choices = ", ".join(ORGANISATION_TYPES)
        raise CommandFailed(f"organisation type {organisation_type!r} is not one of: {choices}")
    with services.db.session() as session:
        if find_professional(session, address):
            raise CommandFailed(f"there is already an account for {address}")
        professional = Professional(
            email=address,
            name=name.strip(),
            role=role,
            organisation_name=organisation.strip(),
            organisation_type=organisation_type,
            phone=phone,
            is_active=activate,
            is_caseworker=caseworker,
            activated_at=services.now() if activate else None,
        )
        session.add(professional)
        session.flush()
        session.expunge(professional)
        return professional


def professional_summary(p: Professional) -> dict[str, Any]:
    return {
        "id": p.id,
        "email": p.email,
        "name": p.name,
        "role": p.role,
        "organisation": p.organisation_name,
        "organisation_type": p.organisation_type,
        "active": p.is_active,
        "caseworker": p.is_caseworker,
        "created_at": p.created_at.isoformat(),
    }


def known_about(p: Professional) -> dict[str, Any]:
    """What a form may be pre-filled with, by the forms' prefill keys."""
    return {
        "professional.name": p.name,
        "professional.role": p.role if p.role in ROLES else None,
        "professional.organisation_name": p.organisation_name,
        "professional.organisation_type": p.organisation_type,
        "professional.organisation_id": p.organisation_id,
        "professional.email": p.email,
        "professional.phone": p.phone,
    }
