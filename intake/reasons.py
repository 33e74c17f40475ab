"""Why a message ended as it did: one frozen `Reason` from the check that found it (screening,
a form rule, a record check) to the sentence a person reads.

A reason is data: a code, the step and field it concerns, the form kind, and parameters. It is
stored on the message row as a plain mapping and worded only where it is shown, from the sentence
table `templates/reasons.toml` (through `documents.describe`). Parameters named `detail` and
`check` are for the caseworker (what the service saw); no sentence for a professional uses them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from documents import FORMS, FormDefinition, Rejection, describe


@dataclass(frozen=True)
class Reason:
    code: str
    step: int | None = None
    field: str | None = None
    form: str | None = None
    params: Mapping[str, Any] = dataclasses.field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        if not isinstance(self.params, MappingProxyType):
            object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

    @property
    def detail(self) -> str:
        """What the service saw, in technical terms: for the caseworker and the logs only."""
        return str(self.params.get("detail") or "")

    @classmethod
    def from_rejection(cls, rejection: Rejection, form: FormDefinition) -> Reason:
        return cls(rejection.code, rejection.step, rejection.field, form.kind, rejection.params)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Reason:
        return cls(
            row["code"], row.get("step"), row.get("field"), row.get("form"), row.get("params") or {}
        )

    def as_row(self) -> dict[str, Any]:
        """The reason as stored on the message row (JSON)."""
        return {
            "code": self.code,
            "step": self.step,
            "field": self.field,
            "form": self.form,
            "params": dict(self.params),
        }

    def sentence(self) -> str:
        """The sentence a professional reads, with the form's labels when the form is known."""
        rejection = Rejection(self.code, self.step, self.field, dict(self.params))
        return describe(rejection, FORMS.get(self.form or ""))


def reason(
    code: str,
    step: int | None = None,
    field: str | None = None,
    form: str | None = None,
    **params: Any,
) -> Reason:
    """A reason with its parameters as keywords: `reason("documents-added", count=2)`."""
    return Reason(code, step, field, form, params)


def worded(reasons: Iterable[Reason]) -> list[str]:
    return [r.sentence() for r in reasons]


def as_rows(reasons: Iterable[Reason]) -> list[dict[str, Any]]:
    return [r.as_row() for r in reasons]
