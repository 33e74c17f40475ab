"""A receipt PDF: the answers of a submitted form, step by step, as the service recorded them.

Driven by the same form definition as the fillable PDF, so a new field appears here by itself.
Unanswered optional fields are left out to keep the receipt short.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from .fonts import text_fonts
from .schema import FieldType, FormDefinition
from .validate import is_empty
from .validators import format_date


def render_receipt(
    form: FormDefinition, answers: Mapping[str, Any], *, reference: str, received: datetime
) -> bytes:
    styles = getSampleStyleSheet()
    regular, bold = text_fonts()
    for name in ("BodyText", "Title", "Heading2"):
        styles[name].fontName = bold if name != "BodyText" else regular
    body = styles["BodyText"]
    story: list[Any] = [
        Paragraph(escape(f"Receipt: {form.title}"), styles["Title"]),
        Paragraph(escape(f"Reference {reference}, received {received:%d/%m/%Y %H:%M}"), body),
        Spacer(1, 4 * mm),
    ]
    label_style = ParagraphStyle("label", parent=body, fontName=bold, spaceBefore=6)
    for s in form.steps:
        story.append(
            Paragraph(
                escape(f"Step {s.number} of {len(form.steps)}: {s.title}"), styles["Heading2"]
            )
        )
        answered = [f for f in s.fields if not is_empty(answers.get(f.name))]
        if not answered:
            story.append(Paragraph("No answers in this step.", body))
        # Label and answer as paragraphs, not table cells: a 4,000-character answer must be
        # free to run over a page break.
        for f in answered:
            story.append(Paragraph(escape(f.label), label_style))
            story.append(Paragraph(_shown(f.type, answers[f.name]), body))
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, title=f"Receipt {reference}").build(story)
    return buffer.getvalue()


def _shown(kind: FieldType, value: Any) -> str:
    if kind is FieldType.CHECKBOX:
        return "Yes"
    if kind is FieldType.MULTI_CHOICE:
        return escape(", ".join(value))
    if kind is FieldType.DATE and isinstance(value, str):
        try:
            return format_date(value)
        except ValueError:
            return escape(value)
    # Keep the professional's line breaks; reportlab paragraphs take <br/>.
    return escape(str(value)).replace("\n", "<br/>")
