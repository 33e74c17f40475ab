"""What became of a message, as `intake ingest --json`, the queue and the dashboard show it: its
status, its case reference and its reasons worded for a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from intake.reasons import Reason
from intake.services import Services
from store import Case, InboundMessage, InboundStatus


@dataclass(frozen=True)
class Outcome:
    """What became of one message, as `intake ingest --json` prints it."""

    inbound_id: int
    message_id: str | None
    status: str
    reference: str | None
    reasons: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "inbound_id": self.inbound_id,
            "message_id": self.message_id,
            "status": self.status,
            "reference": self.reference,
            "reasons": [
                {
                    "code": r["code"],
                    "step": r.get("step"),
                    "field": r.get("field"),
                    "message": r.get("message", ""),
                }
                for r in self.reasons
            ],
        }


def outcome_of(services: Services, inbound_id: int) -> Outcome:
    """The recorded outcome of a message, reasons worded for a person."""
    with services.db.session() as session:
        message = session.get(InboundMessage, inbound_id)
        reference = None
        if message.case_id:
            reference = session.scalar(select(Case.reference).where(Case.id == message.case_id))
        return outcome_from(message, reference)


def outcome_from(message: InboundMessage, reference: str | None) -> Outcome:
    """The outcome of a message row already loaded (with its case's reference, if any)."""
    reasons = [{**r, "message": Reason.from_row(r).sentence()} for r in message.reasons or []]
    if message.status in (InboundStatus.FAILED, InboundStatus.PARKED) and message.last_error:
        reasons.append({"code": "processing-failed", "message": message.last_error})
    parsed_id = message.message_key if not message.message_key.startswith("sha256:") else None
    return Outcome(message.id, parsed_id, str(message.status), reference, reasons)
