"""Part of the hostile corpus through a running service, as `intake serve` takes mail: over its
SMTP listener, processed by its pipeline thread, replies sent by its outbox to a relay sink; on
SQLite and PostgreSQL (NUL bytes, which a PostgreSQL text column refuses, are all here). Every
message is answered 250 and ends as labelled, or is refused by the listener with a 5xx reply;
no injected header reaches the relay; then a good form is still confirmed.
"""

from __future__ import annotations

import os
import smtplib
from dataclasses import replace

import pytest
from conftest import SENCO
from hostile import Case, all_cases
from hostile.checks import problems_in_reply, problems_with_outcome
from hostile.mime_cases import stranger
from mail_factory import form_reply
from mail_servers import WAIT_SECONDS, RelaySink, relay_sink, wait_until  # noqa: F401
from sqlalchemy import func, select
from test_hostile_corpus import LISTED, make_kit, render_form_for

from intake.cases.accounts import add_professional
from intake.outcomes import outcome_of
from intake.replies import personal_request_form
from intake.serve import RunningService
from store import InboundMessage, InboundStatus

UNSETTLED = {InboundStatus.RECEIVED, InboundStatus.PROCESSING}
# Whole families whose outcome does not depend on the bytes staying exactly as written (SMTP
# turns bare CR and LF into CRLF, and a Return-Path is added from the envelope).
FAMILIES = {"nul-bytes", "deep-nesting"}
ALSO = {
    "header-injection/subject-b-crlf",
    "header-injection/from-name-crlf",
    "header-injection/message-id-crlf",
    "header-injection/references-lf",
    "header-injection/in-reply-to-nul",
    "header-injection/reply-to-name-crlf",
    "path-traversal/dot-dot-slash",
    "path-traversal/absolute",
    "many-parts/text-10000",
    "huge-headers/subject-100k",
    "huge-headers/content-type-5kb",
    "oversize/message-26mb",
    "pdf/bomb-field-2048mb",
    "pdf/bombs-40-fields-31mb",
    "pdf/kids-loop",
    "pdf/encrypted-AES-256",
    "pdf/flattened",
}
CHOSEN = [case for case in all_cases() if case.family in FAMILIES or case.id in ALSO]


def test_the_serve_subset_is_chosen():
    assert len(CHOSEN) == len(ALSO) + 29, [case.id for case in CHOSEN]


def send(service: RunningService, case: Case, raw: bytes, sender: str) -> tuple[int, str]:
    host, port = service.services.settings.smtp_listen
    try:
        with smtplib.SMTP(host, port, timeout=60) as smtp:
            smtp.sendmail(sender, [service.services.settings.address], raw)
    except smtplib.SMTPResponseException as refused:
        return refused.smtp_code, refused.smtp_error.decode("utf-8", "replace")
    return 250, ""


# Another school's SENCO: the flood came from SENCO's address, whose replies the outbox's loop
# breaker (20 an hour to one address) has rightly stopped by now.
OTHER = "a.jones@bryn.sch.uk"


def good_form_from_someone_else(services) -> bytes:
    other = add_professional(
        services,
        email=OTHER,
        name="Alys Jones",
        role="SENCO",
        organisation="Ysgol Bryn",
        organisation_type="Maintained school",
        activate=True,
    )
    token, _ = personal_request_form(services, other)
    return form_reply(
        render_form_for(token),
        sender=f"Alys Jones <{OTHER}>",
        to=services.settings.address,
        message_id="<after-the-storm@bryn.sch.uk>",
        files=LISTED,
    )


def refused_at_the_door(case: Case, raw: bytes) -> bool:
    """SMTP refuses, with a 5xx reply, a message over the size it advertised or with a line
    over RFC 5321's 1,000 octets; `intake ingest` takes both and the pipeline answers them."""
    longest = max(len(line) for line in raw.split(b"\n"))
    return case.codes == ("message-too-large",) or longest > 1000


def newest_inbound_id(services) -> int:
    with services.db.session() as session:
        return session.scalar(select(func.max(InboundMessage.id)))


def settled(services) -> bool:
    with services.db.session() as session:
        waiting = select(func.count()).where(InboundMessage.status.in_(UNSETTLED))
        return session.scalar(waiting) == 0


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_hostile_mail_over_smtp_then_a_good_form_is_confirmed(
    services,
    senco,
    relay_sink: RelaySink,  # noqa: F811
):
    kit = make_kit(services, senco)
    settings = replace(services.settings, smtp_url=relay_sink.url, imap_url=None)
    service = RunningService(replace(services, settings=settings), imap=False)
    service.start()
    failures, taken = [], {}
    try:
        for case in CHOSEN:
            sender = stranger(case.id) if case.family == "header-injection" else SENCO
            raw = case.build(kit)
            code, text = send(service, case, raw, sender)
            if code == 250:
                taken[newest_inbound_id(services)] = case
            elif not (500 <= code < 600 and refused_at_the_door(case, raw)):
                failures.append(f"{case.id}: the listener answered {code} {text}")
        wait_until(lambda: settled(services), "every hostile message processed", 120)
        for inbound_id, case in taken.items():
            outcome = outcome_of(services, inbound_id).as_dict()
            failures += [f"{case.id}: {p}" for p in problems_with_outcome(case, outcome)]

        good = good_form_from_someone_else(services)
        assert send(service, None, good, OTHER) == (250, "")
        good_id = newest_inbound_id(services)
        wait_until(lambda: settled(services), "the good form processed")
        assert outcome_of(services, good_id).status == InboundStatus.ACCEPTED
        confirmation = wait_until(
            lambda: [m for m in relay_sink.messages if b"after-the-storm" in m.data],
            "the good form's confirmation reached the relay",
            WAIT_SECONDS,
        )
        assert confirmation[0].rcpt_tos == [OTHER]
    finally:
        service.stop()
    for sent in relay_sink.messages:
        found = problems_in_reply(sent.data, sent.rcpt_tos[0])
        if found and (dump := os.environ.get("INTAKE_HOSTILE_REPORT")):
            with open(dump, "ab") as out:
                out.write(sent.data.split(b"\r\n\r\n")[0] + b"\n=====\n")
        failures += [f"relayed to {sent.rcpt_tos[0]}: {p}" for p in found]
    assert not failures, "\n".join(failures)
    assert len(taken) >= len(CHOSEN) - 3
