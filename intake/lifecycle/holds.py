"""The legal hold on a case: placed with a reason and released by a caseworker, each audited.

While it is on, the retention purge leaves the case, every message that joined it and their files
as they are, however old (IICSA and litigation holds outrank the retention schedule).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from intake.services import Services
from store import AuditEntry, Case

HOLD_REASON_LENGTH = 500


@dataclass(frozen=True)
class HoldChange:
    """What a hold command did: `done` False with `reason` when nothing changed."""

    reference: str
    done: bool
    reason: str | None = None


def place_legal_hold(
    services: Services, session: Session, case: Case, *, reason: str, actor: str
) -> HoldChange:
    reason = " ".join(reason.split())
    if not reason:
        return HoldChange(case.reference, False, "a legal hold needs a reason")
    if len(reason) > HOLD_REASON_LENGTH:
        return HoldChange(
            case.reference, False, f"the reason is longer than {HOLD_REASON_LENGTH} characters"
        )
    if case.legal_hold_at is not None:
        return HoldChange(case.reference, False, f"{case.reference} is already on legal hold")
    case.legal_hold_reason, case.legal_hold_by = reason, actor
    case.legal_hold_at = services.now()
    _audit(session, case, "legal-hold-placed", actor, {"reason": reason})
    return HoldChange(case.reference, True)


def release_legal_hold(
    services: Services, session: Session, case: Case, *, actor: str
) -> HoldChange:
    if case.legal_hold_at is None:
        return HoldChange(case.reference, False, f"{case.reference} is not on legal hold")
    placed = {"placed_by": case.legal_hold_by, "placed_at": case.legal_hold_at.isoformat()}
    case.legal_hold_reason = case.legal_hold_by = case.legal_hold_at = None
    _audit(session, case, "legal-hold-released", actor, placed)
    return HoldChange(case.reference, True)


def _audit(session: Session, case: Case, action: str, actor: str, detail: dict) -> None:
    # The reason is the caseworker's own words about the proceedings, never copied from the case.
    session.add(
        AuditEntry(
            actor=actor,
            action=action,
            subject_type="case",
            subject_id=case.reference,
            detail=detail,
        )
    )
