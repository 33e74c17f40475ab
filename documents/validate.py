"""Validation of every step of a form at once: field types, required answers, groups and rules.

`validate` never stops at the first problem: the professional hears about every one in a single
reply. Values come in as the text a viewer saved (or, for checkboxes and multi-choices, booleans
and lists) and go out as canonical values; a value that does not parse is kept as typed, so the
form we return still holds it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from documents import validators
from documents.schema import CheckContext, Field, FieldType, FormDefinition, Group, Rejection


@dataclass(frozen=True)
class Validation:
    answers: dict[str, Any]
    rejections: tuple[Rejection, ...]

    @property
    def ok(self) -> bool:
        return not self.rejections

    def errors_in_step(self, number: int) -> list[Rejection]:
        return [r for r in self.rejections if r.step == number]


def is_empty(value: Any) -> bool:
    """Unanswered: nothing, an unticked box, no options, or only spaces (a viewer may save a space
    in a box someone clicked into)."""
    if isinstance(value, str):
        return not value.strip()
    return value is None or value is False or value == [] or value == ()


# Type -> (parser returning canonical value or None, rejection code).
_PARSERS: dict[FieldType, tuple[Callable[[str], Any], str]] = {
    FieldType.DATE: (lambda t: (d := validators.parse_date(t)) and d.isoformat(), "date-invalid"),
    FieldType.EMAIL: (validators.normalise_email, "email-invalid"),
    FieldType.PHONE: (validators.normalise_phone, "phone-invalid"),
    FieldType.POSTCODE: (validators.normalise_postcode, "postcode-invalid"),
    FieldType.UPN: (validators.normalise_upn, "upn-invalid"),
    FieldType.NHS_NUMBER: (validators.normalise_nhs_number, "nhs-number-invalid"),
    FieldType.FILE: (
        lambda t: t if validators.file_extension_allowed(t) else None,
        "file-type-not-allowed",
    ),
}


def check_field(f: Field, step: int, value: Any) -> tuple[Any, list[Rejection]]:
    """The canonical value of one non-empty answer and what is wrong with it."""

    def reject(code: str, **params: Any) -> Rejection:
        return Rejection(code, step, f.name, params)

    if f.type is FieldType.CHECKBOX:
        return bool(value), []
    if f.type is FieldType.MULTI_CHOICE:
        chosen = [v for v in value] if isinstance(value, list | tuple) else [str(value)]
        wrong = [v for v in chosen if v not in f.choices]
        return chosen, [reject("not-a-choice", value=v) for v in wrong]
    text = str(value).strip()
    problems: list[Rejection] = []
    if f.limit is not None and len(text) > f.limit:
        problems.append(reject("too-long", limit=f.limit, length=len(text)))
    if f.min_length is not None and len(text) < f.min_length:
        problems.append(reject("too-short", minimum=f.min_length, length=len(text)))
    if f.type is FieldType.CHOICE:
        if text not in f.choices:
            problems.append(reject("not-a-choice", value=text))
        return text, problems
    if f.type is FieldType.NUMBER:
        number = validators.parse_number(text, f.decimals)
        if number is None:
            return text, [*problems, reject("number-invalid", decimals=f.decimals)]
        low = f.minimum if f.minimum is not None else float("-inf")
        high = f.maximum if f.maximum is not None else float("inf")
        if not low <= number <= high:
            problems.append(reject("number-out-of-range", minimum=f.minimum, maximum=f.maximum))
        return number, problems
    if f.type in _PARSERS:
        parse, code = _PARSERS[f.type]
        canonical = parse(text)
        if canonical is None:
            return text, [*problems, reject(code)]
        return canonical, problems
    return text, problems


def validate(form: FormDefinition, values: Mapping[str, Any], ctx: CheckContext) -> Validation:
    """Every problem with a set of answers, step by step; unknown names are ignored."""
    answers: dict[str, Any] = {}
    rejections: list[Rejection] = []
    for s in form.steps:
        for f in s.fields:
            value = values.get(f.name)
            if is_empty(value):
                answers[f.name] = _empty_value(f)
                if f.required and f.group is None:
                    code = "not-ticked" if f.type is FieldType.CHECKBOX else "required"
                    rejections.append(Rejection(code, s.number, f.name))
                continue
            answers[f.name], problems = check_field(f, s.number, value)
            rejections.extend(problems)
        for group in s.groups:
            rejections.extend(_check_group(group, s.number, answers))
    for rule in form.rules:
        rejections.extend(rule.check(answers, ctx))
    return Validation(answers, tuple(rejections))


def _empty_value(f: Field) -> Any:
    if f.type is FieldType.CHECKBOX:
        return False
    if f.type is FieldType.MULTI_CHOICE:
        return []
    return None


def used_rows(group: Group, answers: Mapping[str, Any]) -> list[int]:
    """The row numbers of a group in which anything was answered."""
    return [
        row
        for row in range(1, group.rows + 1)
        if any(not is_empty(answers.get(f.name)) for f in group.row_fields(row))
    ]


def _check_group(group: Group, step: int, answers: Mapping[str, Any]) -> list[Rejection]:
    problems: list[Rejection] = []
    rows = used_rows(group, answers)
    for row in rows:
        for f in group.row_fields(row):
            if f.required and is_empty(answers.get(f.name)):
                code = "not-ticked" if f.type is FieldType.CHECKBOX else "required-in-row"
                problems.append(Rejection(code, step, f.name, {"row": row}))
    overflow = answers.get(group.overflow_field().name) or ""
    given = len(rows) + len([line for line in str(overflow).splitlines() if line.strip()])
    if given < group.min_rows:
        problems.append(Rejection("too-few-rows", step, group.name, {"minimum": group.min_rows}))
    return problems
