"""Mark the problems a reply lists on the form it sends back: pages before the form that list them
step by step, and a red frame around each field at fault, so that whoever opens the PDF sees what
to correct without the email beside it.

The marks go into the same incremental update as the answers and touch neither the fields nor the
token: new pages, a new version of the page tree, and one more content stream on each page with a
field at fault. The marked form reads back as the form it is.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from documents.pdf.fill import IncrementalUpdate
from documents.pdf.fonts import FieldFont, field_font, unicode_field_font, wrap
from documents.pdf.page import CONTENT_WIDTH, MARGIN, PAGE_HEIGHT
from documents.pdf.template import FormTemplate, PageTree, pdf_number
from documents.schema import FieldType, FormDefinition

TITLE = "What to correct in this form"
INTRO = (
    "We could not accept this form yet. The problems are listed below, step by step, and the "
    "boxes at fault are outlined in red on the pages that follow. Correct them, save the form "
    "and reply to our email with it attached."
)
WHOLE_FORM = "The form as a whole"
CONTINUED = "(continued)"

MARK_COLOUR = b"0.75 0.07 0.07"
FRAME_GAP = 2.5  # between a field's box and the frame around it
TITLE_SIZE, HEADING_SIZE, TEXT_SIZE = 16, 12.5, 10.5
LEADING = 1.3
BULLET_INDENT = 14
BOTTOM = 56


@dataclass(frozen=True)
class FormProblem:
    """One problem to mark: its step (None for the form as a whole), the field at fault (by the
    schema's name; None, or a name that is no field, marks no box) and the sentence for it."""

    step: int | None
    field: str | None
    sentence: str


def mark_problems(
    update: IncrementalUpdate, form: FormDefinition, problems: Sequence[FormProblem]
) -> None:
    """Add to `update` the pages listing `problems` before the form, and the frames in it."""
    template = update.template
    tree = template.page_tree
    if tree is None or not problems:
        return
    font = field_font(_font_name(template))
    listing = [
        update.add_object(None, _page(tree, template, content, update))
        for content in _listing_pages(form, problems, font)
    ]
    _frame_fields(update, template, _boxes_at_fault(template, form, problems))
    kids = [*listing, *(page.object_number for page in tree.pages)]
    update.add_object(
        tree.object_number,
        b"<< %s /Kids [%s] /Count %d >>"
        % (tree.entries, b" ".join(b"%d 0 R" % kid for kid in kids), len(kids)),
    )


def _font_name(template: FormTemplate) -> str:
    unicode_font = unicode_field_font()
    if unicode_font is not None and b"/%s " % unicode_font.resource_name.encode() in template.fonts:
        return unicode_font.resource_name
    return "Helv"


def _page(
    tree: PageTree, template: FormTemplate, content: bytes, update: IncrementalUpdate
) -> bytes:
    stream = update.add_object(None, _stream(content))
    return (
        b"<< /Type /Page /Parent %d 0 R /MediaBox %s /Resources << /Font %s"
        b" /ProcSet [/PDF /Text] >> /Contents %d 0 R >>"
        % (tree.object_number, tree.media_box, template.fonts, stream)
    )


def _stream(content: bytes) -> bytes:
    return b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content)


class _Listing:
    """Lines of text down as many pages as they need."""

    def __init__(self, font: FieldFont) -> None:
        self.font = font
        self.pages: list[list[bytes]] = [[]]
        self.y = PAGE_HEIGHT - MARGIN

    def paragraph(
        self, text: str, size: float, *, bold: bool = False, indent: float = 0.0, first: str = ""
    ) -> None:
        """`text` wrapped to the page; `first` (a bullet) hangs before its first line."""
        lines = wrap(text, self.font, size, CONTENT_WIDTH - indent, max_lines=10_000)
        for number, line in enumerate(lines):
            if self.y - size * LEADING < BOTTOM:
                self.pages.append([])
                self.y = PAGE_HEIGHT - MARGIN
            self.y -= size * LEADING
            if number == 0 and first:
                self._text(first, size, MARGIN + indent - BULLET_INDENT, bold)
            self._text(line, size, MARGIN + indent, bold)

    def space(self, height: float) -> None:
        self.y -= height

    def _text(self, text: str, size: float, x: float, bold: bool) -> None:
        # Bold by drawing the outline too: the one embedded font has no bold face.
        weight = b"2 Tr 0.35 w 0.1 G " if bold else b"0 Tr "
        self.pages[-1].append(
            b"BT /%s %s Tf 0.1 g %s1 0 0 1 %s %s Tm %s Tj ET"
            % (
                self.font.resource_name.encode("ascii"),
                pdf_number(size),
                weight,
                pdf_number(x),
                pdf_number(self.y),
                _shown(text, self.font),
            )
        )


def _shown(text: str, font: FieldFont) -> bytes:
    """`text` for Tj, with "?" for the few characters the font cannot draw (a quoted answer in
    Chinese, say): the sentence stays readable and the form's own field keeps the answer."""
    shown = font.show(text)
    if shown is None:
        shown = font.show("".join(c if font.show(c) is not None else "?" for c in text))
    return shown or b"()"


def _listing_pages(
    form: FormDefinition, problems: Sequence[FormProblem], font: FieldFont
) -> list[bytes]:
    listing = _Listing(font)
    listing.paragraph(TITLE, TITLE_SIZE, bold=True)
    listing.space(6)
    listing.paragraph(INTRO, TEXT_SIZE)
    for heading, sentences in _by_step(form, problems):
        listing.space(12)
        listing.paragraph(heading, HEADING_SIZE, bold=True)
        for sentence in sentences:
            listing.space(3)
            listing.paragraph(sentence, TEXT_SIZE, indent=BULLET_INDENT, first="•")
    return [b"\n".join(lines) for lines in listing.pages]


def _by_step(
    form: FormDefinition, problems: Sequence[FormProblem]
) -> Iterator[tuple[str, list[str]]]:
    """(heading, sentences) for each step with problems, in the form's order; problems of no
    known step last."""
    numbers = {s.number for s in form.steps}
    for s in form.steps:
        sentences = [p.sentence for p in problems if p.step == s.number]
        if sentences:
            yield f"Step {s.number}: {s.title}", sentences
    rest = [p.sentence for p in problems if p.step not in numbers]
    if rest:
        yield WHOLE_FORM, rest


def _boxes_at_fault(
    template: FormTemplate, form: FormDefinition, problems: Sequence[FormProblem]
) -> dict[int, list[tuple[float, float, float, float]]]:
    """Page object number to the rectangles of the widgets at fault on it."""
    boxes: dict[int, list[tuple[float, float, float, float]]] = {}
    for problem in problems:
        for pdf_name in _widget_names(form, problem.field):
            widget = template.fields.get(pdf_name)
            if widget is not None and widget.page_object:
                rects = boxes.setdefault(widget.page_object, [])
                if widget.rect not in rects:
                    rects.append(widget.rect)
    return boxes


def _widget_names(form: FormDefinition, name: str | None) -> list[str]:
    if name is None:
        return []
    try:
        field = form.field(name)
    except KeyError:
        return []  # a group's or a rule's name: no one box is at fault
    if field.type is FieldType.MULTI_CHOICE:
        return [field.option_pdf_name(i) for i in range(len(field.choices))]
    return [field.pdf_name]


def _frame_fields(
    update: IncrementalUpdate,
    template: FormTemplate,
    boxes: dict[int, list[tuple[float, float, float, float]]],
) -> None:
    """A red frame round each box at fault, drawn after the page's own content, which is wrapped
    in q ... Q so that nothing it leaves set (a transformation, a colour) moves or tints them."""
    if not boxes or template.page_tree is None:
        return
    save = update.add_object(None, _stream(b"q"))
    for page in template.page_tree.pages:
        rects = boxes.get(page.object_number)
        if not rects:
            continue
        drawing = [b"Q q %s RG 1.5 w" % MARK_COLOUR]
        for left, bottom, right, top in rects:
            drawing.append(
                b"%s %s %s %s re S"
                % (
                    pdf_number(left - FRAME_GAP),
                    pdf_number(bottom - FRAME_GAP),
                    pdf_number(right - left + 2 * FRAME_GAP),
                    pdf_number(top - bottom + 2 * FRAME_GAP),
                )
            )
        drawing.append(b"Q")
        frames = update.add_object(None, _stream(b"\n".join(drawing)))
        contents = b" ".join((b"%d 0 R" % save, *page.contents, b"%d 0 R" % frames))
        update.add_object(page.object_number, b"<< %s /Contents [%s] >>" % (page.entries, contents))
