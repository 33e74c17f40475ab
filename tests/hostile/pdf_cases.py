"""The families of hostile PDFs, each attached to a professional's reply as its form: bombs
that inflate to gigabytes, reference loops and chains, encrypted, flattened and non-PDF files,
and mutations of a real specimen form (cut short, bytes changed).

A PDF that cannot be read as one of our forms is answered with `pdf-unreadable` (rejected, the
form sent again); one whose reading ran into the reader's safety limits (time, memory, data) is
quarantined for a person instead. A readable specimen is `specimen-form`.
"""

from __future__ import annotations

import random
import zlib
from functools import partial

import hostile_pdfs as pdfs

from hostile import Case, Kit
from hostile.mime_cases import QUARANTINED, REJECTED, _from_professional
from hostile.writing import attachment_part, multipart, text_part

MB = 1024 * 1024
GB = 1024 * MB
UNREADABLE = ("pdf-unreadable",)


def reply_with(case_id: str, kit: Kit, make) -> bytes:
    data = make(kit) if callable(make) else make
    h = _from_professional(case_id, kit)
    return multipart(h, [text_part(), attachment_part("form.pdf", data)])


def double_flate_bomb(inflated: int) -> bytes:
    """A field value behind two Flate filters: the outer one inflates to the inner bomb."""

    def add(pdf: pdfs.RawPdf, fields: list[int]) -> None:
        inner = zlib.compress(pdfs.zeros_bomb(inflated), 9)
        pdf.add(pdfs.stream(inner, b"/Filter [/FlateDecode /FlateDecode]"))

    return pdfs.raw_form({"bomb": b"6 0 R"}, build_extra=add)


def unlisted_object_stream_bomb(inflated: int) -> bytes:
    """An object stream that would inflate to `inflated`, which the field's value names an
    object in, but which no cross-reference lists: a reader must not go looking in it."""

    def add(pdf: pdfs.RawPdf, fields: list[int]) -> None:
        pdf.add(pdfs.stream(pdfs.zeros_bomb(inflated), b"/Type /ObjStm /N 1 /First 4 "
                            b"/Filter /FlateDecode"))  # fmt: skip

    return pdfs.raw_form({"value": b"7 0 R"}, build_extra=add)


def indirect_chain(length: int) -> bytes:
    """A field value that is a reference to a reference ... `length` times."""

    def add(pdf: pdfs.RawPdf, fields: list[int]) -> None:
        first = len(pdf.objects) + 1
        for n in range(first, first + length):
            pdf.add(b"%d 0 R" % (n + 1) if n < first + length - 1 else b"(end)")

    return pdfs.raw_form({"chain": b"6 0 R"}, build_extra=add)


def page_tree_loop() -> bytes:
    pdf = pdfs.RawPdf()
    catalog, pages, acro = pdf.reserve(), pdf.reserve(), pdf.reserve()
    field_ = pdf.add(b"<< /FT /Tx /T (a) /V (x) >>")
    pdf.put(catalog, b"<< /Type /Catalog /Pages %d 0 R /AcroForm %d 0 R >>" % (pages, acro))
    pdf.put(pages, b"<< /Type /Pages /Kids [%d 0 R] /Count 1 >>" % pages)
    pdf.put(acro, b"<< /Fields [%d 0 R] >>" % field_)
    return pdf.build(catalog)


def root_loop() -> bytes:
    pdf = pdfs.RawPdf()
    catalog = pdf.add(b"<< /Type /Catalog /Pages 1 0 R /AcroForm 1 0 R /Fields [1 0 R] >>")
    return pdf.build(catalog)


def xref_prev_loop() -> bytes:
    """An xref table whose /Prev is itself, and a trailer saying so."""
    data = pdfs.small_form()
    at = data.rindex(b"startxref")
    offset = int(data[at + 9 :].split()[0])
    return data + b"\ntrailer\n<< /Prev %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        offset,
        offset,
    )


def junk_before_header() -> bytes:
    return b"<html><script>alert(1)</script></html>\n" + pdfs.small_form()


def javascript_form() -> bytes:
    return pdfs.raw_form({"a": b"(x) /AA << /K << /S /JavaScript /JS (app.alert(1)) >> >>"})


def mutated(kit: Kit, seed: int, flips: int) -> bytes:
    rng = random.Random(seed)
    data = bytearray(kit.specimen)
    for _ in range(flips):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data)


def cut(kit: Kit, fraction: float) -> bytes:
    return kit.specimen[: int(len(kit.specimen) * fraction)]


def _pdf(name: str, make, status: str = REJECTED, codes=UNREADABLE) -> Case:
    return Case("pdf", name, partial(reply_with, f"pdf/{name}", make=make), status, codes)


def bombs() -> list[Case]:
    made = []
    for size in (16 * MB, 64 * MB, 256 * MB, GB, 2 * GB, 4 * GB):
        # Past our 8 MB budget or pypdf's own cap on one stream: held for a person either way.
        made.append(_pdf(f"bomb-field-{size // MB}mb", partial(_bomb_field, size), QUARANTINED))
    for count, size in ((40, 31 * MB), (10, 4 * MB), (200, MB)):
        make = partial(_many_bombs, count, size)
        made.append(_pdf(f"bombs-{count}-fields-{size // MB}mb", make, QUARANTINED))
    for size in (64 * MB, 2 * GB):
        made.append(_pdf(f"bomb-page-{size // MB}mb", partial(_bomb_page, size)))
    for size in (64 * MB, GB):
        made.append(_pdf(f"double-flate-{size // MB}mb", partial(_double, size), QUARANTINED))
        made.append(_pdf(f"unlisted-object-stream-{size // MB}mb", partial(_objstm, size)))
    return made


def _bomb_field(size: int, kit: Kit) -> bytes:
    return pdfs.bomb_in_field_value(size)


def _many_bombs(count: int, size: int, kit: Kit) -> bytes:
    return pdfs.bombs_in_many_fields(count, size)


def _bomb_page(size: int, kit: Kit) -> bytes:
    return pdfs.bomb_in_page_content(size)


def _double(size: int, kit: Kit) -> bytes:
    return double_flate_bomb(size)


def _objstm(size: int, kit: Kit) -> bytes:
    return unlisted_object_stream_bomb(size)


def _fixed(make, kit: Kit) -> bytes:
    return make()


def loops_and_odd_files() -> list[Case]:
    fixed = {
        "parent-loop": pdfs.parent_loop,
        "kids-loop": pdfs.kids_loop,
        "kids-chain-150": partial(pdfs.deep_kids_chain, 150),
        "kids-chain-20000": pdfs.deep_kids_chain,
        "deep-array-1000": partial(pdfs.deep_array, 1000),
        "deep-array-100000": pdfs.deep_array,
        "value-is-itself": partial(pdfs.raw_form, {"self": b"5 0 R"}),
        "kids-are-the-acroform": partial(pdfs.raw_form, {"a": b"(x) /Kids [3 0 R]"}),
        "missing-object": partial(pdfs.raw_form, {"a": b"999 0 R"}),
        "indirect-chain-1000": partial(indirect_chain, 1000),
        "indirect-chain-50000": partial(indirect_chain, 50_000),
        "page-tree-loop": page_tree_loop,
        "root-loop": root_loop,
        "xref-prev-loop": xref_prev_loop,
        "flattened": pdfs.flattened,
        "truncated": pdfs.truncated,
        "xfa-only": pdfs.xfa_only,
        "text-named-pdf": lambda: pdfs.NOT_PDFS["text"],
        "png-named-pdf": lambda: pdfs.NOT_PDFS["png"],
        "empty-pdf": lambda: pdfs.NOT_PDFS["empty"],
        "header-only": lambda: b"%PDF-1.7\n",
        "junk-before-header": junk_before_header,
        "javascript-form": javascript_form,
        "not-our-fields": pdfs.small_form,
        # Slow to read (about 2 s), far inside the limits: 20,000 took 10 s, near the CPU limit.
        "fields-5000": partial(pdfs.many_fields, 5_000),
        "padded-10mb": partial(pdfs.padded_form, 9 * MB),
    }
    made = [_pdf(name, partial(_fixed, make)) for name, make in fixed.items()]
    for algorithm in ("RC4-40", "RC4-128", "AES-128", "AES-256"):
        for label, password in (("encrypted", "pw"), ("owner-only", "")):
            make = partial(_fixed, partial(pdfs.encrypted, password, algorithm))
            made.append(_pdf(f"{label}-{algorithm}", make))
    return made


# A changed specimen may still read: as the specimen it is (answered), as a form of ours whose
# token field is lost (held: our forms never lose it), or not at all (answered).
MUTATED_STATUSES = (REJECTED, QUARANTINED)
MUTATED_CODES = ("specimen-form", "pdf-unreadable", "token-missing")


def mutations() -> list[Case]:
    made = [
        _pdf(f"cut-at-{f * 100:g}pc", partial(_cut, f), MUTATED_STATUSES, MUTATED_CODES)
        for f in (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999)
    ]
    for seed in range(12):
        flips = (1, 10, 100)[seed % 3]
        name = f"flips-{flips}-seed-{seed}"
        made.append(_pdf(name, partial(_mutate, seed, flips), MUTATED_STATUSES, MUTATED_CODES))
    made.append(_pdf("specimen-twice-over", _twice, MUTATED_STATUSES, MUTATED_CODES))
    return made


def _cut(fraction: float, kit: Kit) -> bytes:
    return cut(kit, fraction)


def _mutate(seed: int, flips: int, kit: Kit) -> bytes:
    return mutated(kit, seed, flips)


def _twice(kit: Kit) -> bytes:
    return kit.specimen + kit.specimen


def cases() -> list[Case]:
    return [*bombs(), *loops_and_odd_files(), *mutations()]
