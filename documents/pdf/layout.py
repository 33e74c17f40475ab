"""Draw the blank fillable PDF of a form with reportlab: a cover page, then each step.

The blank form carries no answers and no token; `render_fill` personalises a copy of it. The
fields themselves are drawn by `render_widgets`.
"""

from __future__ import annotations

from io import BytesIO

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.acroform import PDFFromString
from reportlab.pdfbase.pdfdoc import PDFString
from reportlab.pdfgen.canvas import Canvas

from documents.pdf.fonts import embed_field_font, unicode_field_font
from documents.pdf.page import (
    BODY_SIZE,
    BOLD,
    FIELD_FONT,
    FIELD_FONT_SIZE,
    FIELD_GAP,
    GREY,
    LINE_GAP,
    REGULAR,
    PageFlow,
)
from documents.pdf.widgets import draw_field, draw_field_pair, fits_half_width
from documents.schema import (
    FORM_ID_FIELD,
    TOKEN_FIELD,
    Field,
    FormDefinition,
    Group,
    Step,
)

# Hidden fields hold machine values: a 36-character token today, room for a longer one later.
HIDDEN_MAX_LENGTH = 64

RETURN_INSTRUCTIONS = (
    "How to return this form: fill it in, save it, and reply to our email with it attached."
)


def draw_blank_form(form: FormDefinition) -> bytes:
    """The blank fillable PDF for `form`: hidden id and empty token fields, no answers."""
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1, invariant=1)
    canvas.setTitle(form.title)
    canvas.setSubject(form.form_id)
    canvas.setCreator("ehcp-intake")
    # Values we add later may be beyond what the appearance streams can draw: ask viewers to
    # draw field contents themselves.
    canvas.acroForm.extras["NeedAppearances"] = PDFFromString("true")
    flow = PageFlow(canvas, form)
    _draw_hidden_fields(canvas, form)
    _draw_cover(flow, form)
    for step in form.steps:
        flow.new_page()
        _draw_step(flow, form, step)
    _write_form_resources(canvas)
    flow.finish()
    return buffer.getvalue()


def _write_form_resources(canvas: Canvas) -> None:
    """The AcroForm's default resources, written by us: reportlab repeats the /Font key when
    there is more than one font, and leaves out ZapfDingbats, which viewers that redraw a
    checkbox's tick look for. The Unicode field font goes in beside reportlab's Helvetica."""
    acro_form = canvas.acroForm
    fonts = dict(acro_form.fonts)
    fonts["ZaDb"] = acro_form.getRefStr(
        PDFFromString("<< /Type /Font /Subtype /Type1 /BaseFont /ZapfDingbats /Name /ZaDb >>")
    )
    field_font = unicode_field_font()
    if field_font is not None:
        fonts[field_font.resource_name] = embed_field_font(canvas, field_font)
        _name_font_in_fields(canvas, field_font.resource_name)
    font_entries = " ".join(f"/{name} {ref}" for name, ref in sorted(fonts.items()))
    acro_form.extras["DR"] = PDFFromString(
        f"<< /Encoding << /RLAFencoding {acro_form.encRefStr} >> /Font << {font_entries} >> >>"
    )


def _name_font_in_fields(canvas: Canvas, resource_name: str) -> None:
    """Point each text and choice field's /DA at `resource_name`: reportlab's acroform only
    writes the standard 14 fonts there."""
    objects = canvas._doc.idToObject  # no public way to reach a field reportlab has made
    font = f"/{canvas.acroForm.formFontNames[FIELD_FONT]} "
    for reference in canvas.acroForm.fields:
        widget = objects[reference.name]
        if "DA" in widget and widget["FT"] in ("/Tx", "/Ch"):
            appearance = widget["DA"].s
            if appearance.startswith(font):
                widget["DA"] = PDFString(f"/{resource_name} " + appearance[len(font) :])


def _draw_hidden_fields(canvas: Canvas, form: FormDefinition) -> None:
    for name, value, tooltip in (
        (FORM_ID_FIELD, form.form_id, "Form identifier, filled in by the service"),
        (TOKEN_FIELD, "", "Form token, filled in by the service"),
    ):
        canvas.acroForm.textfield(
            name=name,
            value=value,
            tooltip=tooltip,
            x=1,
            y=1,
            width=1,
            height=1,
            borderWidth=0,
            annotationFlags="hidden",
            fieldFlags="readOnly",
            maxlen=HIDDEN_MAX_LENGTH,
            fontName=FIELD_FONT,
            fontSize=FIELD_FONT_SIZE,
        )


def _draw_cover(flow: PageFlow, form: FormDefinition) -> None:
    flow.paragraph(form.title, BOLD, 20)
    flow.space(10)
    flow.paragraph(form.intro, REGULAR, 11)
    flow.space(18)
    flow.paragraph(RETURN_INSTRUCTIONS, BOLD, 12)
    for number, instruction in enumerate(
        (
            "Fill it in on your computer: any PDF viewer will do (Adobe Acrobat Reader, "
            "Chrome, Edge, Firefox or Preview).",
            "Save it.",
            "Reply to our email with the saved form attached, with any documents it asks for.",
        ),
        start=1,
    ):
        flow.space(3)
        flow.paragraph(f"{number}.  {instruction}", REGULAR, 11, indent=10)
    flow.space(18)
    steps = len(form.steps)
    flow.paragraph(f"This form has {steps} step{'s' if steps != 1 else ''}", BOLD, 13)
    flow.space(4)
    for s in form.steps:
        flow.paragraph(f"Step {s.number}: {s.title}", REGULAR, 11, indent=10)
    flow.space(18)
    flow.paragraph(
        "Questions marked (required) must be answered. If a question does not apply, say so "
        "in the box. Each box shows how much it can hold.",
        REGULAR,
        10,
        colour=GREY,
    )


def _draw_step(flow: PageFlow, form: FormDefinition, step: Step) -> None:
    flow.paragraph(f"Step {step.number} of {len(form.steps)}: {step.title}", BOLD, 16)
    if step.intro:
        flow.space(4)
        flow.paragraph(step.intro, REGULAR, BODY_SIZE)
    flow.space(FIELD_GAP)
    groups = {group.name: group for group in step.groups}
    fields = step.fields
    index = 0
    while index < len(fields):
        field = fields[index]
        group = groups.get(field.group) if field.group else None
        if group is not None and _starts_row(fields, index):
            if field.row is None:
                _draw_overflow_heading(flow, group)
            else:
                _draw_row_heading(flow, group, field.row)
        following = fields[index + 1] if index + 1 < len(fields) else None
        if following is not None and _pairs_with(field, following):
            draw_field_pair(flow, field, following, group)
            index += 2
        else:
            draw_field(flow, field, group)
            index += 1


def _starts_row(fields: tuple[Field, ...], index: int) -> bool:
    here = fields[index]
    return index == 0 or (fields[index - 1].group, fields[index - 1].row) != (here.group, here.row)


def _pairs_with(field: Field, following: Field) -> bool:
    same_place = (field.group, field.row) == (following.group, following.row)
    return same_place and fits_half_width(field) and fits_half_width(following)


def _draw_row_heading(flow: PageFlow, group: Group, row: int) -> None:
    # Keep the heading with at least the first field of its row.
    flow.need(12 * LINE_GAP + 60)
    if row == 1:
        flow.paragraph(group.label, BOLD, 13)
        flow.space(4)
    flow.paragraph(f"{_row_noun(group)} {row}", BOLD, 11, colour=GREY)
    flow.space(6)


def _draw_overflow_heading(flow: PageFlow, group: Group) -> None:
    # The overflow box's own hint says what it is for; a gap sets it apart from the last row.
    flow.space(6)


def _row_noun(group: Group) -> str:
    """The noun before a row number: "Documents" gives "Document 1", longer labels stay whole."""
    words = group.label.split()
    if len(words) == 1 and words[0].lower().endswith("s") and not words[0].endswith("ss"):
        return words[0][:-1]
    return f"{group.label}, row"
