"""Personalise a blank form PDF by appending an incremental update (ISO 32000-1, 7.5.6).

Drawing a form takes tens of milliseconds; filling a copy of the cached blank one is a matter of
writing new versions of the fields that get a value, their appearance streams, a cross-reference
section and a trailer pointing back at the original. `documents.pdf.template` learns, once per
blank form, where each field lives and what its dictionary holds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from documents.pdf.fonts import field_font, wrap
from documents.pdf.template import FormTemplate, TemplateField, pdf_number

_TEXT_INSET = 4  # from the widget's edge to the text, inside a 1 pt border
_LITERAL_ESCAPES = {ord("\\"): "\\\\", ord("("): "\\(", ord(")"): "\\)", 13: "\\r", 10: "\\n"}


def fill_template(template: FormTemplate, values: Mapping[str, str | bool]) -> bytes:
    """The template with `values` (PDF field name to text or checkbox state) appended."""
    return fill_update(template, values).finish()


def fill_update(template: FormTemplate, values: Mapping[str, str | bool]) -> IncrementalUpdate:
    """The update that gives the template's fields `values`, open for more objects.

    When every value gets our appearance, the update turns /NeedAppearances off: a viewer that
    redraws fields itself may have no font for ŵ (PDFium, in Chrome and Edge, looks for one by
    Windows code page and drops the letter), so ours are the ones to show.
    """
    update = IncrementalUpdate(template)
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
    return update


class IncrementalUpdate:
    """Objects appended after the original %%EOF, with their cross-reference section."""

    def __init__(self, template: FormTemplate):
        self.template = template
        self.chunks: list[bytes] = [b"" if template.pdf.endswith(b"\n") else b"\n"]
        self.offset = len(template.pdf) + len(self.chunks[0])
        self.offsets: dict[int, int] = {}
        self.next_object = template.next_object

    def add_object(self, number: int | None, body: bytes) -> int:
        """Write `body` as object `number` (a new version of it), or as a new object."""
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
        lines = wrap(text, font, size, width - 2 * _TEXT_INSET, visible)
        first_baseline = height - _TEXT_INSET - size * 0.8
    else:
        lines = [" ".join(text.split())]
        first_baseline = (height - size * 0.7) / 2
    operands = [font.show(line) for line in lines]
    if any(operand is None for operand in operands):
        return None
    shown = b"\n".join(b"%s Tj 0 %s Td" % (operand, pdf_number(-leading)) for operand in operands)
    w, h = pdf_number(width), pdf_number(height)
    inner_w, inner_h = pdf_number(width - 2), pdf_number(height - 2)
    content = b"".join(
        (
            b"%s 0 0 %s %s re f\n" % (field.background, w, h) if field.background else b"",
            b"%s 1 w 0.5 0.5 %s %s re S\n"
            % (field.border, pdf_number(width - 1), pdf_number(height - 1))
            if field.border
            else b"",
            b"/Tx BMC q 1 1 %s %s re W n\nBT %s %s %s Td\n%s\nET Q EMC\n"
            % (
                inner_w,
                inner_h,
                field.default_appearance,
                pdf_number(_TEXT_INSET),
                pdf_number(first_baseline),
                shown,
            ),
        )
    )
    return (
        b"<< /Type /XObject /Subtype /Form /FormType 1 /BBox [0 0 %s %s] "
        b"/Resources << /ProcSet [/PDF /Text] /Font %s >> /Length %d >>\nstream\n%s\nendstream"
        % (w, h, fonts, len(content), content)
    )
