"""Draw one field of a form: its label, hint and (required)/(optional) marker, then its widget.

Every widget gets its limits and flags set explicitly, because reportlab's defaults (MaxLen 100,
checkboxes and radios marked required) would otherwise leak into the form.
"""

from __future__ import annotations

from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth

from documents.pdf.page import (
    BODY_SIZE,
    BOLD,
    BOX_BORDER,
    BOX_BORDER_WIDTH,
    BOX_FILL,
    CHECKBOX_SIZE,
    CONTENT_WIDTH,
    FIELD_FONT,
    FIELD_FONT_SIZE,
    FIELD_GAP,
    GREY,
    HINT_SIZE,
    INK,
    LABEL_SIZE,
    LINE_GAP,
    MARGIN,
    REGULAR,
    TEXT_BOX_HEIGHT,
    PageFlow,
)
from documents.schema import Field, FieldType, Group

COLUMN_GAP = 15
HALF_WIDTH = (CONTENT_WIDTH - COLUMN_GAP) / 2
RIGHT_COLUMN_X = MARGIN + HALF_WIDTH + COLUMN_GAP
# Text this short (a name, a job title) is usually far shorter still: half a line will do.
SHARED_LINE_TEXT_LIMIT = 100


def overflow_hint(group: Group) -> str:
    """What the overflow box is for, naming the details each extra row should give."""
    # Labels are often questions ("What kind of document is it?"): keep their words, not the "?".
    details = ", ".join(f.label[0].lower() + f.label[1:].rstrip("?") for f in group.fields)
    return (
        f"More than {group.rows}? Write one per line here, giving {details}, "
        "separated by semicolons."
    )


def field_tooltip(field: Field, hint: str) -> str:
    """What a screen reader speaks for the widget: the question, whether it is needed, the hint."""
    marker = "required" if field.required else "optional"
    text = f"{field.label} ({marker})"
    return f"{text}. {hint}" if hint else text


def field_hint(field: Field, group: Group | None) -> str:
    """The grey text under a label: the field's hint, or what a group's overflow box is for."""
    if group is not None and field.row is None:
        return overflow_hint(group)
    return field.help


def draw_field(flow: PageFlow, field: Field, group: Group | None) -> None:
    """A field across the whole width of the page."""
    hint = field_hint(field, group)
    if field.type is FieldType.CHECKBOX:
        _draw_checkbox_field(flow, field, hint)
    elif field.type is FieldType.MULTI_CHOICE:
        _draw_multi_choice_field(flow, field, hint)
    else:
        flow.need(_box_block_height(field, hint, CONTENT_WIDTH))
        _place_box_field(flow, field, hint, MARGIN, CONTENT_WIDTH)
    flow.space(FIELD_GAP)


def fits_half_width(field: Field) -> bool:
    """Whether a field is short enough to share its line with another (a date, a postcode)."""
    if field.type in (FieldType.CHECKBOX, FieldType.MULTI_CHOICE, FieldType.LONG_TEXT):
        return False
    if field.type is FieldType.TEXT and field.limit <= SHARED_LINE_TEXT_LIMIT:
        return True
    return _box_size(field, CONTENT_WIDTH)[0] <= HALF_WIDTH


def draw_field_pair(flow: PageFlow, left: Field, right: Field, group: Group | None) -> None:
    """Two short fields side by side, each with its label above its box."""
    hints = field_hint(left, group), field_hint(right, group)
    flow.need(
        max(_box_block_height(f, h, HALF_WIDTH) for f, h in zip((left, right), hints, strict=True))
    )
    top = flow.y
    # Labels from the same top line, then both boxes on one line below the taller label.
    bottoms = []
    for field, hint, x in zip((left, right), hints, (MARGIN, RIGHT_COLUMN_X), strict=True):
        flow.y = top
        _draw_label_and_hint(flow, field, hint, x, HALF_WIDTH)
        bottoms.append(flow.y)
    for field, hint, x in zip((left, right), hints, (MARGIN, RIGHT_COLUMN_X), strict=True):
        flow.y = min(bottoms)
        _draw_box(flow, field, hint, x, HALF_WIDTH)
    flow.space(FIELD_GAP)


def _label_lines(field: Field, width: float) -> tuple[list[str], bool]:
    """The label's lines, and whether the (required)/(optional) marker fits after the last."""
    lines = simpleSplit(field.label, BOLD, LABEL_SIZE, width)
    marker_width = stringWidth(" " + _marker(field), REGULAR, LABEL_SIZE)
    fits = stringWidth(lines[-1], BOLD, LABEL_SIZE) + marker_width <= width
    return lines, fits


def _marker(field: Field) -> str:
    return "(required)" if field.required else "(optional)"


def _text_block_height(field: Field, hint: str, width: float) -> float:
    lines, fits = _label_lines(field, width)
    label_lines = len(lines) + (0 if fits else 1)
    hint_lines = len(simpleSplit(hint, REGULAR, HINT_SIZE, width)) if hint else 0
    return label_lines * LABEL_SIZE * LINE_GAP + hint_lines * HINT_SIZE * LINE_GAP


def _draw_label_and_hint(flow: PageFlow, field: Field, hint: str, x: float, width: float) -> None:
    canvas = flow.canvas
    lines, fits = _label_lines(field, width)
    canvas.setFillColor(INK)
    for i, line in enumerate(lines):
        flow.y -= LABEL_SIZE * LINE_GAP
        baseline = flow.y + LABEL_SIZE * 0.25
        canvas.setFont(BOLD, LABEL_SIZE)
        canvas.drawString(x, baseline, line)
        if i == len(lines) - 1 and fits:
            canvas.setFont(REGULAR, LABEL_SIZE)
            canvas.drawString(
                x + stringWidth(line + " ", BOLD, LABEL_SIZE), baseline, _marker(field)
            )
    if not fits:
        flow.y -= LABEL_SIZE * LINE_GAP
        canvas.setFont(REGULAR, LABEL_SIZE)
        canvas.drawString(x, flow.y + LABEL_SIZE * 0.25, _marker(field))
    if hint:
        canvas.setFillColor(GREY)
        canvas.setFont(REGULAR, HINT_SIZE)
        for line in simpleSplit(hint, REGULAR, HINT_SIZE, width):
            flow.y -= HINT_SIZE * LINE_GAP
            canvas.drawString(x, flow.y + HINT_SIZE * 0.25, line)


def _box_size(field: Field, column: float) -> tuple[float, float]:
    if field.type is FieldType.LONG_TEXT:
        # A box that grows with what it may hold, within sensible bounds.
        return column, max(48.0, min(120.0, field.limit * 0.25))
    if field.type is FieldType.CHOICE:
        widest = max(stringWidth(c, FIELD_FONT, FIELD_FONT_SIZE) for c in field.choices)
        return max(200.0, min(column, widest + 40)), TEXT_BOX_HEIGHT
    # Short codes get a box their size; free text the whole width.
    return max(140.0, min(column, field.limit * 7.0 + 16)), TEXT_BOX_HEIGHT


def _box_block_height(field: Field, hint: str, column: float) -> float:
    return _text_block_height(field, hint, column) + 4 + _box_size(field, column)[1]


def _place_box_field(flow: PageFlow, field: Field, hint: str, x: float, column: float) -> None:
    """Label, hint and box from the cursor down, at `x`; the caller has made room."""
    _draw_label_and_hint(flow, field, hint, x, column)
    _draw_box(flow, field, hint, x, column)


def _draw_box(flow: PageFlow, field: Field, hint: str, x: float, column: float) -> None:
    width, height = _box_size(field, column)
    flow.y -= 4 + height
    common = dict(
        name=field.pdf_name,
        tooltip=field_tooltip(field, hint),
        x=x,
        y=flow.y,
        width=width,
        height=height,
        borderColor=BOX_BORDER,
        fillColor=BOX_FILL,
        textColor=INK,
        borderWidth=BOX_BORDER_WIDTH,
        fontName=FIELD_FONT,
        fontSize=FIELD_FONT_SIZE,
        annotationFlags="print",
    )
    form = flow.canvas.acroForm
    if field.type is FieldType.CHOICE:
        # A list, because reportlab fails on a combo whose value is a bare empty string.
        form.choice(value=[""], options=["", *field.choices], fieldFlags="combo", **common)
    else:
        flags = "multiline" if field.type is FieldType.LONG_TEXT else ""
        form.textfield(value="", fieldFlags=flags, maxlen=field.limit, **common)


def _draw_checkbox(flow: PageFlow, name: str, tooltip: str, x: float, top: float) -> None:
    flow.canvas.acroForm.checkbox(
        name=name,
        tooltip=tooltip,
        x=x,
        y=top - CHECKBOX_SIZE,
        size=CHECKBOX_SIZE,
        buttonStyle="check",
        borderColor=BOX_BORDER,
        fillColor=BOX_FILL,
        textColor=INK,
        borderWidth=BOX_BORDER_WIDTH,
        fieldFlags="",
        annotationFlags="print",
    )


def _draw_checkbox_field(flow: PageFlow, field: Field, hint: str) -> None:
    """A statement to tick: the box on the left, the label beside it."""
    indent = CHECKBOX_SIZE + 8
    text_width = CONTENT_WIDTH - indent
    flow.need(max(CHECKBOX_SIZE, _text_block_height(field, hint, text_width)))
    top = flow.y - 1
    _draw_label_and_hint(flow, field, hint, MARGIN + indent, text_width)
    _draw_checkbox(flow, field.pdf_name, field_tooltip(field, hint), MARGIN, top)
    flow.y = min(flow.y, top - CHECKBOX_SIZE)


def _draw_multi_choice_field(flow: PageFlow, field: Field, hint: str) -> None:
    """One labelled checkbox per option, in two columns when the options are short."""
    if not hint and "all that apply" not in field.label:
        hint = "Tick all that apply."
    widest = max(stringWidth(c, REGULAR, BODY_SIZE) for c in field.choices)
    columns = 2 if widest + CHECKBOX_SIZE + 16 <= CONTENT_WIDTH / 2 else 1
    column_width = CONTENT_WIDTH / columns
    label_width = column_width - CHECKBOX_SIZE - 12
    labels = [simpleSplit(c, REGULAR, BODY_SIZE, label_width) for c in field.choices]
    row_heights = [
        max(CHECKBOX_SIZE, max(len(lines) for lines in labels[i : i + columns]) * BODY_SIZE * 1.2)
        + 5
        for i in range(0, len(labels), columns)
    ]
    flow.need(_text_block_height(field, hint, CONTENT_WIDTH) + 6 + sum(row_heights))
    _draw_label_and_hint(flow, field, hint, MARGIN, CONTENT_WIDTH)
    flow.y -= 6
    canvas = flow.canvas
    for i, lines in enumerate(labels):
        row, column = divmod(i, columns)
        x = MARGIN + column * column_width
        box_top = flow.y - sum(row_heights[:row])
        choice = field.choices[i]
        _draw_checkbox(flow, field.option_pdf_name(i), f"{field.label}: {choice}", x, box_top)
        canvas.setFillColor(INK)
        canvas.setFont(REGULAR, BODY_SIZE)
        for n, line in enumerate(lines):
            canvas.drawString(x + CHECKBOX_SIZE + 6, box_top - 10 - n * BODY_SIZE * 1.2, line)
    flow.y -= sum(row_heights)
