"""Personalise a blank form PDF by appending an incremental update (ISO 32000-1, 7.5.6).

Drawing a form takes tens of milliseconds; filling a copy of the cached blank one is a matter of
writing new versions of the fields that get a value, their appearance streams, a cross-reference
section and a trailer pointing back at the original. `read_template` learns, once per blank form,
where each field lives and what its dictionary holds.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Set
from dataclasses import dataclass
from io import BytesIO
from typing import Literal

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, PdfObject

from documents.pdf.field_font import FieldFont, field_font

WidgetKind = Literal["text", "multiline", "combo", "checkbox"]

_MULTILINE_FLAG = 1 << 12
# Keys each filled field gets anew; /I (selected option index) is dropped so that it cannot
# disagree with the new /V of a combo box.
_REPLACED_KEYS = frozenset({"/V", "/AS", "/AP", "/I"})
_DA_FONT = re.compile(rb"/(\S+)\s+([\d.]+)\s+Tf")
_TEXT_INSET = 4  # from the widget's edge to the text, inside a 1 pt border
_LITERAL_ESCAPES = {ord("\\"): "\\\\", ord("("): "\\(", ord(")"): "\\)", 13: "\\r", 10: "\\n"}


@dataclass(frozen=True)
class TemplateField:
    """Where one widget of the blank form lives, and the parts of it a value leaves alone."""

    object_number: int
    kind: WidgetKind
    width: float
    height: float
    static_entries: bytes  # the dictionary's entries other than _REPLACED_KEYS
    appearance: bytes  # the /AP value of the blank form
    on_state: str = "Yes"
    background: bytes = b""  # "r g b rg" operator, or nothing
    border: bytes = b""
    default_appearance: bytes = b"/Helv 10 Tf 0 g"
    font_name: str = "Helv"
    font_size: float = 10.0


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


def read_template(pdf: bytes) -> FormTemplate:
    """Learn each field's object number and dictionary from a blank form made by reportlab."""
    reader = PdfReader(BytesIO(pdf), strict=True)
    acro_form_reference = reader.trailer["/Root"].raw_get("/AcroForm")
    acro_form = acro_form_reference.get_object()
    fonts = _serialise(acro_form["/DR"].raw_get("/Font"))
    fields: dict[str, TemplateField] = {}
    for reference in acro_form["/Fields"]:
        widget = reference.get_object()
        fields[str(widget["/T"])] = _template_field(reference.idnum, widget)
    trailer = reader.trailer
    trailer_entries = b"/Root " + _serialise(trailer.raw_get("/Root"))
    if "/Info" in trailer:
        trailer_entries += b" /Info " + _serialise(trailer.raw_get("/Info"))
    return FormTemplate(
        pdf=pdf,
        fields=fields,
        fonts=fonts,
        next_object=int(trailer["/Size"]),
        previous_xref=int(pdf[pdf.rindex(b"startxref") + 9 :].split()[0]),
        trailer_entries=trailer_entries,
        first_id=bytes(trailer["/ID"][0].original_bytes).hex().encode("ascii"),
        acro_form_object=acro_form_reference.idnum,
        acro_form_entries=_entries(acro_form, {"/NeedAppearances"}),
    )


def _entries(dictionary: DictionaryObject, leaving_out: Set[str]) -> bytes:
    return b" ".join(
        key.encode("ascii") + b" " + _serialise(value)
        for key, value in dictionary.items()
        if key not in leaving_out
    )


def _template_field(object_number: int, widget: DictionaryObject) -> TemplateField:
    static = _entries(widget, _REPLACED_KEYS)
    left, bottom, right, top = (float(v) for v in widget["/Rect"])
    appearance = _serialise(widget.raw_get("/AP")) if "/AP" in widget else b""
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
    )


def _serialise(value: PdfObject) -> bytes:
    buffer = BytesIO()
    value.write_to_stream(buffer)
    return buffer.getvalue()


def _colour_operator(components: ArrayObject | None, operator: bytes) -> bytes:
    # Only RGB: the colours our layout sets. Anything else draws no background or border.
    if not components or len(components) != 3:
        return b""
    return b" ".join(_number(float(c)) for c in components) + b" " + operator


def _number(value: float) -> bytes:
    return (b"%.4f" % value).rstrip(b"0").rstrip(b".") or b"0"


def fill_template(template: FormTemplate, values: Mapping[str, str | bool]) -> bytes:
    """The template with `values` (PDF field name to text or checkbox state) appended.

    When every value gets our appearance, the update turns /NeedAppearances off: a viewer that
    redraws fields itself may have no font for ŵ (PDFium, in Chrome and Edge, looks for one by
    Windows code page and drops the letter), so ours are the ones to show.
    """
    update = _Update(template)
    all_drawn = True
    for name, value in values.items():
        field = template.fields[name]
        if field.kind == "checkbox":
            state = _name(field.on_state if value else "Off")
            update.add_object(
                field.object_number,
                b"<< %s /V %s /AS %s /AP %s >>"
                % (field.static_entries, state, state, field.appearance),
            )
            continue
        text = str(value)
        appearance = field.appearance
        stream = _text_appearance(field, text, template.fonts)
        if stream is not None:
            appearance = b"<< /N %d 0 R >>" % update.add_object(None, stream)
        all_drawn = all_drawn and stream is not None
        update.add_object(
            field.object_number,
            b"<< %s /V %s /AP %s >>" % (field.static_entries, pdf_string(text), appearance),
        )
    if all_drawn and template.acro_form_object:
        update.add_object(
            template.acro_form_object,
            b"<< %s /NeedAppearances false >>" % template.acro_form_entries,
        )
    return update.finish()


class _Update:
    """Objects appended after the original %%EOF, with their cross-reference section."""

    def __init__(self, template: FormTemplate):
        self.template = template
        self.chunks: list[bytes] = [b"" if template.pdf.endswith(b"\n") else b"\n"]
        self.offset = len(template.pdf) + len(self.chunks[0])
        self.offsets: dict[int, int] = {}
        self.next_object = template.next_object

    def add_object(self, number: int | None, body: bytes) -> int:
        if number is None:
            number = self.next_object
            self.next_object += 1
        chunk = b"%d 0 obj\n%s\nendobj\n" % (number, body)
        self.offsets[number] = self.offset
        self.chunks.append(chunk)
        self.offset += len(chunk)
        return number

    def finish(self) -> bytes:
        xref_offset = self.offset
        # Readers such as pypdf take a first subsection that does not start at object 0 for a
        # mis-numbered table, so the update repeats the head of the free list.
        lines = [b"xref\n0 1\n0000000000 65535 f\r\n"]
        numbers = sorted(self.offsets)
        start = 0
        while start < len(numbers):
            end = start
            while end + 1 < len(numbers) and numbers[end + 1] == numbers[end] + 1:
                end += 1
            lines.append(b"%d %d\n" % (numbers[start], end - start + 1))
            lines.extend(b"%010d 00000 n\r\n" % self.offsets[n] for n in numbers[start : end + 1])
            start = end + 1
        body = b"".join(self.chunks)
        # The second /ID changes with every version of a file (ISO 32000-1, 14.4).
        second_id = hashlib.md5(body, usedforsecurity=False).hexdigest().encode("ascii")
        lines.append(
            b"trailer\n<< /Size %d %s /ID [<%s> <%s>] /Prev %d >>\nstartxref\n%d\n%%%%EOF\n"
            % (
                self.next_object,
                self.template.trailer_entries,
                self.template.first_id,
                second_id,
                self.template.previous_xref,
                xref_offset,
            )
        )
        return self.template.pdf + body + b"".join(lines)


def pdf_string(text: str) -> bytes:
    """A PDF text string: literal when ASCII, else UTF-16BE with a byte order mark."""
    if text.isascii():
        return b"(" + text.translate(_LITERAL_ESCAPES).encode("ascii") + b")"
    return b"<feff" + text.encode("utf-16-be").hex().encode("ascii") + b">"


def _name(text: str) -> bytes:
    return b"/" + text.encode("ascii")


def _text_appearance(field: TemplateField, text: str, fonts: bytes) -> bytes | None:
    """A form XObject drawing `text` in the widget, or None when the font cannot show it.

    Fields are drawn in the font their /DA names: the embedded DejaVu subset, which has the
    Latin letters names need. For anything beyond it (Greek, CJK, emoji) the blank appearance
    stays and viewers draw the value themselves, as /NeedAppearances asks them to.
    """
    font = field_font(field.font_name)
    size = field.font_size
    width, height = field.width, field.height
    leading = size * 1.2
    if field.kind == "multiline":
        visible = max(1, int((height - 2 * _TEXT_INSET) // leading) + 1)
        text = text.replace("\t", " ")
        lines = _wrap(text, font, size, width - 2 * _TEXT_INSET, visible)
        first_baseline = height - _TEXT_INSET - size * 0.8
    else:
        lines = [" ".join(text.split())]
        first_baseline = (height - size * 0.7) / 2
    operands = [font.show(line) for line in lines]
    if any(operand is None for operand in operands):
        return None
    shown = b"\n".join(b"%s Tj 0 %s Td" % (operand, _number(-leading)) for operand in operands)
    w, h = _number(width), _number(height)
    inner_w, inner_h = _number(width - 2), _number(height - 2)
    content = b"".join(
        (
            b"%s 0 0 %s %s re f\n" % (field.background, w, h) if field.background else b"",
            b"%s 1 w 0.5 0.5 %s %s re S\n" % (field.border, _number(width - 1), _number(height - 1))
            if field.border
            else b"",
            b"/Tx BMC q 1 1 %s %s re W n\nBT %s %s %s Td\n%s\nET Q EMC\n"
            % (
                inner_w,
                inner_h,
                field.default_appearance,
                _number(_TEXT_INSET),
                _number(first_baseline),
                shown,
            ),
        )
    )
    return (
        b"<< /Type /XObject /Subtype /Form /FormType 1 /BBox [0 0 %s %s] "
        b"/Resources << /ProcSet [/PDF /Text] /Font %s >> /Length %d >>\nstream\n%s\nendstream"
        % (w, h, fonts, len(content), content)
    )


def _wrap(text: str, font: FieldFont, size: float, width: float, max_lines: int) -> list[str]:
    """Up to `max_lines` lines of `text` no wider than `width`, breaking at spaces, or inside
    words too long for a line. Widths add up because the fields' text is not kerned."""
    space = font.width(" ", size)
    lines: list[str] = []
    for paragraph in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line, line_width = "", 0.0
        for word in paragraph.split(" "):
            word_width = font.width(word, size)
            if line and line_width + space + word_width <= width:
                line, line_width = f"{line} {word}", line_width + space + word_width
                continue
            if line:
                lines.append(line)
            line, line_width = word, word_width
            while line_width > width and len(line) > 1 and len(lines) < max_lines:
                cut = _fitting_prefix(line, font, size, width)
                lines.append(line[:cut])
                line = line[cut:]
                line_width = font.width(line, size)
            if len(lines) >= max_lines:
                return lines[:max_lines]
        lines.append(line)
        if len(lines) >= max_lines:
            break
    return lines[:max_lines]


def _fitting_prefix(word: str, font: FieldFont, size: float, width: float) -> int:
    """How many characters of `word` fit in `width` (at least one)."""
    used = 0.0
    for index, character in enumerate(word):
        used += font.width(character, size)
        if used > width:
            return max(1, index)
    return len(word)
