"""The fillable PDF's pages: a cover, each step on a new page, every label, marker and hint
printed, repeating groups laid out, and no widget overlapping another or any text."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pypdf
import pytest
from render_stress_form import STRESS
from reportlab.pdfbase.pdfmetrics import stringWidth

from documents.forms import FORMS
from documents.pdf.page import BOTTOM, TOP
from documents.pdf.render import render_form
from documents.schema import FormDefinition

HIDDEN_ANNOTATION = 1 << 1


@pytest.fixture(params=[*FORMS.values(), STRESS], ids=lambda form: form.kind)
def form(request) -> FormDefinition:
    return request.param


def _page_texts(pdf: bytes) -> list[str]:
    return [" ".join(p.extract_text().split()) for p in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def test_cover_then_each_step_on_its_own_page_with_footer(form: FormDefinition) -> None:
    pages = _page_texts(render_form(form))
    assert form.title in pages[0] and "How to return this form: fill it in, save it" in pages[0]
    steps = len(form.steps)
    for s in form.steps:
        heading = f"Step {s.number} of {steps}: {s.title}"
        assert any(text.startswith(heading) for text in pages), heading
    for number, text in enumerate(pages, start=1):
        assert f"Page {number}" in text and form.form_id in text


def test_labels_markers_and_hints_are_printed(form: FormDefinition) -> None:
    text = " ".join(_page_texts(render_form(form)))
    for field in form.fields():
        assert " ".join(field.label.split()) in text, field.name
        if field.help:
            assert " ".join(field.help.split()) in text, field.name
    assert "(required)" in text and ("(optional)" in text or all(f.required for f in form.fields()))


def test_repeating_groups_have_row_headings_and_an_overflow_box() -> None:
    text = " ".join(_page_texts(render_form(STRESS)))
    for row in range(1, 5):
        assert f"Document {row}" in text
    assert "More than 4? Write one per line here" in text
    assert "file name, type, dated" in text


def _placed(pdf: bytes) -> Iterator[tuple[int, list[tuple[str, tuple]], list[tuple[str, tuple]]]]:
    """Per page: the widgets' rectangles and the printed text runs' boxes."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    for number, page in enumerate(reader.pages, start=1):
        widgets = []
        for annotation in page.get("/Annots", []):
            widget = annotation.get_object()
            if not widget["/F"] & HIDDEN_ANNOTATION:
                widgets.append((str(widget["/T"]), tuple(float(v) for v in widget["/Rect"])))
        runs: list[tuple[str, tuple]] = []

        def visit(text, cm, tm, font, size, runs=runs):
            if text.strip():
                x, y = tm[4] + cm[4], tm[5] + cm[5]
                width = stringWidth(text, "Helvetica-Bold", size)
                runs.append((text, (x, y - 0.2 * size, x + width, y + 0.75 * size)))

        page.extract_text(visitor_text=visit)
        yield number, widgets, runs


def _overlap(a: tuple, b: tuple) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_nothing_overlaps_and_everything_stays_on_the_page(form: FormDefinition) -> None:
    placed = list(_placed(render_form(form)))
    assert sum(len(widgets) for _, widgets, _ in placed) > len(list(form.fields())) / 2
    assert sum(len(runs) for _, _, runs in placed) > len(list(form.fields()))
    for page, widgets, runs in placed:
        for i, (name, rect) in enumerate(widgets):
            assert 40 <= rect[0] and rect[2] <= 555, (page, name)
            assert BOTTOM <= rect[1] and rect[3] <= TOP, (page, name)
            for other, other_rect in widgets[i + 1 :]:
                assert not _overlap(rect, other_rect), (page, name, other)
            for text, box in runs:
                assert not _overlap(rect, box), (page, name, text)


def test_long_steps_flow_over_several_pages() -> None:
    pages = _page_texts(render_form(STRESS))
    assert len(pages) >= 5  # cover, step 1 over at least two pages, step 2 over two
    assert "Question number 29" in " ".join(pages)


def test_an_edited_definition_is_drawn_afresh() -> None:
    edited = FormDefinition(
        kind=STRESS.kind, version=STRESS.version, title="Edited title", intro="", steps=STRESS.steps
    )
    assert "Edited title" in _page_texts(render_form(edited))[0]
    assert "Layout stress test form" in _page_texts(render_form(STRESS))[0]
