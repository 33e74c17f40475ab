"""Capture first: store a message's raw bytes and its `received` row, and commit, before the
transport is acknowledged (IMAP move, SMTP 250).

Exactly once at the first two layers: the transport key `(mailbox, uidvalidity, uid)` and the
message key (normalised Message-ID, else a hash) each find an earlier capture of the same
message, so a second delivery, by the same route or another, records nothing new.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from intake.parse.message import message_key, parse_headers, parse_message
from intake.receive.imap import TransportKey
from intake.services import Services
from store import InboundMessage, InboundStatus, Transport


@dataclass(frozen=True)
class Captured:
    inbound_id: int
    new: bool


def capture_message(
    services: Services,
    raw: bytes,
    transport: Transport,
    *,
    envelope_from: str | None = None,
    envelope_to: Sequence[str] = (),
    key: TransportKey | None = None,
    sender_verified: str | None = None,
) -> Captured:
    """Store `raw` durably and return its inbound row; raises only when storage fails.
    `sender_verified` says how the sender is already proven (a web upload: "web")."""
    digest = services.raw.put(raw)
    # The headers are enough when there is a Message-ID; the pipeline parses the whole message.
    parsed = parse_headers(raw)
    if parsed is None or not parsed.message_id:
        parsed = parse_message(raw)
    identity = message_key(parsed, raw)
    for _ in range(2):
        with services.db.session() as session:
            earlier = _find_earlier(session, identity, key)
            if earlier is not None:
                return Captured(earlier, new=False)
            row = InboundMessage(
                transport=transport,
                mailbox=key.mailbox if key else None,
                uidvalidity=key.uidvalidity if key else None,
                uid=key.uid if key else None,
                message_key=identity,
                raw_sha256=digest,
                size=len(raw),
                envelope_from=envelope_from,
                envelope_to=[address.lower() for address in envelope_to],
                from_address=parsed.from_address,
                subject=(parsed.subject or "")[:500],
                status=InboundStatus.RECEIVED,
                sender_verified=sender_verified,
            )
            session.add(row)
            try:
                session.flush()
            except IntegrityError:
                # Another worker captured the same message a moment ago: look again.
                session.rollback()
                continue
            return Captured(row.id, new=True)
    raise RuntimeError(f"could not capture message {identity}: it keeps clashing")


def _find_earlier(session, identity: str, key: TransportKey | None) -> int | None:
    if key is not None:
        found = session.scalar(
            select(InboundMessage.id).where(
                InboundMessage.mailbox == key.mailbox,
                InboundMessage.uidvalidity == key.uidvalidity,
                InboundMessage.uid == key.uid,
            )
        )
        if found is not None:
            return found
    return session.scalar(select(InboundMessage.id).where(InboundMessage.message_key == identity))
