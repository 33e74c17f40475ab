"""Building blocks for conditional and cross-field rules, so each form states its rules as a table.

A rule sees canonical answers (ISO dates, booleans, lists); an answer that did not parse is still
there as the text typed, and `as_date` turns it into None so that date comparisons skip it (its
own field already carries the rejection).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from documents.schema import Answers, CheckContext, Group, Rejection, Rule
from documents.validate import is_empty

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


def required_if(rule_name: str, step: int, target: str, when: Condition, description: str) -> Rule:
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


def custom(
    rule_name: str, description: str, step: int, check: Callable[..., Iterable[Rejection]]
) -> Rule:
    return Rule(rule_name, description, step, check)


def at_least_one_answered(
    rule_name: str,
    step: int,
    targets: tuple[str, ...],
    code: str,
    description: str,
    min_length: int = 1,
) -> Rule:
    """At least one of `targets` holds an answer of `min_length` characters or more.

    The rejection points at the first target and names them all, so the reply can say "one of".
    """

    def check(answers: Answers, ctx: CheckContext) -> Iterable[Rejection]:
        lengths = [len(str(answers.get(t))) if present(answers.get(t)) else 0 for t in targets]
        if max(lengths) < min_length:
            yield Rejection(
                code, step, targets[0], {"fields": list(targets), "minimum": min_length}
            )

    return Rule(rule_name, description, step, check)


def row_not_in_future(rule_name: str, step: int, group: Group, target: str) -> Rule:
    """The date `target` of each row of `group` is not after today."""

    def check(answers: Answers, ctx: CheckContext) -> Iterable[Rejection]:
        for row in range(1, group.rows + 1):
            name = f"{group.name}[{row}].{target}"
            d = as_date(answers.get(name))
            if d is not None and d > ctx.today:
                yield Rejection("date-in-future", step, name, {"row": row})

    return Rule(rule_name, f"{group.name} {target} is not after today", step, check)
