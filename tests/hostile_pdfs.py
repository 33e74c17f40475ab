"""Builds, in code, the PDFs the reader's tests feed it: good forms and hostile files.

Good forms come from reportlab (as the service renders them); hostile ones are written object by
object with `RawPdf`, so that each holds exactly the defect it is named for.
"""

from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter
from reportlab.pdfgen import canvas

# The values `small_form` holds, as the reader must report them.
SMALL_FORM_FIELDS = {
    "child_name": "Ann\r\nLee",
    "consent": True,
    "not_ticked": False,
    "school_phase": "primary",
    "language": "Welsh",
    "needs": ["Speech", "Sensory"],
    "form_token": "token-123",
    "empty_text": "",
}


def small_form() -> bytes:
    """One field of each kind, a hidden one among them, rendered by reportlab."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    form = page.acroForm
    form.textfield(name="child_name", value="Ann\r\nLee", x=50, y=750)
    form.checkbox(name="consent", checked=True, x=50, y=700)
    form.checkbox(name="not_ticked", checked=False, x=100, y=700)
    form.radio(name="school_phase", value="primary", selected=True, x=50, y=650)
    form.radio(name="school_phase", value="secondary", selected=False, x=100, y=650)
    form.choice(name="language", value="Welsh", options=["English", "Welsh"], x=50, y=600)
    form.listbox(
        name="needs",
        value=["Speech", "Sensory"],
        options=["Speech", "Sensory", "Physical"],
        fieldFlags="multiSelect",
        x=50,
        y=500,
    )
    form.textfield(name="form_token", value="token-123", annotationFlags="hidden", x=50, y=450)
    form.textfield(name="empty_text", value="", x=50, y=400)
    page.showPage()
    page.save()
    return buffer.getvalue()


def large_form(field_count: int = 150) -> bytes:
    """A form the size of the service's longest (about 150 text fields over several pages)."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    per_page = 25
    for index in range(field_count):
        if index and index % per_page == 0:
            page.showPage()
        y = 800 - (index % per_page) * 30
        page.drawString(50, y + 5, f"Question {index + 1}")
        page.acroForm.textfield(
            name=f"field_{index:03d}", value=f"answer {index}", x=200, y=y, height=20
        )
    page.showPage()
    page.save()
    return buffer.getvalue()


def flattened() -> bytes:
    """A page of text and no AcroForm, as a printed or flattened form arrives."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(50, 750, "Child's name: Ann Lee")
    page.showPage()
    page.save()
    return buffer.getvalue()


def encrypted(user_password: str, algorithm: str = "AES-256") -> bytes:
    """`small_form` encrypted; an empty user password means an owner password only."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(small_form())))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm=algorithm)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def truncated() -> bytes:
    """The first 400 bytes of a form: the header survives, the objects do not."""
    return small_form()[:400]


NOT_PDFS = {
    "text": b"Dear SENCO,\r\nplease find the form attached.\r\n",
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64),
    "empty": b"",
}


class RawPdf:
    """A PDF written object by object, with a correct cross-reference table."""

    def __init__(self) -> None:
        self.objects: list[bytes] = []

    def add(self, body: bytes) -> int:
        self.objects.append(body)
        return len(self.objects)

    def reserve(self) -> int:
        return self.add(b"null")

    def put(self, number: int, body: bytes) -> None:
        self.objects[number - 1] = body

    def build(self, root: int) -> bytes:
        out = io.BytesIO()
        out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(self.objects, start=1):
            offsets.append(out.tell())
            out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
        xref_at = out.tell()
        out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(self.objects) + 1))
        for offset in offsets:
            out.write(b"%010d 00000 n \n" % offset)
        out.write(b"trailer\n<< /Size %d /Root %d 0 R >>\n" % (len(self.objects) + 1, root))
        out.write(b"startxref\n%d\n%%%%EOF\n" % xref_at)
        return out.getvalue()


def stream(data: bytes, entries: bytes = b"") -> bytes:
    return b"<< %s /Length %d >>\nstream\n%s\nendstream" % (entries, len(data), data)


def raw_form(
    fields: dict[str, bytes],
    *,
    acro_form_extra: bytes = b"",
    page_contents: bytes = b"BT /F1 12 Tf 72 720 Td (A form) Tj ET",
    build_extra=None,
) -> bytes:
    """A one-page form with a text field per entry; each entry is the field's /V, written as
    PDF syntax (so a test may put a reference or a hostile object there)."""
    pdf = RawPdf()
    catalog, pages, acro_form, page = (pdf.reserve() for _ in range(4))
    field_numbers = []
    for index, (name, value) in enumerate(fields.items()):
        y = 700 - 20 * (index % 30)
        field_numbers.append(
            pdf.add(
                b"<< /FT /Tx /T (%s) /V %s /Type /Annot /Subtype /Widget /Rect [100 %d 300 %d]"
                b" /P %d 0 R >>" % (name.encode(), value, y, y + 15, page)
            )
        )
    if build_extra:
        build_extra(pdf, field_numbers)
    refs = b" ".join(b"%d 0 R" % n for n in field_numbers)
    contents = pdf.add(stream(page_contents))
    pdf.put(catalog, b"<< /Type /Catalog /Pages %d 0 R /AcroForm %d 0 R >>" % (pages, acro_form))
    pdf.put(pages, b"<< /Type /Pages /Kids [%d 0 R] /Count 1 >>" % page)
    pdf.put(acro_form, b"<< /Fields [%s] %s >>" % (refs, acro_form_extra))
    pdf.put(
        page,
        b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Contents %d 0 R /Annots [%s] >>"
        % (pages, contents, refs),
    )
    return pdf.build(catalog)


def zeros_bomb(size: int) -> bytes:
    """zlib data that inflates to `size` zero bytes (rounded to a multiple of 258, plus one),
    about 1000 times smaller: one dynamic-Huffman deflate block (RFC 1951) in which "copy 258
    bytes from 1 back" costs two bits, so the body is nothing but zero bytes. Writing it takes
    no time, where zlib would have to compress the gigabytes."""
    bits: list[int] = []

    def number(value: int, width: int) -> None:  # extra bits and header fields: LSB first
        bits.extend((value >> i) & 1 for i in range(width))

    def code(value: int, width: int) -> None:  # Huffman codes: most significant bit first
        bits.extend((value >> (width - 1 - i)) & 1 for i in range(width))

    def zero_lengths(count: int) -> None:  # code-length symbol 18 repeats "length 0"
        while count:
            run = min(count, 138)
            code(0b11, 2)
            number(run - 11, 7)
            count -= run

    number(1, 1)  # final block
    number(2, 2)  # dynamic Huffman
    number(286 - 257, 5)
    number(1 - 1, 5)
    number(18 - 4, 4)
    # Code-length alphabet, in RFC 1951 order: symbols 0, 1, 2 and 18 get 2-bit codes.
    for symbol in (16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1):
        number(2 if symbol in (0, 1, 2, 18) else 0, 3)
    # Literal 0 and end-of-block get 2-bit codes (10, 11), length 258 (symbol 285) gets "0";
    # the one distance code (distance 1) gets "0".
    code(0b10, 2)
    zero_lengths(255)
    code(0b10, 2)
    zero_lengths(28)
    code(0b01, 2)
    code(0b01, 2)
    code(0b10, 2)  # the literal zero byte
    copies = (size - 1) // 258
    head_copies = 0
    while len(bits) % 8:
        bits.extend((0, 0))
        head_copies += 1
    head = _pack_bits(bits)
    body_copies = (copies - head_copies) // 4 * 4
    bits = [0, 0] * (copies - head_copies - body_copies) + [1, 1]  # the rest, end of block
    tail = _pack_bits(bits + [0] * (-len(bits) % 8))
    inflated = 1 + 258 * copies
    adler32 = ((inflated % 65521) << 16) | 1  # of all-zero data: a stays 1, b counts bytes
    return b"\x78\x01" + head + bytes(body_copies // 4) + tail + adler32.to_bytes(4, "big")


def _pack_bits(bits: list[int]) -> bytes:
    return bytes(
        sum(bit << i for i, bit in enumerate(bits[start : start + 8]))
        for start in range(0, len(bits), 8)
    )


def bomb_in_field_value(inflated: int = 2 * 1024**3) -> bytes:
    """A text field whose value is a Flate stream that inflates to `inflated` bytes (2 GiB)."""

    def add_bomb(pdf: RawPdf, field_numbers: list[int]) -> None:
        pdf.add(stream(zeros_bomb(inflated), b"/Filter /FlateDecode"))

    # The bomb is the object after the field: field 5, bomb 6 (see raw_form's numbering).
    return raw_form({"bomb": b"6 0 R"}, build_extra=add_bomb)


def bombs_in_many_fields(count: int = 40, inflated: int = 31 * 1024**2) -> bytes:
    """`count` text fields, each valued by its own Flate stream inflating to `inflated` bytes:
    every stream passes a per-stream limit of 32 MiB, while together they inflate to over 1 GiB
    from about 1.3 MB of file."""

    def add_bombs(pdf: RawPdf, field_numbers: list[int]) -> None:
        for _ in range(count):
            pdf.add(stream(zeros_bomb(inflated), b"/Filter /FlateDecode"))

    # raw_form numbers the fields 5 to 4 + count; the bombs follow them.
    first_bomb = 5 + count
    values = {f"field_{i:02d}": b"%d 0 R" % (first_bomb + i) for i in range(count)}
    return raw_form(values, build_extra=add_bombs)


def bomb_in_page_content(inflated: int = 2 * 1024**3) -> bytes:
    """A good form whose page content inflates to `inflated` bytes: a reader of fields never
    needs to inflate it."""
    pdf = RawPdf()
    catalog, pages, acro_form, page, field_ = (pdf.reserve() for _ in range(5))
    contents = pdf.add(stream(zeros_bomb(inflated), b"/Filter /FlateDecode"))
    pdf.put(catalog, b"<< /Type /Catalog /Pages %d 0 R /AcroForm %d 0 R >>" % (pages, acro_form))
    pdf.put(pages, b"<< /Type /Pages /Kids [%d 0 R] /Count 1 >>" % page)
    pdf.put(acro_form, b"<< /Fields [%d 0 R] >>" % field_)
    pdf.put(
        page,
        b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Contents %d 0 R /Annots [%d 0 R]"
        b" >>" % (pages, contents, field_),
    )
    pdf.put(
        field_,
        b"<< /FT /Tx /T (name) /V (Ann) /Subtype /Widget /Rect [0 0 9 9] /P %d 0 R >>" % page,
    )
    return pdf.build(catalog)


def parent_loop() -> bytes:
    """A field whose /Parent is itself (object 5 is the first field in raw_form)."""
    return raw_form({"self_parent": b"(x) /Parent 5 0 R"})


def kids_loop() -> bytes:
    """Two fields, each the other's kid (objects 5 and 6 are the first fields in raw_form)."""
    return raw_form({"a": b"(x) /Kids [6 0 R]", "b": b"(y) /Kids [5 0 R]"})


def deep_kids_chain(depth: int = 20_000) -> bytes:
    """A field at the end of a chain of named fields, each the only kid of the one before."""

    def add_chain(pdf: RawPdf, field_numbers: list[int]) -> None:
        first = len(pdf.objects) + 1
        for n in range(first, first + depth):
            kids = b" /Kids [%d 0 R]" % (n + 1) if n < first + depth - 1 else b" /V (x)"
            pdf.add(b"<< /FT /Tx /T (k%d)%s >>" % (n, kids))

    return raw_form({"top": b"(x) /Kids [6 0 R]"}, build_extra=add_chain)


def deep_array(depth: int = 100_000) -> bytes:
    """A field value of arrays nested `depth` deep."""
    return raw_form({"deep": b"[" * depth + b"]" * depth})


def xfa_only() -> bytes:
    """An XFA form: the AcroForm has an /XFA packet and no fields."""
    xdp = (
        b'<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/"><template/><datasets>'
        b"<data><child_name>Ann</child_name></data></datasets></xdp:xdp>"
    )

    def add_xfa(pdf: RawPdf, field_numbers: list[int]) -> None:
        pdf.add(stream(xdp))

    return raw_form({}, acro_form_extra=b"/XFA 5 0 R /NeedsRendering true", build_extra=add_xfa)


def many_fields(count: int = 90_000) -> bytes:
    """Tens of thousands of fields: slow to read, for the time-limit tests."""
    return raw_form({f"f{i}": b"(%d)" % i for i in range(count)})


def padded_form(total_bytes: int = 10 * 1024 * 1024) -> bytes:
    """The 150-field form with uncompressed page content making it `total_bytes` long, as a
    form with scanned pages would be."""
    line = b"BT /F1 12 Tf 72 720 Td (This line pads the page content.) Tj ET\n"
    padding = line * (total_bytes // len(line))
    return raw_form(
        {f"field_{i:03d}": b"(answer %d)" % i for i in range(150)}, page_contents=padding
    )
