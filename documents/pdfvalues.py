"""The mapping between answers (field name to canonical value) and AcroForm field values.

Going out, a date becomes dd/mm/yyyy and a multi-choice one checkbox per option; coming back,
the reverse, with line endings and spacing normalised whichever viewer saved the form.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from documents.schema import FieldType, FormDefinition
from documents.validators import format_date, parse_date


def pdf_values(form: FormDefinition, answers: Mapping[str, Any]) -> dict[str, str | bool]:
    """AcroForm values (PDF field name to text or checkbox state) for a set of answers."""
    out: dict[str, str | bool] = {}
    for f in form.fields():
        value = answers.get(f.name)
        if value is None:
            continue
        if f.type is FieldType.MULTI_CHOICE:
            chosen = set(value)
            for i, choice in enumerate(f.choices):
                out[f.option_pdf_name(i)] = choice in chosen
        elif f.type is FieldType.CHECKBOX:
            out[f.pdf_name] = bool(value)
        elif f.type is FieldType.DATE and isinstance(value, str) and parse_date(value):
            out[f.pdf_name] = format_date(parse_date(value).isoformat())
        else:
            out[f.pdf_name] = str(value)
    return out


def prefill_values(form: FormDefinition, known: Mapping[str, Any]) -> dict[str, Any]:
    """Answers the service can give itself: each field whose `prefill` key it knows."""
    return {
        f.name: known[f.prefill]
        for f in form.fields()
        if f.prefill is not None and known.get(f.prefill) not in (None, "")
    }


def normalise_text(text: str) -> str:
    """Viewers differ: PDFium saves line breaks as CR LF, some as CR alone."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def answers_from_pdf(form: FormDefinition, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Answers by field name from the values read out of a PDF (PDF name to value)."""
    answers: dict[str, Any] = {}
    for f in form.fields():
        if f.type is FieldType.MULTI_CHOICE:
            answers[f.name] = [
                choice
                for i, choice in enumerate(f.choices)
                if _ticked(fields.get(f.option_pdf_name(i)))
            ]
            continue
        raw = fields.get(f.pdf_name)
        if f.type is FieldType.CHECKBOX:
            answers[f.name] = _ticked(raw)
        elif isinstance(raw, list):
            answers[f.name] = normalise_text(", ".join(str(v) for v in raw))
        elif raw is None:
            answers[f.name] = None
        else:
            answers[f.name] = normalise_text(str(raw))
    return answers


def _ticked(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    # Some engines report a checkbox by its on-state name instead of a boolean.
    return isinstance(raw, str) and raw.strip().lstrip("/") not in ("", "Off", "off", "No")
