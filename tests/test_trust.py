"""Conversation tests for trust in email submissions (issue 11): a form is recorded only when its
token is sound, issued to the sender, for what it claims, and its sender is proven by a DMARC
pass our receiving server wrote or by a one-time code; STATUS answers proven senders only; and
one address is not answered again and again for the same reason.

Each test sends real mail through the real pipeline on SQLite and PostgreSQL and looks at what
was recorded and what was sent back. After each one, no queued email may name the child.
"""

from __future__ import annotations

import dataclasses
import re

import pytest
from mail_factory import (
    TRUSTED_AUTHSERV,
    authentication_results,
    body_texts,
    build_message,
    child_data_in_mail,
    form_reply,
    read_email,
)
from sqlalchemy import func, select
from stdnum.gb import upn

from documents import get_form, issue_token, render_form
from documents.forms.request_example import REQUEST_EXAMPLE
from intake.accounts.codes import CodeResult
from intake.cases.accounts import add_professional
from intake.pipeline.process import process_all
from intake.receive.capture import capture_message
from intake.replies import personal_request_form
from intake.views.case import queue_rows
from store import (
    Attachment,
    AuditEntry,
    Case,
    InboundMessage,
    InboundStatus,
    OneTimeCode,
    OutboxMessage,
    Professional,
    Submission,
    Transport,
)

REQUEST = get_form("request")
SENCO = "h.michalowska@glanwy.sch.uk"
COLLEAGUE = "o.rees@glanwy.sch.uk"
LISTED = [
    (REQUEST_EXAMPLE[f"documents[{row}].file"], "application/pdf", b"%PDF-1.4\n% report\n%%EOF\n")
    for row in (1, 2)
]
CHILD_DATA = ("Gruffydd", "Nowak-Pryce", "2016-05-14", "14/05/2016", "Ceri", "2017-09-03")
# A second child, for a request token used twice.
SECOND_CHILD = {
    "child_forename": "Ceri",
    "child_surname": "Lloyd",
    "child_known_as": "",
    "date_of_birth": "2017-09-03",
    "upn": upn.calc_check_digit("856234516124") + "856234516124",
    "nhs_number": "",
}


def register(services, email: str, name: str) -> Professional:
    return add_professional(
        services, email=email, name=name, role="SENCO", organisation="Glan Ŵy Primary School",
        organisation_type="Maintained school", activate=True,
    )  # fmt: skip


@pytest.fixture
def senco(services):
    return register(services, SENCO, "Hélène Michałowska")


@pytest.fixture(autouse=True)
def no_child_data_in_mail(services):
    yield
    assert child_data_in_mail(services, CHILD_DATA) == []


def with_policy(services, policy: str):
    settings = dataclasses.replace(services.settings, sender_verification=policy)
    return dataclasses.replace(services, settings=settings)


def deliver(services, raw: bytes) -> InboundMessage:
    captured = capture_message(services, raw, Transport.FILE)
    process_all(services)
    return inbound(services, captured.inbound_id)


def inbound(services, inbound_id: int) -> InboundMessage:
    with services.db.session() as session:
        return session.get(InboundMessage, inbound_id)


def count(services, model) -> int:
    with services.db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def nothing_recorded(services) -> bool:
    return count(services, Case) == 0 and count(services, Submission) == 0


def sent(services, inbound_id: int | None = None, kind: str | None = None) -> list[OutboxMessage]:
    with services.db.session() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if inbound_id is not None:
            query = query.where(OutboxMessage.inbound_message_id == inbound_id)
        if kind is not None:
            query = query.where(OutboxMessage.kind == kind)
        return list(session.scalars(query))


def codes(message: InboundMessage) -> list[str]:
    return [r["code"] for r in message.reasons]


def valid_form(token: str, **changes: str) -> bytes:
    return render_form(REQUEST, values={**REQUEST_EXAMPLE, **changes}, token=token)


def code_email(services, held: InboundMessage) -> tuple[OutboxMessage, str]:
    [row] = sent(services, held.id, "one_time_code")
    return row, re.search(r"Your code: (\d{6})", row.subject).group(1)


def code_reply(row: OutboxMessage, text: str, *, sender: str = SENCO, n: int = 1) -> bytes:
    """The professional's answer to our code email, quoting it beneath, as mail programs do."""
    quoted = "\n".join("> " + line for line in body_texts(read_email(row.raw))[0].splitlines())
    return build_message(
        headers={
            "From": sender,
            "Subject": f"Re: {row.subject}",
            "In-Reply-To": row.message_id,
            "References": row.message_id,
        },
        body=f"{text}\n\nOn Mon, 1 Dec 2025, SEND service wrote:\n{quoted}\n",
        message_id=f"<code-reply-{n}@glanwy.sch.uk>",
        dmarc=None,
    )


# --- 1. a form is recorded only with a sound token, for what it claims ---------------------------


def test_a_forged_from_with_a_valid_token_is_held_and_the_code_goes_to_the_owner(services, senco):
    token, _ = personal_request_form(services, senco)

    message = deliver(
        services, form_reply(valid_form(token), sender=SENCO, files=LISTED, dmarc=None)
    )

    assert (message.status, codes(message)) == (
        InboundStatus.AWAITING_VERIFICATION,
        ["awaiting-verification"],
    )
    assert message.sender_verified is None
    assert nothing_recorded(services)
    [row] = sent(services, message.id)
    assert (row.kind, row.to_address) == ("one_time_code", SENCO)
    text = body_texts(read_email(row.raw))[0]
    assert "To confirm that you sent it, reply to this email with the" in " ".join(text.split())
    # The caseworker's queue shows it, as `intake queue` does.
    assert [
        (r["id"], r["status"]) for r in queue_rows(services, None) if r["type"] == "message"
    ] == [(message.id, "awaiting_verification")]


def test_a_tampered_token_is_quarantined_and_not_recorded(services, senco):
    token, _ = personal_request_form(services, senco)
    tampered = token[:10] + ("a" if token[10] != "a" else "b") + token[11:]

    message = deliver(services, form_reply(valid_form(tampered), sender=SENCO, files=LISTED))

    assert (message.status, codes(message)) == (
        InboundStatus.QUARANTINED,
        ["token-bad-signature"],
    )
    assert nothing_recorded(services)
    [row] = sent(services, message.id)
    assert (row.kind, row.to_address) == ("not_accepted", SENCO)


def test_an_expired_token_is_quarantined_and_a_fresh_form_sent(services, senco):
    long_ago = services.today().replace(year=services.today().year - 1)
    token = issue_token(services.key, "request", senco.id, today=long_ago)

    message = deliver(services, form_reply(valid_form(token), sender=SENCO, files=LISTED))

    assert (message.status, codes(message)) == (InboundStatus.QUARANTINED, ["token-expired"])
    assert nothing_recorded(services)
    [row] = sent(services, message.id)
    assert row.kind == "not_accepted"
    assert "request-form.pdf" in {p.get_filename() for p in read_email(row.raw).iter_attachments()}


def test_a_request_token_used_again_for_a_second_child_is_quarantined(services, senco):
    token, _ = personal_request_form(services, senco)
    first = deliver(services, form_reply(valid_form(token), sender=SENCO, files=LISTED))
    assert first.status == InboundStatus.ACCEPTED

    again = form_reply(
        valid_form(token, **SECOND_CHILD),
        sender=SENCO,
        files=LISTED,
        message_id="<second-child@glanwy.sch.uk>",
    )
    message = deliver(services, again)

    assert (message.status, codes(message)) == (InboundStatus.QUARANTINED, ["token-other-case"])
    assert (message.case_id, message.submission_id) == (None, None)
    assert (count(services, Case), count(services, Submission)) == (1, 1)
    with services.db.session() as session:
        case = session.scalar(select(Case))
        assert case.child.forename == "Gruffydd"
    [row] = sent(services, message.id)
    assert (row.kind, row.to_address) == ("not_accepted", SENCO)


def test_a_token_from_a_different_registered_professional_is_not_recorded(services, senco):
    # Their own mail server vouches for them: it is still not their form.
    register(services, COLLEAGUE, "Owain Rees")
    token, _ = personal_request_form(services, senco)

    message = deliver(services, form_reply(valid_form(token), sender=COLLEAGUE, files=LISTED))

    assert (message.status, codes(message)) == (InboundStatus.QUARANTINED, ["sender-mismatch"])
    assert nothing_recorded(services)
    assert [row.kind for row in sent(services)] == ["not_accepted"]


# --- 2. the sender verification policy -----------------------------------------------------------


def test_a_dmarc_pass_from_our_receiving_server_proves_the_sender(services, senco):
    token, _ = personal_request_form(services, senco)

    message = deliver(services, form_reply(valid_form(token), sender=SENCO, files=LISTED))

    assert message.status == InboundStatus.ACCEPTED
    assert message.sender_verified == "dmarc"
    assert {"check": "sender-verified", "hit": True, "detail": "dmarc"} in message.decisions


def forged_headers(sender: str) -> dict[str, list[str]]:
    """Authentication-Results a forger's message may arrive with, topmost first."""
    ours_fail = authentication_results(sender, "fail")
    theirs_pass = authentication_results(sender, "pass", authserv_id="mx.forger.example")
    return {
        "dmarc-fail": [ours_fail],
        "untrusted-authserv-pass": [theirs_pass],
        # A pass under our id, written by the sender below the header our server added.
        "our-fail-above-a-forged-pass": [ours_fail, authentication_results(sender, "pass")],
        "pass-for-another-domain": [authentication_results("x@forger.example", "pass")],
        # Ours unreadable: a pass the sender wrote beneath it still does not count.
        "ours-unreadable-above-a-forged-pass": [
            f"{TRUSTED_AUTHSERV}; dmarc=",
            authentication_results(sender, "pass"),
        ],
    }


@pytest.mark.parametrize("case", sorted(forged_headers(SENCO)))
def test_authentication_results_that_do_not_prove_the_sender_hold_the_form(services, senco, case):
    token, _ = personal_request_form(services, senco)
    raw = form_reply(valid_form(token), sender=SENCO, files=LISTED, dmarc=None)
    head = "".join(f"Authentication-Results: {v}\r\n" for v in forged_headers(SENCO)[case])

    message = deliver(services, head.encode() + raw)

    assert message.status == InboundStatus.AWAITING_VERIFICATION
    assert message.sender_verified is None
    assert nothing_recorded(services)


def test_the_code_policy_holds_even_a_dmarc_pass(services, senco):
    services = with_policy(services, "code")
    token, _ = personal_request_form(services, senco)

    message = deliver(services, form_reply(valid_form(token), sender=SENCO, files=LISTED))

    assert message.status == InboundStatus.AWAITING_VERIFICATION
    assert nothing_recorded(services)


def test_the_none_policy_trusts_the_from_address(services, senco):
    services = with_policy(services, "none")
    token, _ = personal_request_form(services, senco)

    message = deliver(
        services, form_reply(valid_form(token), sender=SENCO, files=LISTED, dmarc=None)
    )

    assert (message.status, message.sender_verified) == (InboundStatus.ACCEPTED, None)


def test_replying_with_the_code_releases_the_held_form(services, senco):
    token, _ = personal_request_form(services, senco)
    held = deliver(services, form_reply(valid_form(token), sender=SENCO, files=LISTED, dmarc=None))
    row, code = code_email(services, held)

    answer = deliver(services, code_reply(row, f"Here it is: {code[:3]} {code[3:]}"))

    assert (answer.status, codes(answer)) == (InboundStatus.ACCEPTED, ["code-accepted"])
    released = inbound(services, held.id)
    assert (released.status, released.sender_verified) == (InboundStatus.ACCEPTED, "code")
    assert released.submission_id is not None and released.case_id is not None
    assert [(r.kind, r.to_address) for r in sent(services, held.id)] == [
        ("one_time_code", SENCO),
        ("confirmation", SENCO),
    ]
    # The code works once: the same reply again finds no live code.
    again = deliver(services, code_reply(row, code, n=2))
    assert (again.status, codes(again)) == (InboundStatus.REJECTED, ["code-expired"])
    assert count(services, Submission) == 1


def test_quoting_the_code_email_without_writing_the_code_releases_nothing(services, senco):
    token, _ = personal_request_form(services, senco)
    held = deliver(services, form_reply(valid_form(token), sender=SENCO, files=LISTED, dmarc=None))
    row, _ = code_email(services, held)

    answer = deliver(services, code_reply(row, "I did not send any form!"))

    assert (answer.status, codes(answer)) == (InboundStatus.REJECTED, ["code-missing"])
    assert inbound(services, held.id).status == InboundStatus.AWAITING_VERIFICATION
    assert nothing_recorded(services)


def test_a_code_from_another_address_releases_nothing(services, senco):
    register(services, COLLEAGUE, "Owain Rees")
    token, _ = personal_request_form(services, senco)
    held = deliver(services, form_reply(valid_form(token), sender=SENCO, files=LISTED, dmarc=None))
    row, code = code_email(services, held)

    answer = deliver(services, code_reply(row, code, sender=COLLEAGUE))

    assert (answer.status, codes(answer)) == (InboundStatus.REJECTED, ["code-not-yours"])
    assert inbound(services, held.id).status == InboundStatus.AWAITING_VERIFICATION
    assert nothing_recorded(services)


def test_a_wrong_code_six_times_never_releases_and_locks_the_account(services, senco):
    token, _ = personal_request_form(services, senco)
    held = deliver(services, form_reply(valid_form(token), sender=SENCO, files=LISTED, dmarc=None))
    row, code = code_email(services, held)
    wrong = f"{(int(code) + 1) % 10**6:06d}"

    answers = [deliver(services, code_reply(row, wrong, n=n)) for n in range(1, 7)]

    assert [codes(a) for a in answers] == [["code-wrong"]] * 5 + [["code-locked"]]
    assert inbound(services, held.id).status == InboundStatus.AWAITING_VERIFICATION
    assert nothing_recorded(services)
    with services.db.session() as session:
        assert session.get(Professional, senco.id).locked_until is not None
    assert [r.to_address for r in sent(services, kind="account_locked")] == [SENCO]
    # While locked, even the right code is refused.
    right = deliver(services, code_reply(row, code, n=7))
    assert codes(right) == ["code-locked"]
    assert nothing_recorded(services)


def test_an_expired_code_asks_for_the_form_again(services, senco):
    token, _ = personal_request_form(services, senco)
    held = deliver(services, form_reply(valid_form(token), sender=SENCO, files=LISTED, dmarc=None))
    row, code = code_email(services, held)
    with services.db.session() as session:
        for live in session.scalars(select(OneTimeCode)):
            live.expires_at = services.now().replace(year=2000)

    answer = deliver(services, code_reply(row, code))

    assert (answer.status, codes(answer)) == (InboundStatus.REJECTED, ["code-expired"])
    [reply] = sent(services, answer.id)
    assert "please send the form again" in " ".join(body_texts(read_email(reply.raw))[0].split())
    assert nothing_recorded(services)


def test_the_code_entered_on_the_web_releases_the_held_form(services, senco):
    token, _ = personal_request_form(services, senco)
    held = deliver(services, form_reply(valid_form(token), sender=SENCO, files=LISTED, dmarc=None))
    _, code = code_email(services, held)
    from intake.pipeline.trust import release_held_submission

    wrong = f"{(int(code) + 1) % 10**6:06d}"
    with services.db.session() as session:
        person = session.get(Professional, senco.id)
        assert (
            release_held_submission(services, session, person, wrong, held.id) is CodeResult.WRONG
        )
        assert release_held_submission(services, session, person, code, held.id) is CodeResult.OK
    process_all(services)

    released = inbound(services, held.id)
    assert (released.status, released.sender_verified) == (InboundStatus.ACCEPTED, "code")
    assert count(services, Submission) == 1


def test_documents_sent_by_reply_from_an_unproven_sender_wait_for_the_code(services, senco):
    token, _ = personal_request_form(services, senco)
    accepted = deliver(services, form_reply(valid_form(token), sender=SENCO, files=LISTED))
    [confirmation] = sent(services, accepted.id)
    more = build_message(
        headers={
            "From": SENCO,
            "In-Reply-To": confirmation.message_id,
            "References": confirmation.message_id,
        },
        body="One more report.\n",
        files=[("later-report.pdf", "application/pdf", b"%PDF-1.4\n% later\n%%EOF\n")],
        message_id="<more@glanwy.sch.uk>",
        dmarc=None,
    )

    held = deliver(services, more)

    assert held.status == InboundStatus.AWAITING_VERIFICATION
    with services.db.session() as session:
        kept = session.scalars(select(Attachment.filename)).all()
    assert "later-report.pdf" not in kept
    row, code = code_email(services, held)
    deliver(services, code_reply(row, code))
    released = inbound(services, held.id)
    assert (released.status, codes(released)) == (InboundStatus.ACCEPTED, ["documents-added"])


# --- 3. STATUS answers proven senders only -------------------------------------------------------


def test_status_from_an_unproven_sender_reveals_nothing(services, senco):
    token, _ = personal_request_form(services, senco)
    accepted = deliver(services, form_reply(valid_form(token), sender=SENCO, files=LISTED))
    with services.db.session() as session:
        reference = session.get(Case, accepted.case_id).reference
    ask = build_message(
        headers={"From": SENCO, "Subject": f"STATUS {reference}"},
        body="STATUS\n",
        message_id="<status@glanwy.sch.uk>",
        dmarc=None,
    )

    message = deliver(services, ask)

    assert (message.status, codes(message)) == (
        InboundStatus.REJECTED,
        ["status-sender-not-verified"],
    )
    [row] = sent(services, message.id)
    reply = read_email(row.raw)
    assert row.kind == "status" and reply["Subject"] == "Your status request"
    assert "Request received" not in body_texts(reply)[0]


# --- 4. replies per recipient and reason per day -------------------------------------------------


def test_a_sixth_reply_for_the_same_reason_in_a_day_is_not_sent(services, senco):
    def ask(n: int) -> InboundMessage:
        raw = build_message(
            headers={"From": SENCO}, body="Please send me the form\n", message_id=f"<ask-{n}@x>"
        )
        return deliver(services, raw)

    messages = [ask(n) for n in range(1, 7)]

    assert [codes(m) for m in messages] == [["no-form-attached"]] * 6
    assert [len(sent(services, m.id)) for m in messages] == [1, 1, 1, 1, 1, 0]
    assert {"check": "reply-rate-limit", "hit": True, "detail": "request_form not sent"} in (
        messages[-1].decisions
    )
    with services.db.session() as session:
        [entry] = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "outbox-rate-limited")
        )
        assert entry.detail["reason"] == "no-form-attached"
        assert entry.detail["same_reason_last_day"] == 5
    [held] = [row for row in queue_rows(services, None) if row["type"] == "held-mail"]
    assert "5 replies for no-form-attached already queued" in held["summary"]
    # A form, for another reason, is still answered and recorded.
    token, _ = personal_request_form(services, senco)
    accepted = deliver(services, form_reply(valid_form(token), sender=SENCO, files=LISTED))
    assert accepted.status == InboundStatus.ACCEPTED
    assert [r.kind for r in sent(services, accepted.id)] == ["confirmation"]


def test_the_trusted_authserv_of_the_tests_is_the_one_mail_carries(services):
    # Guards the default the other pipeline tests rely on.
    assert services.settings.trusted_authserv == TRUSTED_AUTHSERV
    assert services.settings.sender_verification == "dmarc-or-code"
