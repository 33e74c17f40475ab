"""Uploading a completed form on a progress page, over HTTP against a real uvicorn server on both
databases: it goes through the same pipeline as email (captured as the signed-in professional's
email, the same checks, the same reply), its outcome shown by step; refused without the CSRF
token or on a case that is not theirs; names arriving with it shown escaped."""

# The shared fixtures `world` and `visitors` are imported, so tests naming them redefine nothing.
# ruff: noqa: F811

from __future__ import annotations

import io
import re

import pypdf
from fill_engines import fill_with_pypdf
from sqlalchemy import select
from test_portal_professional import (  # noqa: F401 (fixtures)
    ANSWERS,
    HOSTILE,
    LISTED,
    REQUEST,
    REQUESTER,
    visitors,
    world,
)
from web_client import Visitor, emails, problems_on

from documents import pdf_values
from store import Case, Child, InboundMessage, InboundStatus, Submission, Transport


def with_documents(pdf: bytes, name: str = "mine.pdf") -> list[tuple[str, tuple]]:
    """The upload form's files: the completed form and the documents it lists."""
    listed = [("documents", (file_name, data, kind)) for file_name, kind, data in LISTED]
    return [("form_pdf", (name, pdf, "application/pdf")), *listed]


def upload(visitor: Visitor, reference: str, files: list[tuple[str, tuple]]):
    visitor.get(f"/children/{reference}")
    response = visitor.http.post(
        f"/children/{reference}/upload", data={"csrf_token": visitor.csrf()}, files=files
    )
    visitor.page = response.text
    return response


def filled_again(visitor: Visitor, reference: str, **changes) -> bytes:
    form = visitor.get(f"/children/{reference}/request-form").content
    return fill_with_pypdf(form, pdf_values(REQUEST, {**ANSWERS, **changes}))


def test_an_upload_goes_through_the_pipeline_and_shows_each_problem_by_step(
    world, visitors
) -> None:
    requester = visitors["requester"]
    wrong = filled_again(requester, world.reference, date_of_birth="2030-01-01", postcode="")
    response = upload(requester, world.reference, with_documents(wrong))
    assert response.status_code == 200
    page = response.text
    assert "Your form was not recorded" in page
    with world.services.db.session() as session:
        message = session.scalars(select(InboundMessage).order_by(InboundMessage.id.desc())).first()
        assert message.transport == Transport.WEB
        assert message.sender_verified == "web"  # signed in with password and two-step code
        assert message.status == InboundStatus.REJECTED
        assert message.from_address == REQUESTER
        steps = {r["step"] for r in message.reasons}
        assert 2 in steps and None not in steps
        assert {"date-in-future", "required"} <= {r["code"] for r in message.reasons}
    for step in steps:  # each problem under the step it concerns
        assert re.search(rf"Step {step}</h2>\s*<ul", page), page
    # The same reply as by email: the problems and the form back, to the signed-in address.
    assert emails(world.services, "problems")[-1]["To"] == REQUESTER

    right = filled_again(requester, world.reference, child_known_as="Gruff N-P")
    response = upload(requester, world.reference, with_documents(right))
    assert "Form received" in response.text and world.reference in response.text
    with world.services.db.session() as session:
        versions = session.scalars(
            select(Submission.version).join(Case).where(Case.reference == world.reference)
        ).all()
    assert versions == [1, 2]
    assert emails(world.services, "confirmation")[-1]["To"] == REQUESTER
    page = requester.get(f"/children/{world.reference}").text
    assert page.count("Request for an assessment</td>") == 2


def test_an_upload_with_no_file_is_sent_back_with_the_problem(world, visitors) -> None:
    requester = visitors["requester"]
    response = upload(requester, world.reference, [])
    assert response.status_code == 400
    assert problems_on(response.text) == ["#field-form-pdf Choose the completed PDF form to upload"]


def uploads(session) -> list[InboundMessage]:
    return session.scalars(select(InboundMessage).where(InboundMessage.transport == "web")).all()


def test_an_upload_is_refused_without_its_csrf_token(world, visitors) -> None:
    requester = visitors["requester"]
    pdf = filled_again(requester, world.reference)
    response = requester.http.post(
        f"/children/{world.reference}/upload", files=[("form_pdf", ("mine.pdf", pdf))]
    )
    assert response.status_code == 403
    with world.services.db.session() as session:
        assert (
            session.scalar(select(InboundMessage).where(InboundMessage.transport == "web")) is None
        )


def test_another_professional_cannot_upload_to_a_case_not_theirs(world, visitors) -> None:
    other = visitors["other"]
    other.get("/children")
    response = other.http.post(
        f"/children/{world.reference}/upload",
        data={"csrf_token": other.csrf()},
        files=[("form_pdf", ("x.pdf", b"%PDF-1.4\n%%EOF\n"))],
    )
    assert response.status_code == 404
    with world.services.db.session() as session:
        assert (
            session.scalar(select(InboundMessage).where(InboundMessage.transport == "web")) is None
        )


def test_names_that_arrive_by_email_are_shown_escaped(world, visitors) -> None:
    with world.services.db.session() as session:
        child = session.scalar(
            select(Child)
            .join(Case, Case.child_id == Child.id)
            .where(Case.reference == world.reference)
        )
        child.forename = HOSTILE
    requester = visitors["requester"]
    for path in ("/children", f"/children/{world.reference}"):
        page = requester.get(path).text
        assert HOSTILE not in page and "&lt;img src=x onerror=alert(1)&gt;" in page, path
    response = upload(
        requester, world.reference, [("form_pdf", (f"{HOSTILE}.pdf", b"not a pdf at all"))]
    )
    assert "Your form was not recorded" in response.text
    assert HOSTILE not in response.text


def test_an_upload_larger_than_a_form_page_may_be_is_taken(world, visitors) -> None:
    """The body ceiling of other forms (64 KB) would refuse any real PDF."""
    requester = visitors["requester"]
    pdf = filled_again(requester, world.reference)
    padded = pdf + b"%" + b"x" * (200 * 1024) + b"\n"
    assert len(pypdf.PdfReader(io.BytesIO(padded)).pages) >= 1
    response = upload(requester, world.reference, with_documents(padded))
    assert response.status_code == 200, response.text[:300]
