"""What accounts and sender verification keep besides the professional's row: one-time codes
(two-step sign-in, proving a submission's sender), single-use links (activation, password
reset) and registration attempts (for their rate limits). Only hashes of codes and links are
stored, so a copy of the database cannot sign anyone in.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, utcnow

SHA256_HEX = 64


class OneTimeCode(Base):
    """A code emailed to a professional (or checked against their authenticator app's secret).

    `purpose` is what the code unlocks: `sign-in`, `submission` (an `awaiting_verification`
    message, named by `inbound_message_id`) or `enrol-app`. A code is spent when `used_at` is set;
    `attempts` counts wrong guesses at it.
    """

    __tablename__ = "one_time_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    professional_id: Mapped[int] = mapped_column(ForeignKey("professionals.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(30))
    code_hash: Mapped[str] = mapped_column(String(SHA256_HEX))
    inbound_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbound_messages.id"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class LinkToken(Base):
    """A single-use, expiring link sent by email: `activate` an account or `reset-password`.
    The link carries a random secret; the row keeps its SHA-256."""

    __tablename__ = "link_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    professional_id: Mapped[int] = mapped_column(ForeignKey("professionals.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(30))
    token_hash: Mapped[str] = mapped_column(String(SHA256_HEX), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class RegistrationAttempt(Base):
    """One try at registering an address, by email or on the web, whatever came of it: the
    rate limits count these per address and per domain over the last day.

    `address` is lower-cased; `outcome` is the reason code the attempt ended with.
    """

    __tablename__ = "registration_attempts"
    __table_args__ = (Index(None, "address", "at"), Index(None, "domain", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(320))
    domain: Mapped[str] = mapped_column(String(255))
    via: Mapped[str] = mapped_column(String(10))
    outcome: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(default=utcnow)
