"""The fillable PDF's fields: every value reads back as it was given, with the schema's limits
and flags, in a personalised file that pypdf, qpdf (pikepdf) and PDFium all open and read."""

from __future__ import annotations

import ctypes
import io
import re
import threading
from collections.abc import Iterator
from datetime import date

import pikepdf
import pypdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from pypdf.generic import DictionaryObject
from render_stress_form import STRESS

from documents.forms import FORMS
from documents.pdf.fonts import unicode_field_font
from documents.pdf.render import render_form
from documents.pdfvalues import answers_from_pdf, pdf_values
from documents.schema import (
    FORM_ID_FIELD,
    TOKEN_FIELD,
    Field,
    FieldType,
    FormDefinition,
)
from documents.tokens import issue_token
from documents.validators import parse_date, parse_number

READ_ONLY, REQUIRED, MULTILINE, COMBO = 1, 1 << 1, 1 << 12, 1 << 17
HIDDEN_ANNOTATION = 1 << 1
T = FieldType

ALL_FORMS = [*FORMS.values(), STRESS]
TOKEN = issue_token(b"render test key", "registration", 42, 7, today=date(2025, 3, 14))


@pytest.fixture(params=ALL_FORMS, ids=lambda form: form.kind)
def form(request) -> FormDefinition:
    return request.param


def _fields(pdf: bytes, *, strict: bool = True) -> dict[str, DictionaryObject]:
    reader = pypdf.PdfReader(io.BytesIO(pdf), strict=strict)
    return {
        str(ref.get_object()["/T"]): ref.get_object()
        for ref in reader.trailer["/Root"]["/AcroForm"]["/Fields"]
    }


def _read_values(pdf: bytes, *, strict: bool = True) -> dict[str, object]:
    """Field values as the brief says a reader sees them: text as str, checkbox as its state."""
    values: dict[str, object] = {}
    for name, widget in _fields(pdf, strict=strict).items():
        value = widget.get("/V")
        values[name] = None if value is None else str(value)
    return values


def _widgets(field: Field) -> Iterator[str]:
    if field.type is T.MULTI_CHOICE:
        yield from (field.option_pdf_name(i) for i in range(len(field.choices)))
    else:
        yield field.pdf_name


@pytest.mark.parametrize("strict", [True, False])
def test_example_answers_read_back_equal(form: FormDefinition, strict: bool) -> None:
    pdf = render_form(form, values=form.example, token=TOKEN)
    answers = answers_from_pdf(form, _read_values(pdf, strict=strict))
    for name, value in form.example.items():
        answer, field = answers[name], form.field(name)
        # Dates travel as dd/mm/yyyy and numbers as text; validation turns them back.
        if field.type is T.DATE:
            answer = parse_date(answer).isoformat()
        elif field.type is T.NUMBER:
            answer = parse_number(answer, field.decimals)
        assert answer == value, name


def test_blank_form_has_every_field_and_no_answers(form: FormDefinition) -> None:
    values = _read_values(render_form(form))
    for field in form.fields():
        for name in _widgets(field):
            assert values[name] in ("", "/Off"), name
    answers = answers_from_pdf(form, values)
    assert not any(answers[f.name] for f in form.fields())


def test_hidden_fields_hold_form_id_and_token(form: FormDefinition) -> None:
    pdf = render_form(form, values=form.example, token=TOKEN)
    fields = _fields(pdf)
    first_page = pypdf.PdfReader(io.BytesIO(pdf)).pages[0]
    first_page_annotations = {str(a.get_object()["/T"]) for a in first_page["/Annots"]}
    for name, value in ((FORM_ID_FIELD, form.form_id), (TOKEN_FIELD, TOKEN)):
        widget = fields[name]
        assert widget["/V"] == value
        assert widget["/F"] & HIDDEN_ANNOTATION
        assert widget["/Ff"] & READ_ONLY
        assert widget["/MaxLen"] >= 64
        assert name in first_page_annotations
    assert _fields(render_form(form))[TOKEN_FIELD]["/V"] == ""


def test_text_boxes_carry_the_schema_limit(form: FormDefinition) -> None:
    fields = _fields(render_form(form, values=form.example, token=TOKEN))
    for field in form.fields():
        if field.limit is None:
            assert all("/MaxLen" not in fields[name] for name in _widgets(field)), field.name
            continue
        widget = fields[field.pdf_name]
        assert widget["/MaxLen"] == field.limit, field.name
        assert bool(widget["/Ff"] & MULTILINE) == (field.type is T.LONG_TEXT), field.name


def test_no_widget_is_marked_required_by_reportlab(form: FormDefinition) -> None:
    for name, widget in _fields(render_form(form, values=form.example, token=TOKEN)).items():
        assert not widget.get("/Ff", 0) & REQUIRED, name


def test_each_field_type_becomes_its_widget(form: FormDefinition) -> None:
    fields = _fields(render_form(form))
    for field in form.fields():
        if field.type is T.CHOICE:
            widget = fields[field.pdf_name]
            assert widget["/FT"] == "/Ch" and widget["/Ff"] & COMBO
            assert [str(o) for o in widget["/Opt"]] == ["", *field.choices]
        elif field.type in (T.CHECKBOX, T.MULTI_CHOICE):
            for name in _widgets(field):
                assert fields[name]["/FT"] == "/Btn"
                assert fields[name]["/Ff"] == 0
                assert set(fields[name]["/AP"]["/N"]) == {"/Yes", "/Off"}
        else:
            assert fields[field.pdf_name]["/FT"] == "/Tx"


def test_tooltips_speak_the_question_and_hint(form: FormDefinition) -> None:
    fields = _fields(render_form(form))
    for field in form.fields():
        for name in _widgets(field):
            tooltip = str(fields[name]["/TU"])
            assert field.label in tooltip
            if field.type is not T.MULTI_CHOICE and field.help:
                assert field.help in tooltip


def test_checkboxes_hold_yes_or_off_in_value_and_appearance_state() -> None:
    values = dict(STRESS.example, consent=False)
    fields = _fields(render_form(STRESS, values=values))
    assert fields["consent"]["/V"] == fields["consent"]["/AS"] == "/Off"
    assert fields["needs__2"]["/V"] == fields["needs__2"]["/AS"] == "/Yes"
    assert fields["needs__1"]["/V"] == fields["needs__1"]["/AS"] == "/Off"


NON_LATIN = {
    "name": "Łucja Wrzesień 😀",
    "organisation_name": "Ysgol Glan Ŵy 中文学校",
    "work_address": "Flat 2\nTŷ Newydd\n東京都",
    "job_title": "Café manager — naïve",
}


@pytest.mark.parametrize("strict", [True, False])
def test_text_beyond_latin1_is_stored_intact(strict: bool) -> None:
    form = FORMS["registration"]
    pdf = render_form(form, values={**form.example, **NON_LATIN}, token=TOKEN)
    answers = answers_from_pdf(form, _read_values(pdf, strict=strict))
    for name, value in NON_LATIN.items():
        assert answers[name] == value
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        by_name = {str(f.T): f for f in opened.Root.AcroForm.Fields}
        assert str(by_name["name"].V) == NON_LATIN["name"]
    # Emoji and CJK are beyond the field font: viewers are asked to draw them.
    assert pypdf.PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/AcroForm"]["/NeedAppearances"].value


def _shown_lines(appearance: bytes) -> list[str]:
    """The lines of text an appearance stream of ours shows, read back through the field font."""
    font = unicode_field_font()
    characters = {cid: c for c, cid in reversed(list(font.cids.items()))}
    return [
        "".join(characters[int(hex_text[i : i + 4], 16)] for i in range(0, len(hex_text), 4))
        for hex_text in re.findall(rb"<([0-9a-f]*)> Tj", appearance)
        for hex_text in [hex_text.decode("ascii")]
    ]


def test_values_the_field_font_draws_get_an_appearance_and_others_keep_the_blank_one() -> None:
    form = FORMS["registration"]
    values = {
        **form.example,
        "name": "Siân Evans",
        "organisation_name": "Ysgol Glan Ŵy",
        "job_title": "東京 teacher",
    }
    blank = _fields(render_form(form))
    fields = _fields(render_form(form, values=values))
    for name in ("name", "organisation_name"):
        assert _shown_lines(fields[name]["/AP"]["/N"].get_data()) == [values[name]]
        assert fields[name]["/AP"].raw_get("/N").idnum != blank[name]["/AP"].raw_get("/N").idnum
    assert (
        fields["job_title"]["/AP"].raw_get("/N").idnum
        == blank["job_title"]["/AP"].raw_get("/N").idnum
    )


def test_long_text_appearance_wraps_inside_the_box() -> None:
    paragraph = "The child finds it hard to settle in class and needs adult help. " * 8
    pdf = render_form(STRESS, values={"long_label": paragraph})
    widget = _fields(pdf)["long_label"]
    width = float(widget["/Rect"][2]) - float(widget["/Rect"][0])
    lines = _shown_lines(widget["/AP"]["/N"].get_data())
    assert len(lines) > 3
    assert " ".join(lines).strip() == paragraph.strip()
    assert all(unicode_field_font().width(line, 10) <= width - 8 for line in lines)


def test_personalised_form_is_an_incremental_update_of_the_blank() -> None:
    form = FORMS["registration"]
    blank = render_form(form)
    filled = render_form(form, values=form.example, token=TOKEN)
    assert filled.startswith(blank)
    update = filled[len(blank) :]
    assert update.count(b"%%EOF") == 1 and b"/Prev " in update
    assert render_form(form) is blank  # drawn once, then cached


def test_opens_cleanly_in_qpdf_and_pdfium(form: FormDefinition) -> None:
    pdf = render_form(form, values=form.example, token=TOKEN)
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        assert opened.check_pdf_syntax() == []
        assert len(opened.pages) >= len(form.steps) + 1
    document = pdfium.PdfDocument(pdf)
    try:
        document.init_forms()
        for page in document:
            page.render(scale=0.25, may_draw_forms=True)
        assert len(document) == len(pypdf.PdfReader(io.BytesIO(pdf)).pages)
    finally:
        document.close()


def _pdfium_values(pdf: bytes) -> dict[str, str]:
    """Field values as PDFium (Chrome, Edge) sees them: it must follow the incremental update."""
    document = pdfium.PdfDocument(pdf)
    values: dict[str, str] = {}
    try:
        document.init_forms()
        form = document.formenv
        for page in document:
            for index in range(pdfium_c.FPDFPage_GetAnnotCount(page)):
                annot = pdfium_c.FPDFPage_GetAnnot(page, index)
                name = _pdfium_text(
                    lambda b, n, a=annot: pdfium_c.FPDFAnnot_GetFormFieldName(form, a, b, n)
                )
                values[name] = _pdfium_text(
                    lambda b, n, a=annot: pdfium_c.FPDFAnnot_GetFormFieldValue(form, a, b, n)
                )
                pdfium_c.FPDFPage_CloseAnnot(annot)
    finally:
        document.close()
    return values


def _pdfium_text(call) -> str:
    size = call(None, 0)
    buffer = ctypes.create_string_buffer(size)
    call(ctypes.cast(buffer, ctypes.POINTER(pdfium_c.FPDF_WCHAR)), size)
    return buffer.raw[: max(0, size - 2)].decode("utf-16-le")


def test_pdfium_reads_the_personalised_values() -> None:
    form = FORMS["registration"]
    values = _pdfium_values(render_form(form, values={**form.example, **NON_LATIN}, token=TOKEN))
    assert values[TOKEN_FIELD] == TOKEN
    assert values["name"] == NON_LATIN["name"]
    assert values["role"] == form.example["role"]
    assert values["terms_accepted"] == "Yes"


def test_concurrent_renders_agree() -> None:
    form = FORMS["registration"]
    expected = render_form(form, values=form.example, token=TOKEN)
    results: list[bytes] = []

    def render() -> None:
        for _ in range(20):
            results.append(render_form(form, values=form.example, token=TOKEN))

    threads = [threading.Thread(target=render) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 80 and all(r == expected for r in results)


def test_values_go_through_the_pdf_value_mapping() -> None:
    pdf = render_form(STRESS, values={"documents[1].dated": "2024-11-02"})
    assert _fields(pdf)["documents_1_dated"]["/V"] == "02/11/2024"
    assert pdf_values(STRESS, {"documents[1].dated": "2024-11-02"}) == {
        "documents_1_dated": "02/11/2024"
    }
