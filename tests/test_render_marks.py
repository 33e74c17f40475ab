"""The form sent back with problems marks them: pages before the form list them by step, and each
field at fault is framed in red on its page, while the fields and the token read back unchanged."""

from __future__ import annotations

import io

import pypdf
import pypdfium2 as pdfium
import pytest

from documents.check import check_pdf
from documents.forms import FORMS
from documents.pdf.marks import TITLE, WHOLE_FORM, FormProblem
from documents.pdf.render import render_form
from documents.pdf.template import read_template
from documents.tokens import issue_token

FORM = FORMS["registration"]
KEY = b"marks test key"


def _token(today) -> str:
    return issue_token(KEY, "registration", 42, today=today)


def _problems() -> list[FormProblem]:
    name = FORM.field("name")
    phone = FORM.field("work_phone")
    return [
        FormProblem(
            FORM.step_of(name.name), name.name, "Your name “Ŵy 名” has a character we cannot read."
        ),
        FormProblem(FORM.step_of(phone.name), phone.name, "The phone number is not a UK number."),
        FormProblem(None, None, "Attach the letter you mention."),
    ]


def _page_texts(pdf: bytes) -> list[str]:
    document = pdfium.PdfDocument(pdf)
    try:
        return [page.get_textpage().get_text_range().replace("\r\n", "\n") for page in document]
    finally:
        document.close()


def test_the_first_page_lists_each_problem_under_its_step(today) -> None:
    problems = _problems()
    unmarked = render_form(FORM, values=FORM.example, token=_token(today))

    marked = render_form(FORM, values=FORM.example, token=_token(today), problems=problems)

    first, *rest = _page_texts(marked)
    assert rest == _page_texts(unmarked)
    assert first.startswith(TITLE)
    words = " ".join(first.split())
    for problem in problems[:2]:
        step = next(s for s in FORM.steps if s.number == problem.step)
        assert f"Step {step.number}: {step.title}" in words
    assert "• Your name “Ŵy ?” has a character we cannot read." in words
    assert "• The phone number is not a UK number." in words
    assert words.index(WHOLE_FORM) < words.index("• Attach the letter you mention.")


def test_a_long_list_runs_onto_more_pages_before_the_form(today) -> None:
    many = [FormProblem(1, "name", f"Problem number {n} is a sentence.") for n in range(80)]
    marked = render_form(FORM, values=FORM.example, problems=many)
    texts = _page_texts(marked)
    listing = [t for t in texts[:3] if "Problem number" in t]
    assert len(listing) == 2
    assert "Problem number 79" in listing[1]
    assert len(texts) == len(_page_texts(render_form(FORM))) + 2


def _red_pixels_on_frame(pdf: bytes, field_name: str) -> tuple[int, int]:
    """Of the pixels along the frame's line left of the field's box: how many are red, of all."""
    template = read_template(pdf)
    field = template.fields[field_name]
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    numbers = [page.indirect_reference.idnum for page in reader.pages]
    document = pdfium.PdfDocument(pdf)
    try:
        page = document[numbers.index(field.page_object)]
        height = page.get_height()
        image = page.render(scale=2).to_pil().convert("RGB")
    finally:
        document.close()
    left, bottom, _, top = field.rect
    x = round((left - 2.5) * 2)
    ys = range(round((height - top) * 2) + 2, round((height - bottom) * 2) - 2)
    red = sum(1 for y in ys if _is_red(image.getpixel((x, y))))
    return red, len(ys)


def _is_red(pixel: tuple[int, int, int]) -> bool:
    r, g, b = pixel
    return r > 150 and g < 100 and b < 100


@pytest.mark.parametrize("field_name", ["name", "work_phone"])
def test_each_field_at_fault_is_framed_in_red_and_no_other(field_name, today) -> None:
    marked = render_form(FORM, values=FORM.example, problems=_problems())
    red, all_pixels = _red_pixels_on_frame(marked, field_name)
    assert red == all_pixels > 0
    assert _red_pixels_on_frame(marked, "job_title")[0] == 0


def test_the_marked_form_reads_back_as_the_same_form_with_the_same_token(today) -> None:
    token = _token(today)
    unmarked = render_form(FORM, values=FORM.example, token=token)
    marked = render_form(FORM, values=FORM.example, token=token, problems=_problems())

    before = check_pdf(unmarked, key=KEY, today=today)
    after = check_pdf(marked, key=KEY, today=today)

    assert after.outcome == "ok"
    assert after.form is FORM
    assert after.token.valid and after.token_text == token
    assert after.validation.answers == before.validation.answers


def test_problems_naming_no_field_mark_no_box(today) -> None:
    unmarked = render_form(FORM, values=FORM.example)
    marked = render_form(
        FORM,
        values=FORM.example,
        problems=[FormProblem(1, "no_such_field", "A rule about two answers.")],
    )
    reader, before = pypdf.PdfReader(io.BytesIO(marked)), pypdf.PdfReader(io.BytesIO(unmarked))
    assert [p["/Contents"] for p in reader.pages[1:]] == [p["/Contents"] for p in before.pages]
