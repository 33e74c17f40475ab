"""Who sent a message and what its form may claim: the sender proven by the policy
INTAKE_SENDER_VERIFICATION (a DMARC pass our receiving server wrote, or a one-time code), a form
held as `awaiting_verification` until its code comes back, and a request token kept to its child.

Anyone can write any From address, so a valid token from the right address is not yet proof.
`dmarc-or-code` (the default) takes a DMARC pass for the From domain in the topmost
Authentication-Results header under our trusted authserv-id; without one, and always under
`code`, the message waits and the professional is emailed a code. `none` trusts the From address
and is for tests and demos only. A held message keeps nothing but its raw bytes: released by a
reply to our code email (the `code-reply` route) or on the web, it is processed again from them,
this time with `sender_verified = "code"`. The reply ends `accepted` when the code was right,
`rejected` otherwise; a wrong code counts towards the account's lock (`intake.accounts.codes`).
"""

from __future__ import annotations

import re

import authres
from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.accounts.codes import CodeResult, check_code, send_email_code
from intake.cases.request_records import case_of_another_child
from intake.pipeline.context import Context, note_reply_held
from intake.pipeline.routing import Match, RoutingInput
from intake.reasons import reason
from intake.replies import Thread
from intake.services import Services
from store import AdviceRequest, InboundMessage, InboundStatus, OutboxMessage, Professional

# How a sender was proven, as `InboundMessage.sender_verified` keeps it.
BY_DMARC = "dmarc"
BY_CODE = "code"
# Uploaded on the portal by the signed-in professional (password and two-step code, at least as
# strong as the code an email's sender may be asked for): set only by the upload path
# (`intake.pipeline.upload`), never by mail, so no header can claim it.
BY_SIGN_IN = "web"
# The policy that trusts the From address (tests and demos only).
TRUST_FROM = "none"
DMARC_OR_CODE = "dmarc-or-code"
CODE_PURPOSE = "submission"
AWAITING = "awaiting-verification"

# An authserv-id, after any leading comments: the header's first token (RFC 8601 section 2.2).
_AUTHSERV_ID = re.compile(r"^\s*(?:\([^)]*\)\s*)*([^\s;()]+)")


def authserv_id(header_value: str) -> str | None:
    found = _AUTHSERV_ID.match(header_value)
    return found.group(1).lower() if found else None


def dmarc_passed(header_values: list[str], from_address: str | None, trusted: str | None) -> bool:
    """Whether the topmost Authentication-Results header written under `trusted` says DMARC
    passed for the From address's domain. Headers under any other authserv-id are ignored, and
    so is every trusted one below the first: the sender may have written those itself."""
    if not trusted or not from_address or "@" not in from_address:
        return False
    domain = from_address.rpartition("@")[2].lower()
    for value in header_values:
        if authserv_id(value) != trusted.lower():
            continue
        try:
            header = authres.AuthenticationResultsHeader.parse_value(value)
        except (authres.AuthResError, ValueError):
            return False
        return any(
            result.method == "dmarc"
            and result.result == "pass"
            and any(
                (prop.type, prop.name) == ("header", "from") and str(prop.value).lower() == domain
                for prop in result.properties
            )
            for result in header.results
        )
    return False


def sender_proof(ctx: Context) -> str | None:
    """How the message's sender is proven under the policy: by a code already given, by DMARC,
    or trusted as written (policy `none`); None when not proven."""
    if ctx.message.sender_verified in (BY_CODE, BY_SIGN_IN):
        return ctx.message.sender_verified
    policy = ctx.services.settings.sender_verification
    if policy == TRUST_FROM:
        return TRUST_FROM
    parsed = ctx.parsed
    trusted = ctx.services.settings.trusted_authserv
    if policy == DMARC_OR_CODE and dmarc_passed(
        parsed.authentication_results, parsed.from_address, trusted
    ):
        return BY_DMARC
    return None


def sender_is_proven(ctx: Context) -> bool:
    """Judge the sender once, note how on the message (its decisions, and `sender_verified`
    when DMARC or a code proved it) and say whether it is proven."""
    proof = sender_proof(ctx)
    detail = proof or f"not proven ({ctx.services.settings.sender_verification})"
    decision = {"check": "sender-verified", "hit": proof is not None, "detail": detail}
    ctx.message.decisions = [*(ctx.message.decisions or []), decision]
    if proof in (BY_DMARC, BY_CODE):
        ctx.message.sender_verified = proof
    return proof is not None


def proven_or_held(ctx: Context, professional: Professional) -> bool:
    """True when the sender is proven; otherwise the message waits as `awaiting_verification`,
    nothing of it recorded, and a code goes to the professional's own address (not to whatever
    the From said), threaded under their message."""
    if sender_is_proven(ctx):
        return True
    ctx.finish(InboundStatus.AWAITING_VERIFICATION, [reason(AWAITING)])
    thread = Thread(
        professional.email, ctx.thread.message_id, ctx.thread.references, ctx.message.id
    )
    sent = send_email_code(
        ctx.services,
        ctx.session,
        professional,
        CODE_PURPOSE,
        inbound_message_id=ctx.message.id,
        thread=thread,
        reason=AWAITING,
    )
    if not sent:
        note_reply_held(ctx.message, "one_time_code")
    return False


def refuse_unproven_status(ctx: Context, found: Match) -> None:
    """STATUS from a sender not proven: the refusal anyone gets, which says nothing of any case."""
    asked = found.asked or ""
    ctx.finish(InboundStatus.REJECTED, [reason("status-sender-not-verified", reference=asked)])
    if ctx.can_reply():
        ctx.reply("status", {"shared": False, "asked": asked})


def release_held_submission(
    services: Services, session: Session, professional: Professional, code: str, inbound_id: int
) -> CodeResult:
    """Judge a code for the held message `inbound_id` (from a reply, or entered on the web).

    On the right code the message goes back to `received` with `sender_verified = "code"`, and
    the pipeline processes it again from its raw bytes once the caller commits (it is then
    recorded, or answered, as if DMARC had passed). A wrong code is counted towards the lock;
    a message not waiting, or not this professional's, has no live code (EXPIRED)."""
    held = session.get(InboundMessage, inbound_id)
    if held is None or held.status != InboundStatus.AWAITING_VERIFICATION:
        return CodeResult.EXPIRED
    result = check_code(
        services, session, professional, code, CODE_PURPOSE, inbound_message_id=inbound_id
    )
    if result is CodeResult.OK:
        held.status = InboundStatus.RECEIVED
        held.sender_verified = BY_CODE
        held.attempts = 0
        held.next_attempt_at = None
        held.processed_at = None
        session.flush()
    return result


def kept_to_its_child(ctx: Context, found: Match, answers: dict) -> bool:
    """A request token stands for one request about one child: the same token with another
    child's answers is quarantined (the SEND team decides) and the sender gets a fresh form."""
    other = case_of_another_child(ctx.session, found.form.token_text, answers)
    if other is None:
        return True
    ctx.finish(
        InboundStatus.QUARANTINED,
        [reason("token-other-case", detail=f"token already used for {other.reference}")],
    )
    return False


def advice_kept_to_its_request(ctx: Context, request: AdviceRequest | None, answers: dict) -> bool:
    """An advice token stands for one advice request: a form that names another request we hold
    (its reference written over) is quarantined, and the sender told only that; a reference we
    do not hold is a mistake in the form, answered with the form's other problems."""
    written = str(answers.get("advice_request_ref") or "").strip().upper()
    if request is None or not written or written == request.reference:
        return True
    other = ctx.session.scalar(select(AdviceRequest).where(AdviceRequest.reference == written))
    if other is None:
        return True
    detail = f"token of {request.reference}, form filled in for {other.reference}"
    ctx.finish(InboundStatus.QUARANTINED, [reason("token-other-request", detail=detail)])
    if ctx.can_reply():
        ctx.reply(
            "not_accepted",
            {"reason": reason("token-other-request").sentence(), "fresh_form": False},
        )
    return False


# --- a reply to our code email ---------------------------------------------------------------

CODE_EMAIL = "one_time_code"
# Six digits, perhaps written in two groups of three ("123 456").
_CODE = re.compile(r"(?<!\d)(\d{3}) ?(\d{3})(?!\d)")

# What each outcome is called on the reply message, and whether the sender is told.
OUTCOMES = {
    CodeResult.OK: ("code-accepted", InboundStatus.ACCEPTED, False),
    CodeResult.WRONG: ("code-wrong", InboundStatus.REJECTED, True),
    CodeResult.EXPIRED: ("code-expired", InboundStatus.REJECTED, True),
    # The owner was emailed when the account locked; nothing more is sent.
    CodeResult.LOCKED: ("code-locked", InboundStatus.REJECTED, False),
}


def by_code_reply(given: RoutingInput) -> Match | None:
    """A reply whose In-Reply-To or References name a code email we sent about a message."""
    ids = [given.parsed.in_reply_to, *given.parsed.references]
    wanted = [i if i.startswith("<") else f"<{i}>" for i in ids if i]
    if not wanted:
        return None
    email = given.session.scalar(
        select(OutboxMessage)
        .where(
            OutboxMessage.message_id.in_(wanted),
            OutboxMessage.kind == CODE_EMAIL,
            OutboxMessage.inbound_message_id.is_not(None),
        )
        .limit(1)
    )
    return Match("code-reply", given.sender, thread_email=email) if email else None


def code_in(text: str) -> str | None:
    """The code in a reply's fresh text; the quoted history (our own email) is never read, so
    quoting the code email back is not taken as giving the code."""
    found = _CODE.search(text)
    return found.group(1) + found.group(2) if found else None


def on_code_reply(ctx: Context, found: Match) -> None:
    email = found.thread_email
    sender = found.sender
    # Only from the address the code went to: another account's reply cannot release it.
    if sender is None or sender.email.lower() != email.to_address.lower():
        ctx.finish(InboundStatus.REJECTED, [reason("code-not-yours")])
        return
    code = code_in(ctx.parsed.text_body)
    if code is None:
        ctx.finish(InboundStatus.REJECTED, [reason("code-missing")])
        ctx.reply("code_reply", {"reason": reason("code-missing").sentence()})
        return
    result = release_held_submission(
        ctx.services, ctx.session, sender, code, email.inbound_message_id
    )
    code_name, status, tell = OUTCOMES[result]
    outcome = reason(code_name, held_message=email.inbound_message_id)
    ctx.finish(status, [outcome])
    if tell and ctx.can_reply():
        ctx.reply("code_reply", {"reason": outcome.sentence()})
