"""The caseworkers' queue, message and registration pages over HTTP against a real uvicorn
server, on both databases: who may use them, what they show (escaped), and what each action
does through the real pipeline, with the email that follows."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from mail_factory import form_reply, supporting_file
from sqlalchemy import select, update
from web_client import PASSWORD, Visitor, active_account, emails, served, sign_in, text_of

from documents import get_form, render_form
from documents.forms.request_example import REQUEST_EXAMPLE
from intake.accounts.passwords import hash_password
from intake.accounts.registration import register
from intake.cases.accounts import add_professional
from intake.pipeline.process import process_all
from intake.receive.capture import capture_message
from intake.replies import personal_request_form
from portal.queue import ROUTES as QUEUE_ROUTES
from store import (
    AuditEntry,
    Case,
    InboundMessage,
    InboundStatus,
    Professional,
    Transport,
    utcnow,
)

CASEWORKER = "c.worker@council.example.gov.uk"
ANNE = "anne.senco@glanwy.sch.uk"
SENCO = "h.michalowska@glanwy.sch.uk"
COLLEAGUE = "o.rees@glanwy.sch.uk"
HOSTILE_NAME = "<img src=x onerror=alert(1)>.pdf"
REQUEST = get_form("request")
LISTED = [supporting_file(REQUEST_EXAMPLE[f"documents[{row}].file"]) for row in (1, 2)]


@pytest.fixture
def site(services):
    with served(services) as base_url:
        yield base_url


def caseworker_account(services, email: str = CASEWORKER) -> Professional:
    account = active_account(services, email)
    with services.db.session() as session:
        session.get(Professional, account.id).is_caseworker = True
    return account


@pytest.fixture
def caseworker(services, site):
    caseworker_account(services)
    person = Visitor(site)
    sign_in(person, services, CASEWORKER)
    yield person
    person.close()


def school_account(services, email: str, name: str) -> Professional:
    return add_professional(
        services,
        email=email,
        name=name,
        role="SENCO",
        organisation="Glan Ŵy Primary School",
        organisation_type="Maintained school",
        activate=True,
    )


def quarantined_request(services, files=()) -> int:
    """A valid request form issued to the SENCO but sent by a colleague: held for a person."""
    senco = school_account(services, SENCO, "Hélène Michałowska")
    school_account(services, COLLEAGUE, "Owain Rees")
    token, _ = personal_request_form(services, senco)
    pdf = render_form(REQUEST, values=REQUEST_EXAMPLE, token=token)
    raw = form_reply(pdf, sender=COLLEAGUE, files=[*LISTED, *files])
    inbound_id = capture_message(services, raw, Transport.FILE).inbound_id
    process_all(services)
    assert status_of(services, inbound_id) == InboundStatus.QUARANTINED
    return inbound_id


def status_of(services, inbound_id: int) -> InboundStatus:
    with services.db.session() as session:
        return session.get(InboundMessage, inbound_id).status


def audit_actions(services, inbound_id: int) -> list[tuple[str, str]]:
    with services.db.session() as session:
        entries = session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.subject_type == "inbound_message",
                AuditEntry.subject_id == str(inbound_id),
            )
            .order_by(AuditEntry.id)
        )
        return [(e.actor, e.action) for e in entries]


def concrete(path: str, number: int = 1) -> str:
    return re.sub(r"\{[a-z_]+\}", str(number), path)


def test_only_caseworkers_may_use_the_caseworker_pages(site, services) -> None:
    inbound_id = quarantined_request(services)
    caseworker_account(services)
    active_account(services, ANNE)
    with services.db.session() as session:  # the message's own sender may sign in on the web
        session.execute(
            update(Professional)
            .where(Professional.email == COLLEAGUE)
            .values(password_hash=hash_password(PASSWORD), two_factor="email")
        )
    anonymous, other, owner, worker = (Visitor(site) for _ in range(4))
    try:
        sign_in(other, services, ANNE)
        sign_in(owner, services, COLLEAGUE)
        sign_in(worker, services, CASEWORKER)
        for method, path, _ in QUEUE_ROUTES:
            url = concrete(path, inbound_id)
            if method == "GET":
                assert anonymous.get(url).headers["location"] == "/sign-in", url
                assert other.get(url).status_code == 403, url
                assert owner.get(url).status_code == 403, url
                assert worker.get(url).status_code == 200, url
            else:
                anonymous.get("/sign-in")
                assert anonymous.post(url, {}).headers["location"] == "/sign-in", url
                for professional in (other, owner):
                    professional.get("/")
                    assert professional.post(url, {}).status_code == 403, url
                worker.get("/queue")
                assert worker.post(url, {}, token=False).status_code == 403, url
    finally:
        for person in (anonymous, other, owner, worker):
            person.close()
    # Nothing the refused visitors sent did anything.
    assert status_of(services, inbound_id) == InboundStatus.QUARANTINED
    assert not [a for a in audit_actions(services, inbound_id) if a[0] != CASEWORKER]


def test_the_queue_counts_each_list_and_links_each_row_to_its_message(caseworker, services) -> None:
    inbound_id = quarantined_request(services)
    page = caseworker.get("/queue")
    assert page.status_code == 200
    assert 'aria-current="page">\n        <span class="queue-lists__count">1</span>' in page.text
    assert f'<a href="/messages/{inbound_id}">Message {inbound_id}</a>' in page.text
    assert COLLEAGUE in page.text and "Quarantined" in page.text
    held = caseworker.get("/queue?status=quarantined")
    assert f"/messages/{inbound_id}" in held.text
    rejected = caseworker.get("/queue?status=rejected")
    assert f"/messages/{inbound_id}" not in rejected.text
    assert "Nothing in this list." in rejected.text


def insert_held_messages(services, count: int) -> list[int]:
    """`count` quarantined rows a second apart, the newest last (the list needs no raw bytes)."""
    start = utcnow() - timedelta(hours=1)
    with services.db.session() as session:
        rows = [
            InboundMessage(
                received_at=start + timedelta(seconds=n),
                transport=Transport.FILE,
                message_key=f"<held-{n}@school.example>",
                raw_sha256="0" * 64,
                size=100,
                from_address=f"sender{n}@school.example",
                subject=f"held {n}",
                status=InboundStatus.QUARANTINED,
                reasons=[],
                decisions=[],
            )
            for n in range(count)
        ]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


def test_the_queue_pages_fifty_newest_first_and_searches_by_sender(caseworker, services) -> None:
    ids = insert_held_messages(services, 51)
    first = caseworker.get("/queue?status=quarantined")
    shown = [int(n) for n in re.findall(r'<a href="/messages/(\d+)">', first.text)]
    assert shown == list(reversed(ids))[:50]
    assert "page 1 of 2" in first.text and 'rel="next"' in first.text
    second = caseworker.get("/queue?status=quarantined&page=2")
    assert [int(n) for n in re.findall(r'<a href="/messages/(\d+)">', second.text)] == [ids[0]]
    found = caseworker.get("/queue?status=quarantined&q=SENDER7%40")
    assert [int(n) for n in re.findall(r'<a href="/messages/(\d+)">', found.text)] == [ids[7]]
    assert "matching “SENDER7@”" in found.text
    whole = caseworker.get("/queue?status=quarantined&q=Sender7%40School.Example")
    assert [int(n) for n in re.findall(r'<a href="/messages/(\d+)">', whole.text)] == [ids[7]]
    # Wildcards are searched for as they are, not as patterns.
    assert "Nothing in this list matches" in caseworker.get("/queue?q=sender_%25").text


def test_the_message_page_shows_what_arrived_and_why_escaped_and_audits_the_view(
    caseworker, services
) -> None:
    inbound_id = quarantined_request(services, files=[(HOSTILE_NAME, "application/pdf", b"x")])
    page = caseworker.get(f"/messages/{inbound_id}")
    assert page.status_code == 200
    assert "<img src=x" not in page.text
    assert "&lt;img src=x onerror=alert(1)&gt;.pdf" in page.text
    assert COLLEAGUE in page.text and "FILE" in page.text
    assert "This form was issued to a different email address" in page.text
    assert "<code>sender-mismatch</code>" in page.text and "issued_to:" in page.text
    assert "Release from quarantine" in page.text and "Process again" not in page.text
    assert (CASEWORKER, "message-viewed") in audit_actions(services, inbound_id)


def test_the_raw_message_downloads_as_an_attachment_and_is_audited(caseworker, services) -> None:
    inbound_id = quarantined_request(services)
    with services.db.session() as session:
        digest = session.get(InboundMessage, inbound_id).raw_sha256
    download = caseworker.get(f"/messages/{inbound_id}/raw")
    assert download.status_code == 200
    assert download.headers["content-disposition"] == (
        f'attachment; filename="message-{inbound_id}.eml"'
    )
    assert download.content == services.raw.get(digest)
    assert (CASEWORKER, "message-downloaded") in audit_actions(services, inbound_id)
    assert caseworker.get("/messages/999999").status_code == 404
    assert caseworker.get("/messages/999999/raw").status_code == 404
    assert caseworker.get("/messages/not-a-number").status_code == 404


def test_a_released_message_is_processed_again_and_recorded_for_its_form(
    caseworker, services
) -> None:
    inbound_id = quarantined_request(services)
    caseworker.get(f"/messages/{inbound_id}")
    released = caseworker.post(f"/messages/{inbound_id}/release", {"note": "phoned the school"})
    assert released.headers["location"] == f"/messages/{inbound_id}"
    assert status_of(services, inbound_id) == InboundStatus.RECEIVED
    assert "Released from quarantine" in caseworker.get(f"/messages/{inbound_id}").text

    process_all(services)  # the pipeline takes it as any message received

    with services.db.session() as session:
        message = session.get(InboundMessage, inbound_id)
        case = session.get(Case, message.case_id)
        assert message.status == InboundStatus.ACCEPTED
        assert case.requested_by.email == SENCO
        assert message.released_by == CASEWORKER
        assert {"check": "released", "hit": True, "detail": CASEWORKER} in message.decisions
    [confirmation] = [m for m in emails(services, "confirmation")]
    assert confirmation["To"] == SENCO
    entry = next(a for a in audit_actions(services, inbound_id) if a[1] == "message-released")
    assert entry == (CASEWORKER, "message-released")
    page = caseworker.get(f"/messages/{inbound_id}")
    assert f'<a href="/cases/{case.reference}">{case.reference}</a>' in page.text
    assert "Release from quarantine" not in page.text
    # Released once: a second release finds nothing to release.
    caseworker.post(f"/messages/{inbound_id}/release", {})
    assert "Nothing was done" in caseworker.get(f"/messages/{inbound_id}").text


def test_a_rejection_needs_a_reason_and_emails_it_to_the_sender(caseworker, services) -> None:
    inbound_id = quarantined_request(services)
    caseworker.get(f"/messages/{inbound_id}")
    missing = caseworker.post(f"/messages/{inbound_id}/reject", {"why": "  "})
    assert missing.status_code == 400
    assert "Enter the reason the sender will read" in missing.text
    assert status_of(services, inbound_id) == InboundStatus.QUARANTINED

    why = "Please ask the SENCO to send the form from her own address <as agreed>."
    done = caseworker.post(f"/messages/{inbound_id}/reject", {"why": why})
    assert done.status_code == 303
    assert status_of(services, inbound_id) == InboundStatus.REJECTED
    [email] = emails(services, "caseworker_rejection")
    assert email["To"] == COLLEAGUE
    assert why in text_of(email)
    page = caseworker.get(f"/messages/{inbound_id}")
    assert "reason emailed to the sender" in page.text
    assert "&lt;as agreed&gt;" in page.text
    assert (CASEWORKER, "message-rejected") in audit_actions(services, inbound_id)


def test_a_parked_message_is_processed_again(caseworker, services) -> None:
    inbound_id = quarantined_request(services)
    with services.db.session() as session:
        session.execute(
            update(InboundMessage)
            .where(InboundMessage.id == inbound_id)
            .values(status=InboundStatus.PARKED, attempts=5, last_error="OperationalError: gone")
        )
    page = caseworker.get(f"/messages/{inbound_id}")
    assert "OperationalError: gone" in page.text and "Release from quarantine" not in page.text
    assert caseworker.post(f"/messages/{inbound_id}/process-again", {}).status_code == 303
    with services.db.session() as session:
        message = session.get(InboundMessage, inbound_id)
        assert (message.status, message.attempts) == (InboundStatus.RECEIVED, 0)
    process_all(services)
    # Not released: the form from the wrong sender is held again.
    assert status_of(services, inbound_id) == InboundStatus.QUARANTINED
    assert (CASEWORKER, "message-processed-again") in audit_actions(services, inbound_id)


def pending_registration(services, email: str, name: str) -> Professional:
    with services.db.session() as session:
        professional, _ = register(
            services,
            session,
            email=email,
            name=name,
            role="SENCO",
            organisation="Ysgol Tregaron",
            via="web",
        )
        session.expunge(professional)
    return professional


def test_registrations_waiting_are_approved_or_declined_with_an_emailed_reason(
    caseworker, services
) -> None:
    first = pending_registration(services, "g.pryce@ysgol-tregaron.sch.uk", "Gwen <b>Pryce</b>")
    second = pending_registration(services, "t.jones@ysgol-tregaron.sch.uk", "Tomos Jones")
    page = caseworker.get("/registrations")
    assert "Waiting: 2" in page.text
    assert "Gwen &lt;b&gt;Pryce&lt;/b&gt;" in page.text and "<b>Pryce" not in page.text
    links_before = len(emails(services, "activation_link"))

    approved = caseworker.post(f"/registrations/{first.id}/approve", {})
    assert approved.headers["location"] == "/registrations"
    assert len(emails(services, "activation_link")) == links_before + 1
    assert emails(services, "activation_link")[-1]["To"] == first.email

    caseworker.get("/registrations")
    refused = caseworker.post(f"/registrations/{second.id}/decline", {f"why-{second.id}": ""})
    assert refused.status_code == 400 and "Enter the reason the person will read" in refused.text
    why = "We could not confirm you work at this school; please ask your head teacher to call us."
    declining = caseworker.post(f"/registrations/{second.id}/decline", {f"why-{second.id}": why})
    assert declining.status_code == 303, declining.text
    [declined] = emails(services, "registration_declined")
    assert declined["To"] == second.email and why in text_of(declined)
    with services.db.session() as session:
        row = session.get(Professional, second.id)
        assert row.declined_at is not None and row.declined_reason == why
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.actor == CASEWORKER)
        ).all()
    assert {"registration-approved", "registration-declined"} <= set(actions)
    after = caseworker.get("/registrations")
    assert "Declined: the reason has been emailed" in after.text
    assert second.email not in after.text.split("</caption>", 1)[1]
    # A declined registration cannot be approved afterwards.
    caseworker.post(f"/registrations/{second.id}/approve", {})
    assert "no longer waiting" in caseworker.get("/registrations").text
    assert not [m for m in emails(services, "activation_link") if m["To"] == second.email][1:]


def test_every_list_of_the_queue_shows_its_rows_linked_and_escaped(caseworker, services) -> None:
    from test_queue_lists import insert_cases, requester

    from intake.views.queue_lists import QUEUE_LISTS

    today = services.today()
    new, late = insert_cases(
        services,
        [("REQUEST_RECEIVED", today), ("ADVICE_REQUESTED", today - timedelta(days=110))],
        by=requester(services),
    )
    [held_id] = insert_held_messages(services, 1)
    with services.db.session() as session:
        session.get(InboundMessage, held_id).subject = "<script>alert(1)</script>"
    for queue_list in QUEUE_LISTS:
        page = caseworker.get(f"/queue?status={queue_list.name}")
        assert page.status_code == 200, queue_list.name
        assert "<script>alert" not in page.text, queue_list.name
    assert f'<a href="/cases/{new}">{new}</a>' in caseworker.get("/queue?status=new-requests").text
    at_risk = caseworker.get("/queue?status=deadlines-at-risk").text
    assert f'<a href="/cases/{late}">{late}</a>' in at_risk and "At risk" in at_risk
    held = caseworker.get("/queue").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in held
    assert caseworker.get("/queue?status=no-such-list").status_code == 200  # the default list
    assert caseworker.get("/queue?page=x&q=" + "x" * 5000).status_code == 200


def test_a_released_form_from_no_single_mailbox_is_recorded_and_answered_to_its_owner(
    caseworker, services
) -> None:
    senco = school_account(services, SENCO, "Hélène Michałowska")
    token, _ = personal_request_form(services, senco)
    pdf = render_form(REQUEST, values=REQUEST_EXAMPLE, token=token)
    two_senders = f"{SENCO}, someone@elsewhere.example.com"
    raw = form_reply(pdf, sender=two_senders, files=LISTED)
    inbound_id = capture_message(services, raw, Transport.FILE).inbound_id
    process_all(services)
    assert status_of(services, inbound_id) == InboundStatus.QUARANTINED
    assert emails(services, "not_accepted") == []  # held unanswered: no one address to answer

    caseworker.get(f"/messages/{inbound_id}")
    caseworker.post(f"/messages/{inbound_id}/release", {})
    process_all(services)

    with services.db.session() as session:
        message = session.get(InboundMessage, inbound_id)
        assert message.status == InboundStatus.ACCEPTED, message.reasons
        hold = next(d for d in message.decisions if d["check"] == "sender-mailbox")
        assert hold["hit"] is True  # still on record: released, not forgotten
    [confirmation] = emails(services, "confirmation")
    assert confirmation["To"] == SENCO
