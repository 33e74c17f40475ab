"""A completed form uploaded on the web, taken in as an email from the signed-in professional:
captured like any message (raw bytes kept, `received` row committed) and processed at once by
the same pipeline, so the same checks, records and reply follow as if it had been emailed.
"""

from __future__ import annotations

import mimetypes
import time
from collections.abc import Sequence
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

from intake.outcomes import Outcome, outcome_of
from intake.pipeline.process import process_claimed
from intake.pipeline.trust import BY_SIGN_IN
from intake.receive.capture import capture_message
from intake.services import Services
from store import InboundMessage, InboundStatus, Professional, Transport, claim_inbound_message

# Statuses that mean the pipeline has not finished with the message yet.
UNFINISHED = (InboundStatus.RECEIVED, InboundStatus.PROCESSING)
# Another worker (`intake serve`'s pipeline loop) may have taken the message first: how long the
# page waits for its outcome before showing it as still being checked.
WAIT_FOR_WORKER_SECONDS = 20.0
# Only caseworkers read these words, in the raw message; never a child's data (least data in
# mail): the case reference the page was for; the files keep their own names as attachments.
UPLOAD_SUBJECT = "Form uploaded on the website for {reference}"
UPLOAD_BODY = "Uploaded by the signed-in account {email} on its page for {reference}.\n"


# (file name, bytes): the completed form first, then any supporting documents.
UploadedFile = tuple[str, bytes]


def upload_as_email(
    services: Services,
    professional: Professional,
    reference: str,
    files: Sequence[UploadedFile],
) -> bytes:
    """The raw email a web upload stands for: from the professional to the intake address, each
    uploaded file attached under its own name (the pipeline judges them as it judges mail)."""
    message = EmailMessage()
    message["From"] = Address(professional.name or "", addr_spec=professional.email)
    message["To"] = services.settings.address
    message["Subject"] = UPLOAD_SUBJECT.format(reference=reference)
    message["Date"] = format_datetime(services.now())
    domain = services.settings.address.rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid("web-upload", domain=domain)
    message.set_content(UPLOAD_BODY.format(email=professional.email, reference=reference))
    for filename, data in files:
        # Screening judges a file by its bytes, not by the type a browser claims for it.
        guessed = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        maintype, _, subtype = guessed.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes(policy=SMTP)


def receive_upload(
    services: Services,
    professional: Professional,
    reference: str,
    files: Sequence[UploadedFile],
) -> Outcome:
    """Capture the upload as the professional's email, process it now, and return its outcome."""
    raw = upload_as_email(services, professional, reference, files)
    captured = capture_message(
        services,
        raw,
        Transport.WEB,
        envelope_from=professional.email,
        envelope_to=[services.settings.address],
        sender_verified=BY_SIGN_IN,
    )
    with services.db.session() as session:
        claimed = claim_inbound_message(session, captured.inbound_id) is not None
    if claimed:
        process_claimed(services, captured.inbound_id)
    else:
        wait_until_processed(services, captured.inbound_id)
    return outcome_of(services, captured.inbound_id)


def wait_until_processed(services: Services, inbound_id: int) -> None:
    deadline = time.monotonic() + WAIT_FOR_WORKER_SECONDS
    while time.monotonic() < deadline:
        with services.db.session() as session:
            if session.get(InboundMessage, inbound_id).status not in UNFINISHED:
                return
        time.sleep(0.2)
