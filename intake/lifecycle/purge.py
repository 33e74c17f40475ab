"""The retention purge: remove what `intake.lifecycle.retention` finds due, and write it down.

Crash-safe by order: rows change and commit first (a case, or a batch of messages, per
transaction), and only then are the files no row names any more removed. A crash between the two
leaves files nothing points at; the next run sweeps such orphans (older than a day, so that a
file written just before its row is committed is never taken for one). Running it again finds
nothing more to do. A purge writes one audit entry for the run and one per case removed, with
counts and references only.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from intake.lifecycle.case_removal import PURGE_ACTOR, Removed, remove_case
from intake.lifecycle.retention import PurgePlan, plan_purge
from intake.services import Services
from store import Attachment, AuditEntry, InboundMessage, OutboxMessage, OutboxStatus

BATCH = 500
# A file with no row is an orphan only when older than this: its row may be about to commit.
ORPHAN_AGE_SECONDS = 24 * 3600
# What stands in for a reason's words that may repeat a file name or a typed value.
PURGED = "(purged)"
PERSONAL_PARAMS = ("file", "value", "detail")


@dataclass
class PurgeReport:
    """What a purge removed, or with `dry_run` would remove: counts and references only."""

    today: str
    dry_run: bool
    mail_finished_before: str
    born_on_or_before: str
    cases: list[str] = field(default_factory=list)
    kept_on_legal_hold: list[str] = field(default_factory=list)
    kept_for_unfinished_mail: list[str] = field(default_factory=list)
    messages: list[int] = field(default_factory=list)
    sent_mail: int = 0
    files_removed: dict[str, int] = field(default_factory=lambda: {"raw": 0, "attachments": 0})
    orphans: dict[str, int] = field(default_factory=lambda: {"raw": 0, "attachments": 0})

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def purge(services: Services, today: date | None = None, *, dry_run: bool = False) -> PurgeReport:
    """Purge what retention says is due on `today` (default: today in the service's zone)."""
    started = time.time()
    today = today or services.today()
    with services.db.session() as session:
        plan = plan_purge(services, session, today)
    report = _report_of(plan, dry_run)
    if dry_run:
        report.orphans = {
            store: sum(1 for _ in _orphans(services, store, started)) for store in report.orphans
        }
        return report
    rule = f"date of birth + {services.settings.retain_cases_years} years"
    for case in plan.cases:
        removed = Removed()
        with services.db.session() as session:
            remove_case(session, case, rule, removed)
        _discard(services, report, removed, started)
    for batch in _batches(plan.messages):
        removed = Removed()
        with services.db.session() as session:
            _purge_messages(services, session, batch, removed)
        _discard(services, report, removed, started)
    for batch in _batches(plan.sent_mail):
        with services.db.session() as session:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(batch), OutboxMessage.status == OutboxStatus.SENT)
                .values(raw=None)
                .execution_options(synchronize_session=False)
            )
    for store in report.orphans:
        digests = [digest for digest, _ in _orphans(services, store, started)]
        report.orphans[store] = sum(
            getattr(services, store).discard(d, unless_touched_since=started) for d in digests
        )
    with services.db.session() as session:
        session.add(
            AuditEntry(
                actor=PURGE_ACTOR,
                action="purge-run",
                subject_type="purge",
                subject_id=report.today,
                detail=_audit_detail(report),
            )
        )
    return report


def _report_of(plan: PurgePlan, dry_run: bool) -> PurgeReport:
    return PurgeReport(
        today=plan.today.isoformat(),
        dry_run=dry_run,
        mail_finished_before=plan.mail_finished_before.isoformat(),
        born_on_or_before=plan.born_on_or_before.isoformat(),
        cases=[case.reference for case in plan.cases],
        kept_on_legal_hold=list(plan.kept_on_hold),
        kept_for_unfinished_mail=list(plan.kept_for_mail),
        messages=list(plan.messages),
        sent_mail=len(plan.sent_mail),
    )


def _audit_detail(report: PurgeReport) -> dict[str, Any]:
    return {
        "cases": len(report.cases),
        "messages": len(report.messages),
        "sent_mail": report.sent_mail,
        "kept_on_legal_hold": len(report.kept_on_legal_hold),
        "kept_for_unfinished_mail": len(report.kept_for_unfinished_mail),
        "files_removed": dict(report.files_removed),
        "orphans": dict(report.orphans),
    }


def _purge_messages(
    services: Services, session: Session, ids: Sequence[int], removed: Removed
) -> None:
    """Blank the messages' content and drop the files that came with them and joined no case."""
    messages = session.execute(
        select(
            InboundMessage.id,
            InboundMessage.case_id,
            InboundMessage.raw_sha256,
            InboundMessage.reasons,
            InboundMessage.decisions,
        ).where(InboundMessage.id.in_(ids))
    ).all()
    loose = [m.id for m in messages if m.case_id is None]
    files = session.execute(
        select(Attachment.id, Attachment.sha256).where(
            Attachment.inbound_message_id.in_(loose), Attachment.submission_id.is_(None)
        )
    ).all()
    removed.attachments.update(f.sha256 for f in files)
    session.execute(delete(Attachment).where(Attachment.id.in_([f.id for f in files])))
    removed.raw.update(m.raw_sha256 for m in messages)
    now = services.now()
    # One UPDATE by primary key, sent as a batch (executemany), not one flush per object.
    tombstones = [
        {
            "id": m.id,
            "purged_at": now,
            "subject": None,
            "reasons": [_scrubbed_reason(r) for r in m.reasons or []],
            "decisions": [{k: v for k, v in d.items() if k != "detail"} for d in m.decisions or []],
        }
        for m in messages
    ]
    if tombstones:
        session.execute(update(InboundMessage), tombstones)


def _scrubbed_reason(reason: dict[str, Any]) -> dict[str, Any]:
    params = dict(reason.get("params") or {})
    for name in PERSONAL_PARAMS:
        if name in params:
            params[name] = PURGED
    return {**reason, "params": params}


def _discard(services: Services, report: PurgeReport, removed: Removed, started: float) -> None:
    """Remove the files of committed purges that no remaining row names."""
    with services.db.session() as session:
        raw = removed.raw - _raw_in_use(session, removed.raw)
        files = removed.attachments - _attachments_in_use(session, removed.attachments)
    for store, digests in (("raw", raw), ("attachments", files)):
        kept = getattr(services, store)
        report.files_removed[store] += sum(
            kept.discard(d, unless_touched_since=started) for d in sorted(digests)
        )


def _raw_in_use(session: Session, digests: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for batch in _batches(sorted(digests)):
        found.update(
            session.scalars(
                select(InboundMessage.raw_sha256).where(
                    InboundMessage.raw_sha256.in_(batch), InboundMessage.purged_at.is_(None)
                )
            )
        )
    return found


def _attachments_in_use(session: Session, digests: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for batch in _batches(sorted(digests)):
        found.update(session.scalars(select(Attachment.sha256).where(Attachment.sha256.in_(batch))))
    return found


def _orphans(services: Services, store: str, started: float) -> Iterator[tuple[str, float]]:
    """Files of `store` ("raw" or "attachments") that no row names, older than a day."""
    in_use = _raw_in_use if store == "raw" else _attachments_in_use
    old = [
        (d, mtime)
        for d, mtime in getattr(services, store).digests()
        if mtime < started - ORPHAN_AGE_SECONDS
    ]
    with services.db.session() as session:
        for batch in _batches(old):
            used = in_use(session, [d for d, _ in batch])
            yield from ((d, m) for d, m in batch if d not in used)


def _batches(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]
