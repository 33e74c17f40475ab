"""Fuzzing the PDF entry: the sandboxed reader (documents/pdf/read/) and the form field reader
on top of it (`check_pdf`: identify the form, verify its token, validate every step), with
structured mutations of a real specimen form and of hand-written forms: bytes changed, PDF
syntax inserted (references, dictionaries, filters, lengths), pieces cut or repeated, field
values built from hostile PDF objects. Whatever comes in, no exception escapes, the outcome is
one of the defined ones, and every problem found has a sentence. Profiles:
tests/fuzz_profiles.py (INTAKE_FUZZ=long).
"""

from __future__ import annotations

import hostile_pdfs as pdfs
from conftest import SECRET_KEY, TODAY
from fuzz_profiles import examples
from hypothesis import example, given
from hypothesis import strategies as st

from documents import (
    NOT_OUR_FORM,
    ReadOutcome,
    check_pdf,
    describe,
    get_form,
    issue_token,
    render_form,
)
from documents.tokens import SPECIMEN

SPECIMEN_FORM = render_form(
    get_form("registration"), token=issue_token(SECRET_KEY, "registration", SPECIMEN, today=TODAY)
)
SEEDS = [SPECIMEN_FORM, pdfs.small_form(), pdfs.raw_form({"a": b"(x)", "b": b"[(y) (z)]"})]
SYNTAX = [
    b"<<", b">>", b"[", b"]", b"(", b")", b"\\", b"/Kids [5 0 R]", b"/Parent 5 0 R", b" 0 R",
    b"1 0 R", b"999999 0 R", b"obj", b"endobj", b"stream\n", b"\nendstream", b"/Length 99999999",
    b"/Filter /FlateDecode", b"/Filter /LZWDecode", b"/DecodeParms << /Predictor 15 >>",
    b"/Encrypt 1 0 R", b"xref\n0 1\n", b"trailer << /Root 1 0 R >>", b"startxref\n0\n",
    b"%%EOF", b"/FT /Btn", b"/FT /Ch", b"/V /Yes", b"/Opt [", b"/T (", b"<FEFF", b"\x00",
    b"\xff" * 8, b"[" * 200, b"/JS (app.alert(1))", b"/ObjStm",
]  # fmt: skip
OUTCOMES = {str(outcome) for outcome in ReadOutcome} | {NOT_OUR_FORM}

pieces = st.one_of(st.sampled_from(SYNTAX), st.binary(max_size=24))


@st.composite
def mutated_pdfs(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "repeat", "cut"]))
        at = draw(st.integers(0, len(data)))
        span = draw(st.integers(1, 400))
        if kind == "flip" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(pieces)
        elif kind == "delete":
            del data[at : at + span]
        elif kind == "repeat":
            data[at:at] = data[at : at + span] * draw(st.integers(2, 20))
        elif kind == "cut":
            del data[max(at, 8) :]
    return bytes(data)


# A field's value as PDF syntax: strings, names, arrays, dictionaries, references, nested.
pdf_values = st.recursive(
    st.one_of(
        st.binary(max_size=16).map(lambda b: b"(" + b.replace(b")", b"\\)") + b")"),
        st.sampled_from([b"/Yes", b"/Off", b"null", b"true", b"5 0 R", b"6 0 R", b"<FEFF00>"]),
        st.integers(-(2**40), 2**40).map(lambda n: str(n).encode()),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(lambda items: b"[" + b" ".join(items) + b"]"),
        st.lists(inner, max_size=3).map(
            lambda items: b"<<" + b"".join(b"/K%d %s" % (i, v) for i, v in enumerate(items)) + b">>"
        ),
    ),
    max_leaves=12,
)


@st.composite
def hand_written_forms(draw) -> bytes:
    names = draw(st.lists(st.sampled_from(["a", "b", "form_token", "form_id", "k.k"]), max_size=4))
    values = {name: draw(pdf_values) for name in names}
    extra = draw(st.sampled_from([b"", b"/NeedAppearances true", b"/XFA 5 0 R", b"/Fields 3 0 R"]))
    return pdfs.raw_form(values, acro_form_extra=extra)


def assert_read_and_checked(data: bytes, sandbox) -> None:
    read = sandbox.read(data)
    assert isinstance(read.outcome, ReadOutcome)
    assert "\n" not in read.detail
    assert read.outcome is ReadOutcome.OK or read.fields == {}
    check = check_pdf(data, key=SECRET_KEY, today=TODAY, sandbox=sandbox)
    assert check.outcome in OUTCOMES, check.outcome
    assert check.readable == (check.form is not None)
    for problem in check.problems():
        sentence = describe(problem, check.form)
        assert sentence and f"(reference: {problem.code})" not in sentence, problem


@example(pdfs.bomb_in_field_value())  # 2 GiB inflated from 2 MB
@example(pdfs.deep_array(5000))
@example(pdfs.kids_loop())
@given(mutated_pdfs())
@examples(40)
def test_any_mutated_pdf_is_read_and_checked_to_an_outcome(pdf_sandbox, data):
    assert_read_and_checked(data, pdf_sandbox)


@given(hand_written_forms())
@examples(40)
def test_any_hand_written_form_is_read_and_checked_to_an_outcome(pdf_sandbox, data):
    assert_read_and_checked(data, pdf_sandbox)
