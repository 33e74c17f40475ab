"""A receipt PDF: the answers of a submitted form, step by step, as the service recorded them.

Driven by the same form definition as the fillable PDF, so a new field appears here by itself.
Unanswered optional fields are left out to keep the receipt short.

Every accepted form gets one inside the pipeline's transaction, so it is drawn line by line on
a canvas: reportlab's Paragraph flowables parse markup and lay out each answer several times
over, which cost about three times as much for the same pages.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from documents.pdf.fonts import text_fonts
from documents.schema import FieldType, FormDefinition
from documents.validate import is_empty
from documents.validators import format_date

MARGIN = 20 * mm
TITLE_SIZE, HEADING_SIZE, TEXT_SIZE = 16, 12, 10
LEADING = 1.25


class _Page:
    """A cursor down A4 pages: `line` draws one line, starting a new page when this one is full."""

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas
        self.width = A4[0] - 2 * MARGIN
        self.y = A4[1] - MARGIN
        self.number = 1

    def space(self, height: float) -> None:
        self.y -= height

    def keep(self, height: float) -> None:
        """Start a new page unless `height` fits: a label stays with its answer's first line."""
        if self.y - height < MARGIN:
            self._new_page()

    def line(self, text: str, font: str, size: float) -> None:
        height = size * LEADING
        if self.y - height < MARGIN:
            self._new_page()
        self.y -= height
        self.canvas.setFont(font, size)
        self.canvas.drawString(MARGIN, self.y, text)

    def lines(self, text: str, font: str, size: float) -> None:
        for piece in _wrapped(text, font, size, self.width):
            self.line(piece, font, size)

    def _new_page(self) -> None:
        self._footer()
        self.canvas.showPage()
        self.number += 1
        self.y = A4[1] - MARGIN

    def finish(self) -> None:
        self._footer()
        self.canvas.save()

    def _footer(self) -> None:
        regular, _ = text_fonts()
        self.canvas.setFont(regular, 8)
        self.canvas.drawRightString(A4[0] - MARGIN, MARGIN / 2, f"Page {self.number}")


def render_receipt(
    form: FormDefinition, answers: Mapping[str, Any], *, reference: str, received: datetime
) -> bytes:
    regular, bold = text_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setTitle(f"Receipt {reference}")
    page = _Page(canvas)
    page.lines(f"Receipt: {form.title}", bold, TITLE_SIZE)
    page.lines(f"Reference {reference}, received {received:%d/%m/%Y %H:%M}", regular, TEXT_SIZE)
    for s in form.steps:
        page.space(HEADING_SIZE)
        page.keep((HEADING_SIZE + 2 * TEXT_SIZE) * LEADING)
        page.lines(f"Step {s.number} of {len(form.steps)}: {s.title}", bold, HEADING_SIZE)
        answered = [f for f in s.fields if not is_empty(answers.get(f.name))]
        if not answered:
            page.lines("No answers in this step.", regular, TEXT_SIZE)
        for f in answered:
            page.space(TEXT_SIZE / 2)
            page.keep(2 * TEXT_SIZE * LEADING)
            page.lines(f.label, bold, TEXT_SIZE)
            page.lines(_shown(f.type, answers[f.name]), regular, TEXT_SIZE)
    page.finish()
    return buffer.getvalue()


def _wrapped(text: str, font: str, size: float, width: float) -> Iterator[str]:
    """Lines no wider than `width`, keeping the writer's line breaks; a word too long for a
    line (a web address, say) is broken between characters rather than run off the page."""
    for paragraph in text.split("\n"):
        if not paragraph.strip():
            yield ""
            continue
        for line in simpleSplit(paragraph, font, size, width):
            yield from _broken(line, font, size, width)


def _broken(line: str, font: str, size: float, width: float) -> Iterator[str]:
    while stringWidth(line, font, size) > width:
        fits, too_long = 1, len(line)  # the longest prefix that fits, by halving
        while too_long - fits > 1:
            middle = (fits + too_long) // 2
            if stringWidth(line[:middle], font, size) <= width:
                fits = middle
            else:
                too_long = middle
        yield line[:fits]
        line = line[fits:]
    yield line


def _shown(kind: FieldType, value: Any) -> str:
    if kind is FieldType.CHECKBOX:
        return "Yes"
    if kind is FieldType.MULTI_CHOICE:
        return ", ".join(value)
    if kind is FieldType.DATE and isinstance(value, str):
        try:
            return format_date(value)
        except ValueError:
            return value
    return str(value).replace("\r\n", "\n")
