"""Turn a `Rejection` into one sentence a professional understands, naming the question by label.

The sentences live in `templates/reasons.toml`, with every other sentence a person reads (prose in
data files, not in code; the `templates` package is data only, so documents still imports no code of
ours); this module only chooses one and fills its placeholders. It never raises on a rejection: an
unknown code gets a general sentence with the code, a missing value leaves its placeholder blank.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from documents.schema import Field, FormDefinition, Group, Rejection

# Values the professional typed are quoted back; a whole paragraph would bury the sentence.
MAX_QUOTED_VALUE = 60
# Lengths read better as 4,001; other numbers (years above all) must not gain a comma.
_COUNTS_OF_CHARACTERS = ("limit", "length")
_ROW_FIELD = re.compile(r"(?P<group>\w+)\[(?P<row>\d+)\]\.(?P<field>\w+)")


@dataclass(frozen=True)
class RejectionTexts:
    """templates/reasons.toml: a sentence per code and per required-because rule, fallbacks."""

    by_code: Mapping[str, str]
    by_rule: Mapping[str, str]
    by_unreadable_outcome: Mapping[str, str]
    unknown: str
    whole_form: str


@cache
def rejection_texts() -> RejectionTexts:
    """templates/reasons.toml, read once."""
    source = resources.files("templates").joinpath("reasons.toml").read_text(encoding="utf-8")
    data = tomllib.loads(source)
    fallback = data.get("fallback", {})
    return RejectionTexts(
        by_code={code: text for code, text in data.items() if isinstance(text, str)},
        by_rule=dict(data.get("because", {})),
        by_unreadable_outcome=dict(data.get("unreadable-pdf", {})),
        unknown=fallback.get("unknown", "There is a problem with {label} (reference: {code})."),
        whole_form=fallback.get("whole-form", "the form"),
    )


def describe(rejection: Rejection, form: FormDefinition | None = None) -> str:
    """One sentence about `rejection`, using `form` (when given) for the questions' labels."""
    texts = rejection_texts()
    values = _placeholder_values(rejection, form, texts)
    template = _template(rejection, texts)
    try:
        return template.format_map(_BlankWhenMissing(values))
    except (ValueError, IndexError, AttributeError, KeyError):
        # A malformed sentence in the data file must not stop a reply from going out.
        return texts.unknown.format_map(_BlankWhenMissing(values))


def _template(rejection: Rejection, texts: RejectionTexts) -> str:
    code, params = rejection.code, rejection.params
    if code == "required-because" and params.get("rule") in texts.by_rule:
        return texts.by_rule[params["rule"]]
    if code == "pdf-unreadable" and params.get("outcome") in texts.by_unreadable_outcome:
        return texts.by_unreadable_outcome[params["outcome"]]
    if code == "number-out-of-range":
        # A field with only one bound cannot say "between".
        if params.get("minimum") is None and params.get("maximum") is not None:
            code = "number-above-maximum"
        elif params.get("maximum") is None and params.get("minimum") is not None:
            code = "number-below-minimum"
    if code == "needs-not-described" and (params.get("minimum") or 0) <= 1:
        code = "needs-not-described-at-all"  # "1 characters or more" would read oddly
    return texts.by_code.get(code, texts.unknown)


class _BlankWhenMissing(dict):
    def __missing__(self, key: str) -> str:
        return ""


def _placeholder_values(
    rejection: Rejection, form: FormDefinition | None, texts: RejectionTexts
) -> dict[str, str]:
    values = {name: _plain(value) for name, value in rejection.params.items()}
    for name in _COUNTS_OF_CHARACTERS:
        if isinstance(rejection.params.get(name), int):
            values[name] = f"{rejection.params[name]:,}"
    for typed in ("value", "outcome"):
        if typed in rejection.params:
            values[typed] = _shorten(_plain(rejection.params[typed]))
    if "other" in rejection.params:
        values["other"] = _quoted(question_label(str(rejection.params["other"]), form))
    if isinstance(rejection.params.get("fields"), list | tuple):
        values["fields"] = _one_of(
            [_quoted(question_label(str(name), form)) for name in rejection.params["fields"]]
        )
    values["code"] = rejection.code
    values["step"] = "" if rejection.step is None else str(rejection.step)
    values["label"] = (
        _quoted(question_label(rejection.field, form)) if rejection.field else texts.whole_form
    )
    if "row" not in values and rejection.field and (m := _ROW_FIELD.fullmatch(rejection.field)):
        values["row"] = m["row"]
    return values


def question_label(name: str, form: FormDefinition | None = None) -> str:
    """The label a professional sees for field or group `name`; row fields name their row."""
    found = _find(form, name) if form else None
    if isinstance(found, Group):
        return found.label
    if isinstance(found, Field):
        if found.group is not None and found.row is not None:
            group = _find(form, found.group)
            group_label = group.label if isinstance(group, Group) else _humanise(found.group)
            return f"{group_label}, row {found.row}: {found.label}"
        return found.label
    if m := _ROW_FIELD.fullmatch(name):
        return f"{_humanise(m['group'])}, row {m['row']}: {_humanise(m['field'])}"
    return _humanise(name)


def _find(form: FormDefinition, name: str) -> Field | Group | None:
    for s in form.steps:
        for group in s.groups:
            if group.name == name:
                return group
        for f in s.fields:
            if f.name == name:
                return f
    return None


def _humanise(name: str) -> str:
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def _quoted(label: str) -> str:
    return f"“{label}”"


def _one_of(labels: list[str]) -> str:
    if len(labels) <= 1:
        return "".join(labels)
    return f"{', '.join(labels[:-1])} or {labels[-1]}"


def _plain(value: Any) -> str:
    """A parameter as text: 100.0 reads as 100, a list as a comma-separated list."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value)
    return str(value)


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= MAX_QUOTED_VALUE:
        return text
    return text[: MAX_QUOTED_VALUE - 1].rstrip() + "…"
