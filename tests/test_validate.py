"""The validation engine on small hand-built forms: every problem, in every step, at once."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import pytest

from documents.schema import (
    CheckContext,
    Field,
    FieldType,
    FormDefinition,
    Group,
    Rejection,
    Rule,
    step,
)
from documents.validate import validate

T = FieldType
CTX = CheckContext(today=date(2025, 3, 14))

DOCUMENTS = Group(
    "documents",
    "Documents",
    (
        Field("file", "File name", T.FILE, required=True),
        Field("description", "Description", T.TEXT, required=True, min_length=3),
        Field("dated", "Date of the document", T.DATE),
        Field("confirmed", "I have checked this file", T.CHECKBOX, required=True),
    ),
    rows=3,
    min_rows=1,
)


def _signature_matches_name(answers: Mapping[str, Any], ctx: CheckContext) -> Iterable[Rejection]:
    signed, name = answers.get("signed_name"), answers.get("name")
    if signed and name and signed != name:
        yield Rejection("name-mismatch", 2, "signed_name", {"other": "name"})


FORM = FormDefinition(
    kind="test",
    version=1,
    title="A small form",
    intro="",
    steps=(
        step(
            1,
            "About you",
            "",
            Field("name", "Your name", T.TEXT, required=True, min_length=2, max_length=100),
            Field("role", "Your role", T.CHOICE, required=True, choices=("SENCO", "Other")),
            Field("methods", "Methods", T.MULTI_CHOICE, choices=("Observation", "Discussion")),
            Field("summary", "Summary", T.LONG_TEXT),
            Field("attendance", "Attendance (%)", T.NUMBER, minimum=0, maximum=100, decimals=1),
            Field("date_of_birth", "Date of birth", T.DATE),
            Field("postcode", "Postcode", T.POSTCODE),
        ),
        step(
            2,
            "Documents and declaration",
            "",
            DOCUMENTS,
            Field("terms_accepted", "I accept the terms", T.CHECKBOX, required=True),
            Field("signed_name", "Signed", T.TEXT, required=True),
        ),
    ),
    rules=(Rule("signature-matches", "signed_name matches name", 2, _signature_matches_name),),
)

VALID: dict[str, Any] = {
    "name": "Jo Bloggs",
    "role": "SENCO",
    "methods": ["Observation"],
    "summary": "Seen twice in class.",
    "attendance": "97.5",
    "date_of_birth": "01/09/2015",
    "postcode": "le1 6zg",
    "documents[1].file": "plan.pdf",
    "documents[1].description": "SEN support plan",
    "documents[1].confirmed": True,
    "terms_accepted": True,
    "signed_name": "Jo Bloggs",
}


def _codes(values: Mapping[str, Any]) -> set[tuple[str, str | None]]:
    return {(r.code, r.field) for r in validate(FORM, values, CTX).rejections}


def _with(**changes: Any) -> dict[str, Any]:
    return {**VALID, **changes}


def test_valid_answers_pass_and_come_out_canonical() -> None:
    result = validate(FORM, VALID, CTX)
    assert result.ok, result.rejections
    assert result.answers["date_of_birth"] == "2015-09-01"
    assert result.answers["postcode"] == "LE1 6ZG"
    assert result.answers["attendance"] == 97.5
    assert result.answers["documents[2].file"] is None
    assert result.answers["documents[2].confirmed"] is False


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("name", "required"),
        ("role", "required"),
        ("signed_name", "required"),
        ("terms_accepted", "not-ticked"),
    ],
)
def test_required_answers(name: str, code: str) -> None:
    values = {k: v for k, v in VALID.items() if k != name}
    assert _codes(values) == {(code, name)}


@pytest.mark.parametrize("blank", ["", "   ", "\n", None, False])
def test_blank_text_counts_as_unanswered(blank: Any) -> None:
    # A viewer may save a space in a box someone clicked into; that is not an answer.
    assert _codes(_with(name=blank)) == {("required", "name")}


def test_blank_optional_date_is_not_a_bad_date() -> None:
    result = validate(FORM, _with(date_of_birth="  "), CTX)
    assert result.ok, result.rejections
    assert result.answers["date_of_birth"] is None


def test_unticked_required_checkbox() -> None:
    assert _codes(_with(terms_accepted=False)) == {("not-ticked", "terms_accepted")}


def test_long_text_over_its_limit_is_refused_whatever_the_viewer_allowed() -> None:
    result = validate(FORM, _with(summary="x" * 4001), CTX)
    assert [(r.code, r.field, dict(r.params)) for r in result.rejections] == [
        ("too-long", "summary", {"limit": 4000, "length": 4001})
    ]


def test_long_text_at_its_limit_is_fine() -> None:
    assert validate(FORM, _with(summary="x" * 4000), CTX).ok


def test_too_long_uses_the_fields_own_limit() -> None:
    result = validate(FORM, _with(name="J" * 101, signed_name="J" * 101), CTX)
    assert [(r.code, dict(r.params)) for r in result.rejections] == [
        ("too-long", {"limit": 100, "length": 101})
    ]


def test_too_short() -> None:
    result = validate(FORM, _with(name="J", signed_name="J"), CTX)
    assert [(r.code, dict(r.params)) for r in result.rejections] == [
        ("too-short", {"minimum": 2, "length": 1})
    ]


def test_not_a_choice() -> None:
    result = validate(FORM, _with(role="Wizard"), CTX)
    assert [(r.code, r.field, dict(r.params)) for r in result.rejections] == [
        ("not-a-choice", "role", {"value": "Wizard"})
    ]


def test_multi_choice_names_each_wrong_option() -> None:
    result = validate(FORM, _with(methods=["Observation", "Guesswork", "Dreams"]), CTX)
    assert [r.params["value"] for r in result.rejections] == ["Guesswork", "Dreams"]


@pytest.mark.parametrize(("text", "expected"), [("0", 0.0), ("100", 100.0), ("99.9", 99.9)])
def test_number_in_range(text: str, expected: float) -> None:
    result = validate(FORM, _with(attendance=text), CTX)
    assert result.ok and result.answers["attendance"] == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("100.1", "number-out-of-range"),
        ("-1", "number-out-of-range"),
        ("97.55", "number-invalid"),
        ("most days", "number-invalid"),
    ],
)
def test_number_out_of_range_or_not_a_number(text: str, code: str) -> None:
    result = validate(FORM, _with(attendance=text), CTX)
    assert [(r.code, r.field) for r in result.rejections] == [(code, "attendance")]
    if code == "number-out-of-range":
        assert dict(result.rejections[0].params) == {"minimum": 0, "maximum": 100}


def test_unparsed_value_is_kept_as_typed() -> None:
    result = validate(FORM, _with(date_of_birth="31/02/2015"), CTX)
    assert [(r.code, r.step) for r in result.rejections] == [("date-invalid", 1)]
    assert result.answers["date_of_birth"] == "31/02/2015"


def test_used_row_missing_a_required_field() -> None:
    result = validate(FORM, {**VALID, "documents[2].dated": "01/01/2025"}, CTX)
    found = {(r.code, r.field, r.params.get("row")) for r in result.rejections}
    assert found == {
        ("required-in-row", "documents[2].file", 2),
        ("required-in-row", "documents[2].description", 2),
        ("not-ticked", "documents[2].confirmed", 2),
    }


def test_unused_rows_are_fine() -> None:
    result = validate(FORM, VALID, CTX)
    assert not [r for r in result.rejections if r.field and r.field.startswith("documents")]


def test_bad_value_in_a_row_is_reported_against_that_row() -> None:
    result = validate(FORM, {**VALID, "documents[1].file": "plan.exe"}, CTX)
    assert [(r.code, r.field) for r in result.rejections] == [
        ("file-type-not-allowed", "documents[1].file")
    ]


def _without_documents() -> dict[str, Any]:
    return {k: v for k, v in VALID.items() if not k.startswith("documents")}


def test_too_few_rows() -> None:
    result = validate(FORM, _without_documents(), CTX)
    assert [(r.code, r.field, dict(r.params)) for r in result.rejections] == [
        ("too-few-rows", "documents", {"minimum": 1})
    ]


def test_overflow_lines_count_towards_the_minimum() -> None:
    values = {**_without_documents(), "documents_more": "plan.pdf - SEN support plan\n"}
    assert validate(FORM, values, CTX).ok


def test_blank_overflow_lines_do_not_count() -> None:
    values = {**_without_documents(), "documents_more": "\n   \n"}
    assert _codes(values) == {("too-few-rows", "documents")}


def test_every_problem_in_every_step_is_reported_at_once() -> None:
    values = {
        "name": "J",
        "role": "Wizard",
        "attendance": "250",
        "date_of_birth": "tomorrow",
        "postcode": "LE1 6CG",
        "documents[1].file": "plan.exe",
        "signed_name": "Someone Else",
    }
    result = validate(FORM, values, CTX)
    assert [(r.step, r.code, r.field) for r in result.rejections] == [
        (1, "too-short", "name"),
        (1, "not-a-choice", "role"),
        (1, "number-out-of-range", "attendance"),
        (1, "date-invalid", "date_of_birth"),
        (1, "postcode-invalid", "postcode"),
        (2, "file-type-not-allowed", "documents[1].file"),
        (2, "not-ticked", "terms_accepted"),
        (2, "required-in-row", "documents[1].description"),
        (2, "not-ticked", "documents[1].confirmed"),
        (2, "name-mismatch", "signed_name"),
    ]
    assert [r.code for r in result.errors_in_step(2)][-1] == "name-mismatch"


def test_unknown_names_are_ignored() -> None:
    assert validate(FORM, {**VALID, "smuggled": "x" * 10_000}, CTX).ok
