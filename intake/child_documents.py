"""Whether a PDF holding a child's data may travel by email, and how: attached as it is to an
address in a trusted domain (`INTAKE_TRUSTED_DOMAINS`), attached encrypted with the document
password of the professional it goes to, or withheld, the email then saying it waits in the
portal. Blank forms and specimens hold no child's data and travel freely.

`carry` is the one place that decides; `intake.replies.send_reply` calls it for every email.
A PDF holding a child's data is a `ChildDocument`: receipts, and forms returned or sent
with answers (`form_document`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from documents import FormDefinition
from intake.accounts.document_passwords import document_password, encrypt_pdf
from intake.cases.accounts import find_professional
from intake.services import Services
from notifier import Attachment, recipient_address


@dataclass(frozen=True)
class ChildDocument(Attachment):
    """An attachment that holds a child's data."""


class Carriage(StrEnum):
    PLAIN = "plain"
    ENCRYPTED = "encrypted"
    WITHHELD = "withheld"


@dataclass(frozen=True)
class Carried:
    """What an email may carry, and what its template says about the child's documents:
    `child_documents` is "plain", "encrypted", "withheld" or None (there were none)."""

    attachments: list[Attachment]
    child_documents: str | None


def holds_child_data(form: FormDefinition, values: Mapping[str, Any] | None) -> bool:
    """Whether a form filled with `values` holds anything beyond the professional's own details
    (a registration form never holds a child's data)."""
    if form.kind == "registration" or not values:
        return False
    own = {f.name for f in form.fields() if (f.prefill or "").startswith("professional.")}
    return any(
        value not in (None, "", False, [], ()) for name, value in values.items() if name not in own
    )


def in_trusted_domain(address: str, trusted: Sequence[str]) -> bool:
    domain = recipient_address(address).rpartition("@")[2].strip().lower().rstrip(".")
    for pattern in trusted:
        if pattern.startswith("*."):
            if domain.endswith(pattern[1:]):
                return True
        elif domain == pattern:
            return True
    return False


def carriage(services: Services, session: Session, address: str) -> tuple[Carriage, str | None]:
    """How a child's documents may go to `address`, and the password to encrypt them with.

    Only to an activated account: until then nothing with a child's data goes to the address."""
    professional = find_professional(session, recipient_address(address))
    if professional is None or not professional.is_active:
        return Carriage.WITHHELD, None
    if in_trusted_domain(address, services.settings.trusted_domains):
        return Carriage.PLAIN, None
    password = document_password(services, professional)
    if password is not None:
        return Carriage.ENCRYPTED, password
    return Carriage.WITHHELD, None


def carry(
    services: Services, session: Session, address: str, attachments: Sequence[Attachment]
) -> Carried:
    """The attachments an email to `address` may carry: child documents plain, encrypted or
    left out as `carriage` decides; every other attachment as it is."""
    documents = [a for a in attachments if isinstance(a, ChildDocument)]
    if not documents:
        return Carried(list(attachments), None)
    how, password = carriage(services, session, address)
    kept: list[Attachment] = []
    for item in attachments:
        if not isinstance(item, ChildDocument) or how is Carriage.PLAIN:
            kept.append(item)
        elif how is Carriage.ENCRYPTED:
            kept.append(replace(item, data=encrypt_pdf(item.data, password or "")))
    return Carried(kept, str(how))
