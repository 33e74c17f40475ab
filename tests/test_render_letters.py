"""Every letter of an answer is drawn in the field, not only stored in it: by our appearance
streams, by PDFium as Chrome and Edge open the form, and by a writer that redraws the fields from
their /DA and the form's /DR font (pypdf). The fields are flattened into the page by PDFium and the
page's text read back."""

from __future__ import annotations

import io

import pypdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from fill_engines import fill_with_pypdf

from documents.forms import FORMS
from documents.pdf.render import render_form
from documents.pdfvalues import pdf_values

FORM = FORMS["registration"]
WELSH = {"organisation_name": "Ysgol Glan Ŵy", "work_address": "Tŷ Dŵr\nStryd Fawr"}
TOKEN = "t" * 36


def flattened_text(pdf: bytes, *, as_a_viewer: bool = False) -> str:
    """The text of every page with its fields flattened into it. Without a form environment
    PDFium flattens the appearance streams the file holds; with one, it first redraws those that
    the file asks it to (/NeedAppearances), as a browser showing the form does."""
    document = pdfium.PdfDocument(pdf)
    try:
        if as_a_viewer:
            document.init_forms()
        texts = []
        for index in range(len(document)):
            page = document[index]
            assert pdfium_c.FPDFPage_Flatten(page.raw, pdfium_c.FLAT_NORMALDISPLAY) in (
                pdfium_c.FLATTEN_SUCCESS,
                pdfium_c.FLATTEN_NOTHINGTODO,
            )
            page.close()
            texts.append(document[index].get_textpage().get_text_range())
        return "\n".join(texts).replace("\r\n", "\n")
    finally:
        document.close()


def _prefilled() -> bytes:
    return render_form(FORM, values={**FORM.example, **WELSH}, token=TOKEN)


def _redrawn_by_pypdf() -> bytes:
    blank = render_form(FORM, token=TOKEN)
    return fill_with_pypdf(blank, pdf_values(FORM, {**FORM.example, **WELSH}))


SHOWN = {
    "our-appearance": lambda: flattened_text(_prefilled()),
    "pdfium-viewer": lambda: flattened_text(_prefilled(), as_a_viewer=True),
    "pypdf-redrawn": lambda: flattened_text(_redrawn_by_pypdf()),
}


@pytest.mark.parametrize("shown", sorted(SHOWN))
def test_welsh_letters_are_drawn_in_the_fields(shown: str) -> None:
    text = SHOWN[shown]()

    assert "Ysgol Glan Ŵy" in text
    assert "Tŷ Dŵr\nStryd Fawr" in text


def test_the_field_font_is_an_embedded_unicode_font_in_the_forms_resources() -> None:
    reader = pypdf.PdfReader(io.BytesIO(_prefilled()))
    acro_form = reader.trailer["/Root"]["/AcroForm"]
    font = acro_form["/DR"]["/Font"]["/DeVu"]
    assert (font["/Subtype"], font["/Encoding"]) == ("/Type0", "/Identity-H")
    descendant = font["/DescendantFonts"][0].get_object()
    assert descendant["/FontDescriptor"]["/FontFile2"].get_data()[:4] == b"\x00\x01\x00\x00"
    by_name = {field["/T"]: field for field in (f.get_object() for f in acro_form["/Fields"])}
    assert by_name["organisation_name"]["/DA"].startswith("/DeVu 10 Tf")
    # Every value has our appearance, so viewers are not asked to redraw them.
    assert acro_form["/NeedAppearances"].value is False
