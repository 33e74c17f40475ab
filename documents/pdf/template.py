"""What an incremental update of a blank form needs to know about it, learnt once per form:
where each field and page lives, and the parts of their dictionaries an update leaves alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Set
from dataclasses import dataclass
from io import BytesIO
from typing import Literal

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, PdfObject

WidgetKind = Literal["text", "multiline", "combo", "checkbox"]

_MULTILINE_FLAG = 1 << 12
# Keys each filled field gets anew; /I (selected option index) is dropped so that it cannot
# disagree with the new /V of a combo box.
REPLACED_KEYS = frozenset({"/V", "/AS", "/AP", "/I"})
_DA_FONT = re.compile(rb"/(\S+)\s+([\d.]+)\s+Tf")


@dataclass(frozen=True)
class TemplateField:
    """Where one widget of the blank form lives, and the parts of it a value leaves alone."""

    object_number: int
    kind: WidgetKind
    width: float
    height: float
    static_entries: bytes  # the dictionary's entries other than REPLACED_KEYS
    appearance: bytes  # the /AP value of the blank form
    on_state: str = "Yes"
    background: bytes = b""  # "r g b rg" operator, or nothing
    border: bytes = b""
    default_appearance: bytes = b"/Helv 10 Tf 0 g"
    font_name: str = "Helv"
    font_size: float = 10.0
    rect: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)  # left, bottom, right, top
    page_object: int = 0  # the page the widget is on (its /P)


@dataclass(frozen=True)
class TemplatePage:
    """One page of the blank form: an update may give it more content."""

    object_number: int
    entries: bytes  # its dictionary's entries other than /Contents
    contents: tuple[bytes, ...]  # its content streams' references


@dataclass(frozen=True)
class PageTree:
    """The form's one /Pages node: an update may put pages before the form's own."""

    object_number: int
    entries: bytes  # its dictionary's entries other than /Kids and /Count
    pages: tuple[TemplatePage, ...]
    media_box: bytes  # the first page's, for pages added beside it


@dataclass(frozen=True)
class FormTemplate:
    """A blank form's bytes and what an incremental update needs to know about them."""

    pdf: bytes
    fields: Mapping[str, TemplateField]
    fonts: bytes  # a /Font resource dictionary: the AcroForm's own
    next_object: int
    previous_xref: int
    trailer_entries: bytes  # /Root and /Info
    first_id: bytes  # the first /ID string, hex, which an update keeps
    acro_form_object: int = 0
    acro_form_entries: bytes = b""  # the AcroForm dictionary's entries but /NeedAppearances
    page_tree: PageTree | None = None


def read_template(pdf: bytes) -> FormTemplate:
    """Learn each field's object number and dictionary from a blank form made by reportlab."""
    reader = PdfReader(BytesIO(pdf), strict=True)
    acro_form_reference = reader.trailer["/Root"].raw_get("/AcroForm")
    acro_form = acro_form_reference.get_object()
    fonts = serialise(acro_form["/DR"].raw_get("/Font"))
    fields: dict[str, TemplateField] = {}
    for reference in acro_form["/Fields"]:
        widget = reference.get_object()
        fields[str(widget["/T"])] = _template_field(reference.idnum, widget)
    trailer = reader.trailer
    trailer_entries = b"/Root " + serialise(trailer.raw_get("/Root"))
    if "/Info" in trailer:
        trailer_entries += b" /Info " + serialise(trailer.raw_get("/Info"))
    return FormTemplate(
        pdf=pdf,
        fields=fields,
        fonts=fonts,
        next_object=int(trailer["/Size"]),
        previous_xref=int(pdf[pdf.rindex(b"startxref") + 9 :].split()[0]),
        trailer_entries=trailer_entries,
        first_id=bytes(trailer["/ID"][0].original_bytes).hex().encode("ascii"),
        acro_form_object=acro_form_reference.idnum,
        acro_form_entries=dictionary_entries(acro_form, {"/NeedAppearances"}),
        page_tree=_page_tree(reader),
    )


def _page_tree(reader: PdfReader) -> PageTree:
    """reportlab writes one /Pages node whose kids are the pages themselves."""
    reference = reader.trailer["/Root"].raw_get("/Pages")
    node = reference.get_object()
    pages = []
    for kid in node["/Kids"]:
        page = kid.get_object()
        contents = page.raw_get("/Contents")
        references = contents if isinstance(contents, ArrayObject) else [contents]
        pages.append(
            TemplatePage(
                kid.idnum,
                dictionary_entries(page, {"/Contents"}),
                tuple(serialise(r) for r in references),
            )
        )
    first_page = node["/Kids"][0].get_object()
    return PageTree(
        reference.idnum,
        dictionary_entries(node, {"/Kids", "/Count"}),
        tuple(pages),
        serialise(first_page["/MediaBox"]),
    )


def dictionary_entries(dictionary: DictionaryObject, leaving_out: Set[str]) -> bytes:
    """A dictionary's entries as PDF syntax, without the brackets and the keys left out."""
    return b" ".join(
        key.encode("ascii") + b" " + serialise(value)
        for key, value in dictionary.items()
        if key not in leaving_out
    )


def _template_field(object_number: int, widget: DictionaryObject) -> TemplateField:
    static = dictionary_entries(widget, REPLACED_KEYS)
    left, bottom, right, top = (float(v) for v in widget["/Rect"])
    rect = (left, bottom, right, top)
    page_object = widget.raw_get("/P").idnum if "/P" in widget else 0
    appearance = serialise(widget.raw_get("/AP")) if "/AP" in widget else b""
    if widget["/FT"] == "/Btn":
        on_states = [s for s in widget["/AP"]["/N"] if s != "/Off"]
        return TemplateField(
            object_number,
            "checkbox",
            right - left,
            top - bottom,
            static,
            appearance,
            on_state=on_states[0].lstrip("/"),
            rect=rect,
            page_object=page_object,
        )
    if widget["/FT"] == "/Ch":
        kind: WidgetKind = "combo"
    elif int(widget.get("/Ff", 0)) & _MULTILINE_FLAG:
        kind = "multiline"
    else:
        kind = "text"
    characteristics = widget.get("/MK", {})
    default_appearance = str(widget.get("/DA", "/Helv 10 Tf 0 g")).encode("latin-1")
    font = _DA_FONT.search(default_appearance)
    return TemplateField(
        object_number,
        kind,
        right - left,
        top - bottom,
        static,
        appearance,
        background=_colour_operator(characteristics.get("/BG"), b"rg"),
        border=_colour_operator(characteristics.get("/BC"), b"RG"),
        default_appearance=default_appearance,
        font_name=font.group(1).decode("ascii") if font else "Helv",
        font_size=float(font.group(2)) if font else 10.0,
        rect=rect,
        page_object=page_object,
    )


def serialise(value: PdfObject) -> bytes:
    """An object as PDF syntax."""
    buffer = BytesIO()
    value.write_to_stream(buffer)
    return buffer.getvalue()


def _colour_operator(components: ArrayObject | None, operator: bytes) -> bytes:
    # Only RGB: the colours our layout sets. Anything else draws no background or border.
    if not components or len(components) != 3:
        return b""
    return b" ".join(pdf_number(float(c)) for c in components) + b" " + operator


def pdf_number(value: float) -> bytes:
    """A number as PDF syntax, without needless decimals."""
    return (b"%.4f" % value).rstrip(b"0").rstrip(b".") or b"0"
