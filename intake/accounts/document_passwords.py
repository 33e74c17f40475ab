"""The document password a professional chooses on activation, which PDFs holding a child's data
are encrypted with (AES-256) before they travel by email, and read back with when they return.

Unlike a sign-in password it must be recoverable, so it is kept encrypted with a key derived from
the service's key (Fernet: AES-128-CBC with an HMAC), never hashed, and never logged.
"""

from __future__ import annotations

import base64
import io

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pypdf import PdfReader, PdfWriter
from sqlalchemy.orm import Session

from intake.accounts.passwords import password_problem
from intake.services import Services
from store import Professional

# Separates this key from every other use of the service's key (form tokens, codes, links).
_KEY_PURPOSE = b"ehcp-intake document passwords v1"


def _fernet(service_key: bytes) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_KEY_PURPOSE).derive(
        service_key
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def set_document_password(
    services: Services,
    professional: Professional,
    password: str,
    *,
    session: Session | None = None,
) -> str | None:
    """Keep `password` (encrypted) as the professional's document password; None when kept, else
    why it will not do (a reason code from `password_problem`). Written in `session` when given,
    else in a transaction of its own."""
    problem = password_problem(password)
    if problem is not None:
        return problem
    sealed = _fernet(services.key).encrypt(password.encode("utf-8")).decode("ascii")
    if session is not None:
        session.get(Professional, professional.id).document_password = sealed
    else:
        with services.db.session() as own:
            own.get(Professional, professional.id).document_password = sealed
    professional.document_password = sealed
    return None


def document_password(services: Services, professional: Professional | None) -> str | None:
    """The professional's document password, or None when there is none we can open (none set,
    or set under another service key)."""
    if professional is None or not professional.document_password:
        return None
    try:
        return _fernet(services.key).decrypt(professional.document_password).decode("utf-8")
    except (InvalidToken, ValueError):
        return None


def sender_document_passwords(services: Services, sender: Professional | None) -> list[str]:
    """The passwords to open an encrypted PDF from `sender` with: their own, if any."""
    password = document_password(services, sender)
    return [password] if password is not None else []


def encrypt_pdf(data: bytes, password: str) -> bytes:
    """The PDF encrypted with `password` (AES-256, PDF 2.0's revision 6). The same password
    opens it and lets its owner fill in and save the form: every permission stays granted."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=password, owner_password=password, algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
