"""The page a form is drawn on: its measures and styles, and a cursor that breaks pages.

Shared by `render_layout` (the cover and the steps) and `render_widgets` (each field).
"""

from __future__ import annotations

from reportlab.lib.colors import Color
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from documents.schema import FormDefinition

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 50
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
TOP = PAGE_HEIGHT - MARGIN
BOTTOM = 64  # room for the footer

REGULAR, BOLD = "Helvetica", "Helvetica-Bold"
INK = Color(0.1, 0.1, 0.1)
GREY = Color(0.38, 0.38, 0.38)
BOX_BORDER = Color(0.45, 0.45, 0.5)
BOX_FILL = Color(0.94, 0.96, 1.0)
BOX_BORDER_WIDTH = 1
FIELD_FONT = "Helvetica"
FIELD_FONT_SIZE = 10

LABEL_SIZE, HINT_SIZE, BODY_SIZE = 10, 8.5, 10
LINE_GAP = 1.25  # leading as a multiple of the font size
TEXT_BOX_HEIGHT = 20
CHECKBOX_SIZE = 13
FIELD_GAP = 14  # between one field's box and the next field's label


class PageFlow:
    """A cursor running down the page that starts a new page when the next block will not fit."""

    def __init__(self, canvas: Canvas, form: FormDefinition):
        self.canvas = canvas
        self.form = form
        self.page = 1
        self.y = TOP
        self.page_has_content = False

    def need(self, height: float) -> None:
        if self.page_has_content and self.y - height < BOTTOM:
            self.new_page()
        self.page_has_content = True

    def new_page(self) -> None:
        self._draw_footer()
        self.canvas.showPage()
        self.page += 1
        self.y = TOP
        self.page_has_content = False

    def finish(self) -> None:
        self._draw_footer()
        self.canvas.showPage()
        self.canvas.save()

    def paragraph(self, text: str, font: str, size: float, *, colour=INK, indent=0.0) -> None:
        """Wrapped text, kept together on one page."""
        lines = simpleSplit(text, font, size, CONTENT_WIDTH - indent)
        self.need(len(lines) * size * LINE_GAP)
        self.canvas.setFillColor(colour)
        self.canvas.setFont(font, size)
        for line in lines:
            self.y -= size * LINE_GAP
            self.canvas.drawString(MARGIN + indent, self.y + size * 0.25, line)

    def space(self, height: float) -> None:
        self.y -= height

    def _draw_footer(self) -> None:
        canvas = self.canvas
        canvas.setStrokeColor(GREY)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN, BOTTOM - 24, PAGE_WIDTH - MARGIN, BOTTOM - 24)
        canvas.setFillColor(GREY)
        canvas.setFont(REGULAR, 8)
        baseline = BOTTOM - 36
        canvas.drawString(MARGIN, baseline, self.form.title)
        canvas.drawCentredString(PAGE_WIDTH / 2, baseline, f"Page {self.page}")
        canvas.drawRightString(PAGE_WIDTH - MARGIN, baseline, self.form.form_id)
