"""Building blocks for conditional and cross-field rules, so each form states its rules as a table.

A rule sees canonical answers (ISO dates, booleans, lists); an answer that did not parse is still
there as the text typed, and `as_date` turns it into None so that date comparisons skip it (its
own field already carries the rejection).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from .schema import Answers, CheckContext, Rejection, Rule
from .validate import is_empty

Condition = Callable[[Answers, CheckContext], bool]


def present(value: Any) -> bool:
    return not is_empty(value)


def as_date(value: Any) -> date | None:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def equals(name: str, *values: Any) -> Condition:
    return lambda answers, ctx: answers.get(name) in values


def contains(name: str, *values: Any) -> Condition:
    """True when the multi-choice answer `name` includes any of `values`."""
    return lambda answers, ctx: any(v in (answers.get(name) or ()) for v in values)


def required_if(
    rule_name: str, step: int, target: str, when: Condition, description: str
) -> Rule:
    """`target` must be answered when `when` holds."""

    def check(answers: Answers, ctx: CheckContext) -> Iterable[Rejection]:
        if when(answers, ctx) and is_empty(answers.get(target)):
            yield Rejection("required-because", step, target, {"rule": rule_name})

    return Rule(rule_name, description, step, check)


def not_in_future(rule_name: str, step: int, target: str) -> Rule:
    def check(answers: Answers, ctx: CheckContext) -> Iterable[Rejection]:
        d = as_date(answers.get(target))
        if d is not None and d > ctx.today:
            yield Rejection("date-in-future", step, target, {})

    return Rule(rule_name, f"{target} is not after today", step, check)


def date_not_before(rule_name: str, step: int, target: str, earliest: str) -> Rule:
    """`target` is on or after the date answered in `earliest`."""

    def check(answers: Answers, ctx: CheckContext) -> Iterable[Rejection]:
        d, floor = as_date(answers.get(target)), as_date(answers.get(earliest))
        if d is not None and floor is not None and d < floor:
            yield Rejection("date-before", step, target, {"other": earliest})

    return Rule(rule_name, f"{target} is not before {earliest}", step, check)


def same_name(rule_name: str, step: int, target: str, other: str) -> Rule:
    """`target` matches `other`, ignoring case and spacing (a signature against a name)."""

    def check(answers: Answers, ctx: CheckContext) -> Iterable[Rejection]:
        a, b = answers.get(target), answers.get(other)
        if present(a) and present(b) and _fold(a) != _fold(b):
            yield Rejection("name-mismatch", step, target, {"other": other})

    return Rule(rule_name, f"{target} matches {other}", step, check)


def _fold(text: Any) -> str:
    return " ".join(str(text).casefold().split())


def custom(rule_name: str, description: str, step: int, check: Callable[..., Iterable[Rejection]]) -> Rule:
    return Rule(rule_name, description, step, check)
