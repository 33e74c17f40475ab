"""Fonts for printed text: DejaVu Sans where the machine has it, because it draws ł, ŵ and the
rest of the Latin Extended letters that Welsh and Polish names need; Helvetica otherwise.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
DEJAVU_SANS = _DEJAVU / "DejaVuSans.ttf"


@cache
def text_fonts() -> tuple[str, str]:
    """(regular, bold) font names registered with reportlab."""
    regular, bold = DEJAVU_SANS, _DEJAVU / "DejaVuSans-Bold.ttf"
    if regular.exists() and bold.exists():
        pdfmetrics.registerFont(TTFont("DejaVuSans", str(regular)))
        pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(bold)))
        return "DejaVuSans", "DejaVuSans-Bold"
    return "Helvetica", "Helvetica-Bold"
