"""Fill an AcroForm PDF the way real viewers do, so tests can return forms as professionals will.

Three engines, one signature: `fill_with_<engine>(pdf, values) -> bytes`, where `values` maps PDF
field names to text or a checkbox state (what `documents.pdfvalues.pdf_values` gives). PDFium is
the engine inside Chrome and Edge and behaves like them: it saves line breaks as CR LF and cuts
text at the field's MaxLen. pypdf and pikepdf write /V directly and leave drawing to the viewer.
"""

from __future__ import annotations

import ctypes
import io
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

import pikepdf
import pikepdf.form
import pypdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pypdf.generic import NameObject

FillValues = Mapping[str, str | bool]


def fill_with_pypdf(pdf: bytes, values: FillValues) -> bytes:
    """Fill with pypdf: /V set per page, NeedAppearances on, checkboxes by their on-state name."""
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(pdf))
    on_states = _pypdf_checkbox_on_states(writer)
    text = {name: value for name, value in values.items() if not isinstance(value, bool)}
    with _pypdf_font_warnings_silenced():
        for page in writer.pages:
            if "/Annots" not in page:
                continue
            # NeedAppearances on: viewers redraw pypdf's own appearances, which lose ł and ŵ.
            writer.update_page_form_field_values(page, text, auto_regenerate=True)
            _pypdf_set_checkboxes(page, values, on_states)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@contextmanager
def _pypdf_font_warnings_silenced() -> Iterator[None]:
    # pypdf logs a warning per answer its Helvetica appearance cannot draw, quoting the whole
    # answer; with 4,000-character answers that buries a failing test's report.
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _pypdf_checkbox_on_states(writer: pypdf.PdfWriter) -> dict[str, str]:
    states: dict[str, str] = {}
    for page in writer.pages:
        for widget in _pypdf_widgets(page):
            names = [k for k in widget.get("/AP", {}).get("/N", {}) if k != "/Off"]
            if _pypdf_field_type(widget) == "/Btn" and names:
                states[_pypdf_field_name(widget)] = names[0]
    return states


def _pypdf_set_checkboxes(
    page: pypdf.PageObject, values: FillValues, on_states: Mapping[str, str]
) -> None:
    # update_page_form_field_values also takes "/Yes", but only sets /AS when the state names
    # match exactly; setting both /V and /AS here is what a viewer does on a click.
    for widget in _pypdf_widgets(page):
        name = _pypdf_field_name(widget)
        if name not in on_states or not isinstance(values.get(name), bool):
            continue
        state = NameObject(on_states[name] if values[name] else "/Off")
        field = widget.get("/Parent", widget).get_object() if "/T" not in widget else widget
        field[NameObject("/V")] = state
        widget[NameObject("/AS")] = state


def _pypdf_widgets(page: pypdf.PageObject):
    for annotation in page.get("/Annots", []):
        annotation = annotation.get_object()
        if annotation.get("/Subtype") == "/Widget":
            yield annotation


def _pypdf_field_name(widget) -> str:
    parts = []
    node = widget
    while node is not None:
        if "/T" in node:
            parts.append(str(node["/T"]))
        node = node.get("/Parent")
        node = node.get_object() if node is not None else None
    return ".".join(reversed(parts))


def _pypdf_field_type(widget) -> str | None:
    node = widget
    while node is not None:
        if "/FT" in node:
            return node["/FT"]
        node = node.get("/Parent")
        node = node.get_object() if node is not None else None
    return None


def fill_with_pikepdf(pdf: bytes, values: FillValues) -> bytes:
    """Fill with pikepdf's Form: /V as Unicode-safe strings, /V and /AS names for checkboxes.

    No appearance streams are made (NeedAppearances is set instead), as many scripts do. Like a
    viewer, pikepdf cuts text at MaxLen.
    """
    with pikepdf.open(io.BytesIO(pdf)) as document:
        form = pikepdf.form.Form(document)
        for name, value in values.items():
            field = form[name]
            if isinstance(field, pikepdf.form.CheckboxField):
                field.checked = bool(value)
            else:
                # Text and choice fields alike: pikepdf writes a Unicode-safe text string.
                field.value = str(value)
        document.Root.AcroForm.NeedAppearances = True
        out = io.BytesIO()
        document.save(out)
    return out.getvalue()


def fill_with_pdfium(pdf: bytes, values: FillValues, password: str | None = None) -> bytes:
    """Fill as Chrome and Edge do, through PDFium's form-fill API: focus, type, click, save.
    An encrypted PDF is opened with `password` and saved encrypted as it was."""
    document = pdfium.PdfDocument(pdf, password=password)
    try:
        document.init_forms()
        form = document.formenv
        if form is None:
            raise ValueError("the PDF has no form to fill")
        for index in range(len(document)):
            page = document[index]  # get_page calls FORM_OnAfterLoadPage
            try:
                _pdfium_fill_page(form, page, values)
            finally:
                pdfium_c.FORM_OnBeforeClosePage(page, form)
                page.close()
        out = io.BytesIO()
        document.save(out)
        return out.getvalue()
    finally:
        document.close()


def _pdfium_fill_page(form, page, values: FillValues) -> None:
    for index in range(pdfium_c.FPDFPage_GetAnnotCount(page)):
        annot = pdfium_c.FPDFPage_GetAnnot(page, index)
        try:
            if pdfium_c.FPDFAnnot_GetSubtype(annot) != pdfium_c.FPDF_ANNOT_WIDGET:
                continue
            name = _pdfium_field_name(form, annot)
            if name not in values:
                continue
            kind = pdfium_c.FPDFAnnot_GetFormFieldType(form, annot)
            fill = _PDFIUM_FILLERS.get(kind)
            if fill is None:
                raise ValueError(f"cannot fill field {name!r} of PDFium type {kind}")
            fill(form, page, annot, values[name])
        finally:
            pdfium_c.FPDFPage_CloseAnnot(annot)


def _pdfium_field_name(form, annot) -> str:
    return _pdfium_wide_text(
        lambda buf, size: pdfium_c.FPDFAnnot_GetFormFieldName(form, annot, buf, size)
    )


def _pdfium_wide_text(call: Callable[[ctypes.Array | None, int], int]) -> str:
    size = call(None, 0)
    if size <= 2:
        return ""
    buffer = ctypes.create_string_buffer(size)
    call(ctypes.cast(buffer, ctypes.POINTER(pdfium_c.FPDF_WCHAR)), size)
    return buffer.raw[: size - 2].decode("utf-16-le")


def _pdfium_fill_text(form, page, annot, value: str | bool) -> None:
    if not pdfium_c.FORM_SetFocusedAnnot(form, annot):
        raise RuntimeError("PDFium would not focus a text field")
    pdfium_c.FORM_SelectAllText(form, page)
    # FPDF_WIDESTRING is UTF-16LE, null-terminated; the buffer must outlive the call.
    wide = ctypes.create_string_buffer(str(value).encode("utf-16-le") + b"\x00\x00")
    pdfium_c.FORM_ReplaceSelection(form, page, ctypes.cast(wide, pdfium_c.FPDF_WIDESTRING))
    pdfium_c.FORM_ForceToKillFocus(form)


def _pdfium_fill_checkbox(form, page, annot, value: str | bool) -> None:
    wanted = value if isinstance(value, bool) else str(value).lstrip("/") not in ("", "Off")
    if bool(pdfium_c.FPDFAnnot_IsChecked(form, annot)) == wanted:
        return
    x, y = _pdfium_centre(annot)
    # A click, as a person gives it: the mouse moves over the box, goes down and comes up.
    pdfium_c.FORM_OnMouseMove(form, page, 0, x, y)
    pdfium_c.FORM_OnLButtonDown(form, page, 0, x, y)
    pdfium_c.FORM_OnLButtonUp(form, page, 0, x, y)
    pdfium_c.FORM_ForceToKillFocus(form)
    if bool(pdfium_c.FPDFAnnot_IsChecked(form, annot)) != wanted:
        raise RuntimeError("a click did not toggle a checkbox in PDFium")


def _pdfium_fill_combo(form, page, annot, value: str | bool) -> None:
    options = [
        _pdfium_wide_text(
            lambda buf, size, i=i: pdfium_c.FPDFAnnot_GetOptionLabel(form, annot, i, buf, size)
        )
        for i in range(pdfium_c.FPDFAnnot_GetOptionCount(form, annot))
    ]
    if not pdfium_c.FORM_SetFocusedAnnot(form, annot):
        raise RuntimeError("PDFium would not focus a choice field")
    if str(value) in options:
        pdfium_c.FORM_SetIndexSelected(form, page, options.index(str(value)), True)
    else:
        # An editable combo box takes typed text that is not one of its choices.
        pdfium_c.FORM_SelectAllText(form, page)
        wide = ctypes.create_string_buffer(str(value).encode("utf-16-le") + b"\x00\x00")
        pdfium_c.FORM_ReplaceSelection(form, page, ctypes.cast(wide, pdfium_c.FPDF_WIDESTRING))
    pdfium_c.FORM_ForceToKillFocus(form)


def _pdfium_centre(annot) -> tuple[float, float]:
    rect = pdfium_c.FS_RECTF()
    if not pdfium_c.FPDFAnnot_GetRect(annot, rect):
        raise RuntimeError("PDFium gave no rectangle for a widget")
    return (rect.left + rect.right) / 2, (rect.top + rect.bottom) / 2


_PDFIUM_FILLERS = {
    pdfium_c.FPDF_FORMFIELD_TEXTFIELD: _pdfium_fill_text,
    pdfium_c.FPDF_FORMFIELD_CHECKBOX: _pdfium_fill_checkbox,
    pdfium_c.FPDF_FORMFIELD_COMBOBOX: _pdfium_fill_combo,
}

ENGINES: dict[str, Callable[[bytes, FillValues], bytes]] = {
    "pypdf": fill_with_pypdf,
    "pdfium": fill_with_pdfium,
    "pikepdf": fill_with_pikepdf,
}
