"""Single-use, expiring links sent by email: activating an account, resetting a password.

A link carries 32 random bytes; the store keeps only their SHA-256, so a copy of the database
cannot be used to sign in. Redeeming is one conditional UPDATE, so two clicks at once (or a
replayed link) use it once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from intake.services import Services
from store import LinkToken, Professional

LIFETIMES = {
    "activate": timedelta(days=7),
    "reset-password": timedelta(hours=1),
}
PATHS = {"activate": "activate", "reset-password": "reset-password"}


def issue_link(
    services: Services, session: Session, professional: Professional, purpose: str
) -> str:
    """A new link for `purpose`; earlier unused links for the same purpose stop working."""
    now = services.now()
    session.execute(
        update(LinkToken)
        .where(
            LinkToken.professional_id == professional.id,
            LinkToken.purpose == purpose,
            LinkToken.used_at.is_(None),
        )
        .values(used_at=now)
    )
    secret = secrets.token_urlsafe(32)
    session.add(
        LinkToken(
            professional_id=professional.id,
            purpose=purpose,
            token_hash=_hash(secret),
            created_at=now,
            expires_at=now + LIFETIMES[purpose],
        )
    )
    session.flush()
    base = services.settings.base_url.rstrip("/")
    return f"{base}/{PATHS[purpose]}/{secret}"


def link_secret(url: str) -> str:
    """The secret part of a link we issued (its last path segment)."""
    return url.rstrip("/").rsplit("/", 1)[-1]


def peek_link(
    services: Services, session: Session, secret: str, purpose: str
) -> Professional | None:
    """Whose link this is while it is unused and unexpired; it stays usable."""
    row = _usable(services, session, secret, purpose)
    return session.get(Professional, row.professional_id) if row else None


def redeem_link(
    services: Services, session: Session, secret: str, purpose: str
) -> Professional | None:
    """Use the link once: whose it was, or None when unknown, used, expired or for another
    purpose."""
    row = _usable(services, session, secret, purpose)
    if row is None:
        return None
    claimed = session.execute(
        update(LinkToken)
        .where(LinkToken.id == row.id, LinkToken.used_at.is_(None))
        .values(used_at=services.now())
    )
    if claimed.rowcount != 1:
        return None
    return session.get(Professional, row.professional_id)


def _usable(services: Services, session: Session, secret: str, purpose: str) -> LinkToken | None:
    if not secret or len(secret) > 100:
        return None
    return session.scalar(
        select(LinkToken).where(
            LinkToken.token_hash == _hash(secret),
            LinkToken.purpose == purpose,
            LinkToken.used_at.is_(None),
            LinkToken.expires_at > services.now(),
        )
    )


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
