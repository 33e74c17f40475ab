"""One message being handled: the parts, the transaction, the message row and where replies go,
with the one way a handler ends a message (`finish`) and the reply to mail screening refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from intake.parse.message import ParsedMessage
from intake.reasons import Reason, as_rows, reason, worded
from intake.replies import Thread, send_reply
from intake.services import Services
from store import InboundMessage, InboundStatus, Submission


@dataclass
class Context:
    services: Services
    session: Session
    message: InboundMessage
    parsed: ParsedMessage
    thread: Thread

    def finish(
        self,
        status: InboundStatus,
        reasons: Sequence[Reason] = (),
        *,
        decisions: list[dict[str, Any]] | None = None,
        case_id: int | None = None,
        submission_id: int | None = None,
        duplicate_of: int | None = None,
    ) -> None:
        m = self.message
        m.status = status
        m.reasons = as_rows(reasons)
        if decisions is not None:
            m.decisions = decisions
        m.case_id = case_id
        m.submission_id = submission_id
        m.duplicate_of_id = duplicate_of
        m.processed_at = self.services.now()
        m.next_attempt_at = None
        m.last_error = None

    def finish_duplicate(self, earlier: Submission) -> None:
        """The same form with the same answers again: nothing new is recorded or answered."""
        self.finish(
            InboundStatus.DUPLICATE,
            [reason("duplicate-submission")],
            case_id=earlier.case_id,
            submission_id=earlier.id,
            duplicate_of=earlier.inbound_message_id,
        )

    @property
    def released(self) -> bool:
        """A caseworker released the message from quarantine: it is not held again."""
        return self.message.released_by is not None

    def can_reply(self) -> bool:
        return bool(self.thread.address)

    def reply(self, template: str, context: dict[str, Any], **options: Any) -> None:
        """Queue an email to the sender, threaded under their message. A refusal or notice is
        counted against the daily limit for its reason; one held back by a limit is noted in
        the message's decisions, and the message keeps the outcome it has."""
        options.setdefault("reason", reply_reason(self.message))
        queued = send_reply(self.services, self.session, template, self.thread, context, **options)
        if queued is None:
            note_reply_held(self.message, template)

    def refuse(self, reasons: Sequence[Reason], decisions: list[dict[str, Any]]) -> None:
        """Screening refused the message: say why, once, to a person who can act on it. Each
        reason has its own sentence; what the checks measured stays on the row for the
        caseworker."""
        self.finish(InboundStatus.REJECTED, reasons, decisions=decisions)
        if self.can_reply():
            self.reply("not_accepted", {"reason": " ".join(worded(reasons)), "fresh_form": False})

    def received_on(self) -> date:
        return self.message.received_at.astimezone(ZoneInfo(self.services.settings.timezone)).date()


def reply_reason(message: InboundMessage) -> str | None:
    """The reason code a reply answers, for the daily limit: the message's first reason, unless
    it was accepted (a confirmation is never held back for its reason)."""
    if message.status == InboundStatus.ACCEPTED or not message.reasons:
        return None
    return message.reasons[0]["code"]


def note_reply_held(message: InboundMessage, template: str) -> None:
    # A new list, so that the JSON column is seen as changed.
    held = {"check": "reply-rate-limit", "hit": True, "detail": f"{template} not sent"}
    message.decisions = [*(message.decisions or []), held]
