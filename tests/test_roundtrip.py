"""Every form, rendered by us, filled by each viewer engine and checked: nothing is lost on the way.

A form goes out with a real token, comes back filled by pypdf, PDFium (Chrome and Edge) or pikepdf
with its complete example, and must read back as exactly that example. Around it: what PDFium does
to an answer longer than MaxLen, what our validation does when a viewer does not cut it, and a
form with two mistakes giving exactly two rejections.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

import pytest
from fill_engines import ENGINES, fill_with_pdfium, fill_with_pypdf

from documents.check import FormCheck, check_pdf
from documents.forms import FORMS
from documents.pdf.render import render_form
from documents.pdfvalues import pdf_values
from documents.schema import CheckContext, Field, FieldType, FormDefinition, Rejection
from documents.tokens import issue_token
from documents.validate import is_empty, validate

KINDS = sorted(FORMS)
PROFESSIONAL_ID = 42
SUBJECT_ID = 7


@pytest.fixture(scope="module")
def rendered(secret_key, today) -> dict[str, bytes]:
    """One blank form of each kind, with a token issued to a professional about a case."""
    return {
        kind: render_form(
            FORMS[kind],
            token=issue_token(secret_key, kind, PROFESSIONAL_ID, SUBJECT_ID, today=today),
        )
        for kind in KINDS
    }


@pytest.fixture
def check(secret_key, today, pdf_sandbox):
    def run(data: bytes) -> FormCheck:
        return check_pdf(data, key=secret_key, today=today, sandbox=pdf_sandbox)

    return run


def _all_example_text() -> list[str]:
    texts: list[str] = []
    for form in FORMS.values():
        texts.extend(v for v in form.example.values() if isinstance(v, str))
    return texts


def test_examples_carry_the_edge_cases_the_round_trip_relies_on():
    texts = _all_example_text()
    joined = "\n".join(texts).casefold()
    for letter in "éłŵ":
        assert letter in joined, f"no example answer holds {letter!r}"
    assert any("\n" in t for t in texts), "no example answer runs over several lines"
    assert any(len(t) >= 4000 for t in texts), "no example answer is 4,000 characters long"
    for kind in ("request", "advice", "registration"):
        assert kind in FORMS, f"form {kind!r} is not registered"


@pytest.mark.parametrize("kind", KINDS)
def test_each_example_has_unicode_and_lines(kind):
    texts = [v for v in FORMS[kind].example.values() if isinstance(v, str)]
    assert any(any(ord(c) > 255 for c in t) for t in texts), "no answer beyond Latin-1"
    assert any("\n" in t for t in texts), "no multi-line answer"


@pytest.mark.parametrize("engine", sorted(ENGINES))
@pytest.mark.parametrize("kind", KINDS)
def test_a_filled_example_reads_back_exactly(kind, engine, rendered, check):
    form = FORMS[kind]
    filled = ENGINES[engine](rendered[kind], pdf_values(form, form.example))

    result = check(filled)

    assert result.outcome == "ok", result.detail
    assert result.form is form
    assert result.token.valid and result.token.kind == kind
    assert result.token.professional_id == PROFESSIONAL_ID
    assert result.problems() == ()
    steps = result.as_dict()["steps"]
    assert [s["step"] for s in steps] == [s.number for s in form.steps]
    assert all(s["ok"] for s in steps), steps
    _assert_answers_are_the_example(form, result.validation.answers)


def _assert_answers_are_the_example(form: FormDefinition, answers: Mapping[str, Any]) -> None:
    wrong = {}
    for f in form.fields():
        expected = form.example.get(f.name)
        got = answers.get(f.name)
        if expected is None:
            if not is_empty(got):
                wrong[f.name] = (None, got)
        elif got != expected:
            wrong[f.name] = (expected, got)
    assert not wrong, _describe_differences(wrong)


def _describe_differences(wrong: Mapping[str, tuple[Any, Any]]) -> str:
    lines = [f"{len(wrong)} answers differ from the example:"]
    for name, (expected, got) in wrong.items():
        lines.append(f"  {name}: expected {_short(expected)}, read {_short(got)}")
    return "\n".join(lines)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:60]}... ({len(str(value))} chars)"


def _judged_alone(
    form: FormDefinition, today: date, candidates: Iterable[Field], change: Callable[[Field], dict]
) -> Field:
    """The first candidate no cross-field rule looks at: changed alone, only it is rejected.

    Found by validating (no PDF involved), so that a rule added to a form later cannot turn an
    exact-rejections test into a test of that rule.
    """
    for f in candidates:
        answers = {**form.example, **change(f)}
        answers = {name: value for name, value in answers.items() if value is not None}
        rejected = validate(form, answers, CheckContext(today=today)).rejections
        if [r.field for r in rejected] == [f.name]:
            return f
    raise AssertionError(f"no field of the {form.kind} form can be judged alone")


def _plain_text_fields(form: FormDefinition) -> list[Field]:
    return [
        f
        for f in form.fields()
        if f.type is FieldType.TEXT and f.group is None and f.name in form.example
    ]


def _over_long_field(form: FormDefinition, today: date) -> Field:
    return _judged_alone(form, today, _plain_text_fields(form), lambda f: {f.name: _over_long(f)})


def _over_long(f: Field) -> str:
    # No spaces, so the cut falls on a letter and nothing is stripped after it.
    return ("Łukasz-" * (f.limit // 7 + 10))[: f.limit + 25]


@pytest.mark.parametrize("kind", KINDS)
def test_pdfium_cuts_an_answer_at_maxlen(kind, rendered, check, today):
    form = FORMS[kind]
    f = _over_long_field(form, today)
    long_answer = _over_long(f)
    answers = {**form.example, f.name: long_answer}

    result = check(fill_with_pdfium(rendered[kind], pdf_values(form, answers)))

    assert result.outcome == "ok", result.detail
    assert result.validation.answers[f.name] == long_answer[: f.limit]
    assert result.problems() == ()


@pytest.mark.parametrize("kind", KINDS)
def test_an_answer_past_maxlen_from_a_viewer_that_ignores_it_is_rejected(
    kind, rendered, check, today
):
    form = FORMS[kind]
    f = _over_long_field(form, today)
    long_answer = _over_long(f)
    answers = {**form.example, f.name: long_answer}

    result = check(fill_with_pypdf(rendered[kind], pdf_values(form, answers)))

    assert result.outcome == "ok", result.detail
    assert result.validation.answers[f.name] == long_answer
    assert result.problems() == (
        Rejection(
            "too-long",
            form.step_of(f.name),
            f.name,
            {"limit": f.limit, "length": len(long_answer)},
        ),
    )


# A wrong answer for each checked type, and the code its rejection carries.
WRONG_ANSWERS = {
    FieldType.POSTCODE: ("LE1 6CC", "postcode-invalid"),  # C is never in an inward code
    FieldType.EMAIL: ("head.teacher.example.org", "email-invalid"),
    FieldType.PHONE: ("0116 454", "phone-invalid"),
    FieldType.NHS_NUMBER: ("943 476 5910", "nhs-number-invalid"),  # wrong check digit
}


def _typed_field(form: FormDefinition, today: date) -> Field:
    """An answer of a checked type the example gives, a postcode where there is one."""
    candidates = sorted(
        (
            f
            for f in form.fields()
            if f.type in WRONG_ANSWERS and f.group is None and f.name in form.example
        ),
        key=lambda f: list(WRONG_ANSWERS).index(f.type),
    )
    return _judged_alone(form, today, candidates, lambda f: {f.name: WRONG_ANSWERS[f.type][0]})


def _required_text_field(form: FormDefinition, today: date) -> Field:
    candidates = [f for f in _plain_text_fields(form) if f.required]
    return _judged_alone(form, today, candidates, lambda f: {f.name: None})


@pytest.mark.parametrize("engine", ["pypdf", "pdfium"])
@pytest.mark.parametrize("kind", KINDS)
def test_two_mistakes_give_exactly_two_rejections(kind, engine, rendered, check, today):
    form = FORMS[kind]
    typed = _typed_field(form, today)
    wrong_answer, code = WRONG_ANSWERS[typed.type]
    required = _required_text_field(form, today)
    answers = {**form.example, typed.name: wrong_answer}
    del answers[required.name]

    result = check(ENGINES[engine](rendered[kind], pdf_values(form, answers)))

    assert result.outcome == "ok", result.detail
    assert result.token.valid
    assert sorted(result.problems(), key=lambda r: (r.step, r.field)) == sorted(
        [
            Rejection(code, form.step_of(typed.name), typed.name),
            Rejection("required", form.step_of(required.name), required.name),
        ],
        key=lambda r: (r.step, r.field),
    )
    failing_steps = {s["step"] for s in result.as_dict()["steps"] if not s["ok"]}
    assert failing_steps == {form.step_of(typed.name), form.step_of(required.name)}
