"""Fonts: DejaVu Sans where the machine has it, because it draws ł, ŵ and the rest of the Latin
Extended letters that Welsh and Polish names need; Helvetica otherwise. Printed text (receipts,
the problems page) registers the whole font with reportlab; form fields use a subset embedded
once per form.

The field font is DejaVu Sans cut down to the Latin letters, accents and punctuation that names
and addresses need (Welsh ŵ ŷ ẁ, Polish ł, Romanian ș, Vietnamese ễ).

It is embedded once in the blank form as a Type0 font (ISO 32000-1, 9.7) named in the AcroForm's
/DR and in each field's /DA, so that our own appearance streams, and a writer that redraws a field
from its /DA with the /DR font (pypdf does), have every letter. PDFium looks for Latin Extended
letters in a system font chosen by Windows code page instead, so `fill` also turns
/NeedAppearances off when our appearances show every value. Where the machine has no DejaVu,
fields keep Helvetica, which draws only what PDFDocEncoding holds.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.acroform import PDFFromString
from reportlab.pdfbase.pdfdoc import PDFDictionary, PDFStream
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont, TTFontFile
from reportlab.pdfgen.canvas import Canvas

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


# The /DR name fields refer to the font by; four letters, like reportlab's own (/Helv, /ZaDb).
UNICODE_FONT_NAME = "DeVu"
# Characters the embedded subset can draw: about 900 glyphs, 55 kB compressed, where the whole
# font would be 380 kB. Other scripts (Greek, Cyrillic, CJK) keep the blank appearance and are
# drawn by the viewer, as /NeedAppearances asks.
COVERED_RANGES = (
    (0x20, 0x7E),  # ASCII
    (0xA0, 0x24F),  # Latin-1 Supplement, Latin Extended-A and -B
    (0x300, 0x36F),  # combining accents, which some systems type decomposed
    (0x1E00, 0x1EFF),  # Latin Extended Additional: Welsh ẁ ẃ ẅ ỳ, Vietnamese
    (0x2010, 0x2027),  # dashes, quotation marks, bullet, ellipsis
    (0x2030, 0x203A),
    (0x20AC, 0x20AC),  # €
    (0x2122, 0x2122),  # ™
)
# A subset's name starts with six capital letters of the producer's choosing (9.6.4).
_SUBSET_TAG = "EHCPFF"


@dataclass(frozen=True)
class UnicodeFieldFont:
    """The DejaVu subset: its program, and each character's glyph number and width."""

    program: bytes  # a TrueType font whose glyph numbers are the CIDs (/CIDToGIDMap /Identity)
    cids: Mapping[str, int]
    widths: tuple[int, ...]  # by CID, in thousandths of the font size
    descriptor: str  # the /FontDescriptor entries other than /FontName and /FontFile2
    resource_name: str = UNICODE_FONT_NAME
    _codes: Mapping[str, bytes] = field(init=False, repr=False, compare=False)
    _advances: Mapping[str, float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Per character, ready to join: a personalised form shows thousands of characters.
        codes = {c: b"%04x" % cid for c, cid in self.cids.items()}
        advances = {c: self.widths[cid] / 1000 for c, cid in self.cids.items()}
        object.__setattr__(self, "_codes", codes)
        object.__setattr__(self, "_advances", advances)

    def show(self, text: str) -> bytes | None:
        """`text` as a string operand for Tj (two bytes a glyph), or None when a character is
        not in the subset."""
        try:
            return b"<" + b"".join([self._codes[c] for c in text]) + b">"
        except KeyError:
            return None

    def width(self, text: str, size: float) -> float:
        advances = self._advances
        return sum([advances.get(c, 0.0) for c in text]) * size


@dataclass(frozen=True)
class StandardFieldFont:
    """One of the standard 14 fonts, as reportlab names them in an AcroForm (/Helv)."""

    resource_name: str
    base_font: str

    def show(self, text: str) -> bytes | None:
        try:
            raw = text.encode("extpdfdoc")
        except UnicodeEncodeError:
            return None
        return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"

    def width(self, text: str, size: float) -> float:
        # Character by character from a table: without reportlab's C accelerator, measuring
        # word by word would take most of the time of a personalised render.
        widths = _STANDARD_WIDTHS.setdefault(self.base_font, {})
        total = 0.0
        for character in text:
            width = widths.get(character)
            if width is None:
                width = widths[character] = stringWidth(character, self.base_font, 1.0)
            total += width
        return total * size


FieldFont = UnicodeFieldFont | StandardFieldFont

_STANDARD_WIDTHS: dict[str, dict[str, float]] = {}
# reportlab's short AcroForm font names back to the standard fonts they stand for.
_STANDARD_FONTS = {
    "Helv": "Helvetica",
    "HeBo": "Helvetica-Bold",
    "Cour": "Courier",
    "Time": "Times-Roman",
}


def field_font(resource_name: str) -> FieldFont:
    """The font a field's /DA names; Helvetica for a name we did not write."""
    unicode_font = unicode_field_font()
    if unicode_font is not None and resource_name == unicode_font.resource_name:
        return unicode_font
    base_font = _STANDARD_FONTS.get(resource_name, "Helvetica")
    return StandardFieldFont(resource_name, base_font)


@cache
def unicode_field_font() -> UnicodeFieldFont | None:
    """The DejaVu subset, made once per process; None without DejaVu on the machine."""
    if not DEJAVU_SANS.exists():
        return None
    face = TTFontFile(str(DEJAVU_SANS))
    covered = [
        code
        for first, last in COVERED_RANGES
        for code in range(first, last + 1)
        if code in face.charToGlyph
    ]
    program = face.makeSubset(covered)
    # The subset numbers glyphs as makeSubset does: 0 is .notdef, then each new glyph in the
    # order of `covered`, then the parts of composite glyphs, which no character maps to.
    glyph_of: dict[int, int] = {0: 0}
    originals = [0]
    cids: dict[str, int] = {}
    for code in covered:
        original = face.charToGlyph[code]
        if original not in glyph_of:
            glyph_of[original] = len(originals)
            originals.append(original)
        cids[chr(code)] = glyph_of[original]
    scale = 1000 / face.unitsPerEm
    widths = tuple(round(face.hmetrics[original][0] * scale) for original in originals)
    left, bottom, right, top = (round(v) for v in face.bbox)
    descriptor = (
        f"/Flags 4 /FontBBox [{left} {bottom} {right} {top}] /ItalicAngle {face.italicAngle:g}"
        f" /Ascent {round(face.ascent)} /Descent {round(face.descent)}"
        f" /CapHeight {round(face.capHeight)} /StemV {round(face.stemV)}"
    )
    return UnicodeFieldFont(program, cids, widths, descriptor)


def wrap(text: str, font: FieldFont, size: float, width: float, max_lines: int) -> list[str]:
    """Up to `max_lines` lines of `text` no wider than `width`, breaking at spaces, or inside
    words too long for a line. Widths add up because the text is not kerned."""
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


def embed_field_font(canvas: Canvas, font: UnicodeFieldFont) -> str:
    """Write `font` into the canvas's document as a Type0 font; its reference, as "n 0 R"."""

    def reference(obj: PDFFromString | PDFStream) -> str:
        return canvas.acroForm.getRefStr(obj)

    name = f"{_SUBSET_TAG}+DejaVuSans"
    program = reference(_compressed({"Length1": len(font.program)}, font.program))
    descriptor = reference(
        PDFFromString(
            f"<< /Type /FontDescriptor /FontName /{name} {font.descriptor} /FontFile2 {program} >>"
        )
    )
    widths = " ".join(str(w) for w in font.widths)
    cid_font = reference(
        PDFFromString(
            f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{name}"
            " /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >>"
            f" /FontDescriptor {descriptor} /DW {font.widths[0]} /W [0 [{widths}]]"
            " /CIDToGIDMap /Identity >>"
        )
    )
    to_unicode = reference(_compressed({}, _to_unicode_cmap(font.cids)))
    return reference(
        PDFFromString(
            f"<< /Type /Font /Subtype /Type0 /BaseFont /{name} /Encoding /Identity-H"
            f" /DescendantFonts [{cid_font}] /ToUnicode {to_unicode} >>"
        )
    )


class _Deflate:
    pdfname = "FlateDecode"

    @staticmethod
    def encode(data: bytes) -> bytes:
        return zlib.compress(data, 9)


def _compressed(entries: dict[str, int], data: bytes) -> PDFStream:
    return PDFStream(PDFDictionary(entries), data, filters=[_Deflate])


def _to_unicode_cmap(cids: Mapping[str, int]) -> bytes:
    """A ToUnicode CMap (9.10.3) from each glyph to the character it draws, so that text
    extraction, search and a viewer's own redrawing know what the glyphs mean."""
    # Where characters share a glyph (space and no-break space), the first, plainer one wins.
    meaning: dict[int, str] = {}
    for character, cid in cids.items():
        meaning.setdefault(cid, character)
    pairs = sorted(meaning.items())
    lines = [
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def /CMapType 2 def",
        "1 begincodespacerange <0000> <FFFF> endcodespacerange",
    ]
    for start in range(0, len(pairs), 100):  # at most 100 entries a block
        block = pairs[start : start + 100]
        lines.append(f"{len(block)} beginbfchar")
        lines.extend(f"<{cid:04X}> <{ord(c):04X}>" for cid, c in block)
        lines.append("endbfchar")
    lines.append("endcmap CMapName currentdict /CMap defineresource pop end end")
    return "\n".join(lines).encode("ascii")
