"""Registration: a pending account and its activation link, by email (the registration form
returned from an unknown address) and by the web form, with its rate limits; and the whole path by
email against the real mail servers, from a stranger's first email to their first request accepted.

Tests run on SQLite and PostgreSQL; after each one no queued email may name the child.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta

import pyotp
import pytest
from fill_engines import fill_with_pdfium
from mail_factory import (
    attached_files,
    body_texts,
    build_message,
    child_data_in_mail,
    form_reply,
    read_email,
    supporting_file,
)
from mail_servers import (  # noqa: F401 (fixtures)
    WAIT_SECONDS,
    Mailbox,
    dovecot,
    dovecot_server,
    relay_sink,
    wait_until,
)
from sqlalchemy import select, update
from web_client import Visitor, served

from documents import get_form, pdf_values
from documents.forms.request_example import REQUEST_EXAMPLE
from intake.accounts.links import link_secret, redeem_link
from intake.accounts.registration import RegistrationLimits, register
from intake.pipeline.process import process_all
from intake.receive.capture import capture_message
from intake.serve import RunningService
from store import (
    Case,
    InboundMessage,
    InboundStatus,
    OutboxMessage,
    Professional,
    RegistrationAttempt,
    Transport,
)

REGISTRATION = get_form("registration")
REQUEST = get_form("request")
LISTED = [supporting_file(REQUEST_EXAMPLE[f"documents[{row}].file"]) for row in (1, 2)]
STRANGER = "siân.newcomer@glanwy.sch.uk"
CHILD_DATA = ("Gruffydd", "Gruff", "Nowak-Pryce", "2016-05-14", "14/05/2016")
LINK = re.compile(r"(https?://\S+/activate/[A-Za-z0-9_-]+)")


@pytest.fixture(autouse=True)
def no_child_data_in_mail(services):
    yield
    assert child_data_in_mail(services, CHILD_DATA) == []


def deliver(services, raw: bytes) -> InboundMessage:
    captured = capture_message(services, raw, Transport.FILE)
    process_all(services)
    with services.db.session() as session:
        return session.get(InboundMessage, captured.inbound_id)


def replies_to(services, message: InboundMessage) -> list[OutboxMessage]:
    with services.db.session() as session:
        query = select(OutboxMessage).where(OutboxMessage.inbound_message_id == message.id)
        return list(session.scalars(query.order_by(OutboxMessage.id)))


def accounts(services) -> list[Professional]:
    with services.db.session() as session:
        found = list(session.scalars(select(Professional).order_by(Professional.id)))
        session.expunge_all()
        return found


def rows(services, model) -> list:
    with services.db.session() as session:
        found = list(session.scalars(select(model).order_by(model.id)))
        session.expunge_all()
        return found


def ask_to_register(services, sender: str = STRANGER) -> tuple[OutboxMessage, bytes]:
    """A stranger writes in; the reply with the registration PDF, and that PDF."""
    first = deliver(
        services,
        build_message(
            headers={"From": sender}, body="How do I send a request?\n", message_id="<q1@x.example>"
        ),
    )
    [row] = replies_to(services, first)
    assert row.kind == "registration_form"
    return row, attached_files(read_email(row.raw))["registration-form.pdf"]


def filled_registration(pdf: bytes, **changes) -> bytes:
    return fill_with_pdfium(pdf, pdf_values(REGISTRATION, {**REGISTRATION.example, **changes}))


def reply_with_registration(
    services, asked: OutboxMessage, pdf: bytes, sender: str = STRANGER, message_id="<r1@x.example>"
) -> InboundMessage:
    raw = form_reply(
        pdf,
        sender=sender,
        to=services.settings.address,
        filename="registration-form.pdf",
        message_id=message_id,
        headers={"In-Reply-To": asked.message_id, "Subject": f"Re: {asked.subject}"},
    )
    return deliver(services, raw)


def test_a_registration_form_returned_by_email_opens_a_pending_account_and_sends_the_link(
    services,
):
    asked, blank = ask_to_register(services)

    message = reply_with_registration(services, asked, filled_registration(blank))

    assert message.status == InboundStatus.ACCEPTED
    [account] = accounts(services)
    assert account.email == STRANGER and not account.is_active
    assert (account.name, account.role) == ("Siân Llewelyn-Łukasz", "SENCO")
    assert account.organisation_name == "Glan Ŵy Primary School"
    [row] = replies_to(services, message)
    email = read_email(row.raw)
    assert (row.kind, row.to_address, email["In-Reply-To"]) == (
        "activation_link",
        STRANGER,
        "<r1@x.example>",
    )
    text, html = body_texts(email)
    link = LINK.search(text).group(1)
    assert link.startswith(services.settings.base_url + "/activate/")
    assert link in html
    assert attached_files(email) == {}


def web_registration(services, email: str, **limits):
    with services.db.session() as session:
        professional, reasons = register(
            services,
            session,
            email=email,
            name="Alys Newcomer",
            role="Educational psychologist",
            organisation="Glan Ŵy Educational Psychology Service",
            via="web",
            limits=RegistrationLimits(**limits),
        )
        return (professional.id if professional else None), [r.code for r in reasons]


def links_sent(services) -> list[str]:
    with services.db.session() as session:
        rows = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == "activation_link")
            .order_by(OutboxMessage.id)
        )
        return [LINK.search(body_texts(read_email(r.raw))[0]).group(1) for r in rows]


def test_registering_again_sends_a_new_link_while_pending_and_none_once_active(services):
    address = "alys@eps.example.gov.uk"
    number, reasons = web_registration(services, address)
    assert number is not None and reasons == ["registration-activation-sent"]
    assert web_registration(services, address.upper()) == (None, ["registration-pending"])
    first, second = links_sent(services)
    with services.db.session() as session:
        assert redeem_link(services, session, link_secret(first), "activate") is None
        session.execute(update(Professional).values(is_active=True))
    assert web_registration(services, address) == (None, ["already-registered"])
    assert len(links_sent(services)) == 2
    assert [a.email for a in accounts(services)] == [address]


def test_registration_attempts_are_limited_per_address_and_per_domain(services):
    address = "alys@eps.example.gov.uk"
    outcomes = [web_registration(services, address)[1] for _ in range(4)]
    assert outcomes == [
        ["registration-activation-sent"],
        ["registration-pending"],
        ["registration-pending"],
        ["registration-limit-address"],
    ]
    assert len(links_sent(services)) == 3
    assert web_registration(services, "bryn@eps.example.gov.uk", per_domain=4)[1] == [
        "registration-limit-domain"
    ]
    assert web_registration(services, "bryn@other.example.org", per_domain=4)[0] is not None
    assert len(accounts(services)) == 2 and len(links_sent(services)) == 4
    with services.db.session() as session:
        # A day later the count starts again.
        earlier = services.now() - timedelta(days=1, minutes=1)
        session.execute(update(RegistrationAttempt).values(at=earlier))
    assert web_registration(services, "bryn@eps.example.gov.uk", per_domain=4)[0] is not None


def test_an_address_that_is_not_one_is_refused(services):
    assert web_registration(services, "not an address") == (
        None,
        ["registration-address-invalid"],
    )
    assert accounts(services) == [] and links_sent(services) == []


def test_a_reply_from_another_address_registers_the_sender_and_says_so(services):
    asked, blank = ask_to_register(services, sender="office@glanwy.sch.uk")

    message = reply_with_registration(services, asked, filled_registration(blank))

    assert message.status == InboundStatus.ACCEPTED
    assert [r["code"] for r in message.reasons] == [
        "registration-activation-sent",
        "registered-sending-address",
    ]
    [account] = accounts(services)
    assert account.email == STRANGER
    [row] = replies_to(services, message)
    assert row.to_address == STRANGER
    text = " ".join(body_texts(read_email(row.raw))[0].split())
    assert f"We registered the address your reply came from, {STRANGER}, not" in text
    assert "office@glanwy.sch.uk" in text


def test_a_pending_account_returning_the_form_gets_a_new_link_and_over_the_limit_no_reply(
    services,
):
    asked, blank = ask_to_register(services)
    filled = filled_registration(blank)
    outcomes = []
    for n in range(4):
        message = reply_with_registration(services, asked, filled, message_id=f"<r{n}@x.example>")
        kinds = [row.kind for row in replies_to(services, message)]
        outcomes.append((str(message.status), [r["code"] for r in message.reasons], kinds))
    assert outcomes == [
        ("accepted", ["registration-activation-sent"], ["activation_link"]),
        ("rejected", ["registration-pending"], ["activation_link"]),
        ("rejected", ["registration-pending"], ["activation_link"]),
        # A forged From must not make us fill someone's inbox: past the limit, no reply.
        ("rejected", ["registration-limit-address"], []),
    ]
    assert len(accounts(services)) == 1


def test_an_active_account_returning_the_form_gets_its_request_form_not_a_link(services, senco):
    asked, blank = ask_to_register(services)

    message = reply_with_registration(
        services, asked, filled_registration(blank), sender=senco.email
    )

    assert [r["code"] for r in message.reasons] == ["already-registered"]
    [row] = replies_to(services, message)
    assert row.kind == "request_form"
    assert links_sent(services) == []


# --- the whole path by email, against the real mail servers ---------------------------------------

NEWCOMER = "a.newcomer@glanwy.sch.uk"


@pytest.fixture
def running_service(services, dovecot, relay_sink):  # noqa: F811
    """The service as `intake serve` runs it: watching a Dovecot mailbox of the test's own and
    sending through the relay sink. Yields the mailbox."""
    mailbox = Mailbox(dovecot, dovecot.new_user())
    settings = dataclasses.replace(services.settings, smtp_url=relay_sink.url, imap_url=mailbox.url)
    service = RunningService(dataclasses.replace(services, settings=settings))
    service.start()
    try:
        yield mailbox
    finally:
        service.stop()


def sink_email(sink, number: int, kind_subject: str):
    """The `number`th message the relay accepted (from 1), checked by its subject."""
    delivered = sink.wait_for(number, timeout=WAIT_SECONDS)[number - 1]
    email = read_email(delivered.data)
    assert kind_subject in email["Subject"], email["Subject"]
    return delivered, email


def sent_back(email, raw_pdf: bytes | None, message_id: str, files=(), filename="") -> bytes:
    """A reply to one of our emails from the newcomer, with a PDF or without."""
    headers = {
        "In-Reply-To": email["Message-ID"],
        "References": email["Message-ID"],
        "Subject": f"Re: {email['Subject']}",
        "To": email["Reply-To"] or email["From"],
    }
    if raw_pdf is None:
        return build_message(
            headers={"From": NEWCOMER, **headers},
            body="Please send the form.\n",
            message_id=message_id,
        )
    return form_reply(
        raw_pdf,
        sender=f"Alys Newcomer <{NEWCOMER}>",
        to=headers.pop("To"),
        filename=filename,
        files=files,
        message_id=message_id,
        headers=headers,
    )


def test_a_stranger_registers_by_email_activates_and_has_the_first_request_accepted(
    services,
    running_service,
    relay_sink,  # noqa: F811
):
    mailbox = running_service
    mailbox.append(
        build_message(
            headers={"From": f"Alys Newcomer <{NEWCOMER}>", "To": services.settings.address},
            body="How do I ask for an EHC needs assessment?\n",
            message_id="<hello@glanwy.sch.uk>",
        )
    )
    _, offer = sink_email(relay_sink, 1, "Register")
    blank = attached_files(offer)["registration-form.pdf"]

    mailbox.append(
        sent_back(offer, filled_registration(blank), "<reg@glanwy.sch.uk>", filename="reg.pdf")
    )
    delivered, activation = sink_email(relay_sink, 2, "Activate your account")
    assert delivered.rcpt_tos == [NEWCOMER] and attached_files(activation) == {}
    [pending] = accounts(services)
    assert (pending.email, pending.is_active) == (NEWCOMER, False)

    # On the portal's activation page, as a person: a password, and an authenticator app proven
    # with the first code it shows for the key the page gives.
    path = LINK.search(body_texts(activation)[0]).group(1).split("://", 1)[1].split("/", 1)[1]
    with served(services) as site:
        visitor = Visitor(site)
        try:
            page = visitor.get(f"/{path}").text
            shown = re.search(r'<p class="secret-key"><code>([A-Z2-7 ]+)</code>', page).group(1)
            app = shown.replace(" ", "")
            done = visitor.post(
                f"/{path}",
                {
                    "password": "a long enough passphrase",
                    "password_again": "a long enough passphrase",
                    "two_factor": "app",
                    "app_code": pyotp.TOTP(app).now(),
                },
            )
            assert done.status_code == 303, visitor.page
        finally:
            visitor.close()
    [activated] = accounts(services)
    assert (activated.is_active, activated.two_factor, activated.totp_secret) == (True, "app", app)

    mailbox.append(sent_back(activation, None, "<ask@glanwy.sch.uk>"))
    _, offered = sink_email(relay_sink, 3, "Your form")
    personal = attached_files(offered)["request-form.pdf"]
    filled = fill_with_pdfium(personal, pdf_values(REQUEST, REQUEST_EXAMPLE))
    mailbox.append(
        sent_back(offered, filled, "<request@glanwy.sch.uk>", files=LISTED, filename="form.pdf")
    )
    delivered, confirmation = sink_email(relay_sink, 4, "EHC-")

    [case] = wait_until(lambda: rows(services, Case), "the request was recorded")
    assert case.requested_by_id == pending.id and case.reference in confirmation["Subject"]
    assert delivered.rcpt_tos == [NEWCOMER]
    messages = wait_until(
        lambda: (
            (found := rows(services, InboundMessage))
            and len(found) == 4
            and all(
                m.status not in (InboundStatus.RECEIVED, InboundStatus.PROCESSING) for m in found
            )
            and found
        ),
        "every message was handled",
    )
    assert [str(m.status) for m in messages] == ["rejected", "accepted", "rejected", "accepted"]
    # Nothing the relay carried names the child, in a subject or a body.
    for message in relay_sink.messages:
        email = read_email(message.data)
        shown = " ".join([str(email["Subject"]), *body_texts(email)]).casefold()
        assert not [item for item in CHILD_DATA if item.casefold() in shown]
