"""Forms as data: the types that describe a form's steps and fields.

One `FormDefinition` drives the fillable PDF, the reading of a returned PDF, the validation of
every step, the confirmation summary and the web view. A new field is one line in a form module
under `documents/forms/`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date
from enum import StrEnum
from typing import Any


class FieldType(StrEnum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    DATE = "date"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"
    CHECKBOX = "checkbox"
    EMAIL = "email"
    PHONE = "phone"
    POSTCODE = "postcode"
    UPN = "upn"
    NHS_NUMBER = "nhs_number"
    NUMBER = "number"
    FILE = "file"


# Single-line types, drawn as one-line text boxes in the PDF.
TEXT_LIKE = frozenset(
    {
        FieldType.TEXT,
        FieldType.DATE,
        FieldType.EMAIL,
        FieldType.PHONE,
        FieldType.POSTCODE,
        FieldType.UPN,
        FieldType.NHS_NUMBER,
        FieldType.NUMBER,
        FieldType.FILE,
    }
)

DEFAULT_MAX_LENGTH = {
    FieldType.TEXT: 200,
    FieldType.LONG_TEXT: 4000,
    FieldType.DATE: 10,
    FieldType.EMAIL: 254,
    FieldType.PHONE: 20,
    FieldType.POSTCODE: 8,
    FieldType.UPN: 13,
    # 3-3-4 with spaces is how NHS numbers are usually written.
    FieldType.NHS_NUMBER: 12,
    FieldType.NUMBER: 12,
    FieldType.FILE: 255,
}

DEFAULT_HINT = {
    FieldType.DATE: "dd/mm/yyyy",
    FieldType.NHS_NUMBER: "10 digits, for example 943 476 5919",
    FieldType.UPN: "13 characters, for example A123456789012",
    FieldType.POSTCODE: "for example LE1 6ZG",
    FieldType.PHONE: "UK number, for example 0116 454 1000",
    FieldType.FILE: "the file name of an attachment on your email",
}


@dataclass(frozen=True)
class Field:
    """One answer on a form.

    `name` is the key in answers (`referrer_name`, `documents[2].file`); `pdf_name` is the
    AcroForm field name it becomes (`documents_2_file`). `required` is the unconditional rule;
    conditional requirements are `Rule`s on the form. Inside a repeating group, `required`
    means "required when the row is used".
    """

    name: str
    label: str
    type: FieldType
    required: bool = False
    choices: tuple[str, ...] = ()
    min_length: int | None = None
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    decimals: int = 0
    hint: str = ""
    # Key of a value the service knows and pre-fills, such as "professional.name".
    prefill: str | None = None
    group: str | None = None
    row: int | None = None

    @property
    def pdf_name(self) -> str:
        return self.name.replace("[", "_").replace("].", "_").replace("]", "")

    @property
    def limit(self) -> int | None:
        """The most characters a text answer may hold (MaxLen in the PDF)."""
        if self.type in (FieldType.CHOICE, FieldType.MULTI_CHOICE, FieldType.CHECKBOX):
            return None
        return self.max_length or DEFAULT_MAX_LENGTH[self.type]

    @property
    def help(self) -> str:
        return self.hint or DEFAULT_HINT.get(self.type, "")

    def option_pdf_name(self, index: int) -> str:
        """The checkbox that stands for choice `index` (0-based) of a multi_choice field."""
        return f"{self.pdf_name}__{index + 1}"

    def as_dict(self) -> dict[str, Any]:
        """The field as `forms schema --json` shows it."""
        out: dict[str, Any] = {
            "name": self.name,
            "pdf_name": self.pdf_name,
            "label": self.label,
            "type": self.type.value,
            "required": self.required,
            "hint": self.help,
        }
        if self.choices:
            out["choices"] = list(self.choices)
        if self.type is FieldType.MULTI_CHOICE:
            out["option_pdf_names"] = [self.option_pdf_name(i) for i in range(len(self.choices))]
        optional = {
            "max_length": self.limit,
            "min_length": self.min_length,
            "minimum": self.minimum,
            "maximum": self.maximum,
            "decimals": self.decimals or None,
            "prefill": self.prefill,
            "group": self.group,
            "row": self.row,
        }
        out.update({k: v for k, v in optional.items() if v is not None})
        return out


@dataclass(frozen=True)
class Group:
    """A repeating group: `rows` numbered copies of `fields` in the PDF.

    Answers beyond the last row go in the group's overflow box (`{name}_more`), one per line,
    so a professional with more to give always has somewhere to put it.
    """

    name: str
    label: str
    fields: tuple[Field, ...]
    rows: int
    min_rows: int = 0
    overflow_label: str = ""

    def row_fields(self, row: int) -> tuple[Field, ...]:
        return tuple(
            Field(
                **{
                    **_field_kwargs(template),
                    "name": f"{self.name}[{row}].{template.name}",
                    "group": self.name,
                    "row": row,
                }
            )
            for template in self.fields
        )

    def overflow_field(self) -> Field:
        return Field(
            name=f"{self.name}_more",
            label=self.overflow_label or f"More {self.label.lower()} (one per line)",
            type=FieldType.LONG_TEXT,
            group=self.name,
        )

    def expand(self) -> tuple[Field, ...]:
        out: list[Field] = []
        for row in range(1, self.rows + 1):
            out.extend(self.row_fields(row))
        out.append(self.overflow_field())
        return tuple(out)


def _field_kwargs(f: Field) -> dict[str, Any]:
    return {name: getattr(f, name) for name in f.__dataclass_fields__}


@dataclass(frozen=True)
class Rejection:
    """One problem with a submission: data, turned into words only where it is shown."""

    code: str
    step: int | None = None
    field: str | None = None
    params: Mapping[str, Any] = dataclass_field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "step": self.step,
            "field": self.field,
            "params": dict(self.params),
        }


@dataclass(frozen=True)
class CheckContext:
    """What a rule may know besides the answers: today's date (for "not in the future")."""

    today: date


# Parsed answers: field name to value (str, bool, list[str], float, ISO date string) or None.
Answers = Mapping[str, Any]
RuleCheck = Callable[[Answers, CheckContext], Iterable[Rejection]]


@dataclass(frozen=True)
class Rule:
    """A conditional or cross-field rule: `check` yields a Rejection for each problem.

    `name` is kebab-case (`role-other-required`) and `description` one line, so the schema
    can list every rule and a test can find each by name.
    """

    name: str
    description: str
    step: int
    check: RuleCheck


@dataclass(frozen=True)
class Step:
    number: int
    title: str
    intro: str
    fields: tuple[Field, ...]
    groups: tuple[Group, ...] = ()


def step(number: int, title: str, intro: str, *items: Field | Group) -> Step:
    """Build a step from fields and groups in the order they appear on the page."""
    fields: list[Field] = []
    groups: list[Group] = []
    for item in items:
        if isinstance(item, Group):
            groups.append(item)
            fields.extend(item.expand())
        else:
            fields.append(item)
    return Step(number, title, intro, tuple(fields), tuple(groups))


@dataclass(frozen=True)
class FormDefinition:
    """A whole form: its steps, its rules and a complete, valid example set of answers."""

    kind: str
    version: int
    title: str
    intro: str
    steps: tuple[Step, ...]
    rules: tuple[Rule, ...] = ()
    example: Mapping[str, Any] = dataclass_field(default_factory=dict)

    def fields(self) -> Iterator[Field]:
        for s in self.steps:
            yield from s.fields

    def field(self, name: str) -> Field:
        for f in self.fields():
            if f.name == name:
                return f
        raise KeyError(name)

    def step_of(self, name: str) -> int:
        for s in self.steps:
            if any(f.name == name for f in s.fields):
                return s.number
        raise KeyError(name)

    def as_dict(self) -> dict[str, Any]:
        """The definition as `forms schema --json` shows it: steps, fields and rules."""
        return {
            "kind": self.kind,
            "version": self.version,
            "form_id": self.form_id,
            "title": self.title,
            "intro": self.intro,
            "steps": [
                {
                    "step": s.number,
                    "title": s.title,
                    "intro": s.intro,
                    "fields": [f.as_dict() for f in s.fields],
                    "groups": [
                        {"name": g.name, "label": g.label, "rows": g.rows, "min_rows": g.min_rows}
                        for g in s.groups
                    ],
                    "rules": [
                        {"name": r.name, "description": r.description}
                        for r in self.rules
                        if r.step == s.number
                    ],
                }
                for s in self.steps
            ],
            "hidden_fields": {FORM_ID_FIELD: self.form_id, TOKEN_FIELD: "signed form token"},
        }

    @property
    def form_id(self) -> str:
        """The value of the hidden `intake_form` field that marks a PDF as ours."""
        return f"ehcp-intake/{self.kind}/v{self.version}"


# Hidden read-only fields every PDF we send carries.
FORM_ID_FIELD = "intake_form"
TOKEN_FIELD = "intake_token"
