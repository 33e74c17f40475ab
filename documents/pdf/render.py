"""Render a form as a fillable PDF, pre-filled with answers and carrying a signed token.

The blank form is drawn once per form kind and version (`render_layout`) and kept in memory;
each personalised copy is the blank one plus an incremental update holding its values
(`render_fill`), which is several times faster than drawing the form again.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

from documents.pdf.fill import fill_update
from documents.pdf.layout import draw_blank_form
from documents.pdf.marks import FormProblem, mark_problems
from documents.pdf.template import FormTemplate, read_template
from documents.pdfvalues import pdf_values
from documents.schema import TOKEN_FIELD, FormDefinition

_templates: dict[tuple[str, int], tuple[FormDefinition, FormTemplate]] = {}
_templates_lock = threading.Lock()


def render_form(
    form: FormDefinition,
    *,
    values: Mapping[str, Any] | None = None,
    token: str = "",
    problems: Sequence[FormProblem] = (),
) -> bytes:
    """The fillable PDF of `form` with `values` (answers by field name) and `token` filled in,
    and, when a reply lists `problems`, pages listing them first and their fields framed."""
    template = blank_template(form)
    filled = pdf_values(form, values) if values else {}
    if token:
        filled[TOKEN_FIELD] = token
    if not filled and not problems:
        return template.pdf
    update = fill_update(template, filled)
    mark_problems(update, form, problems)
    return update.finish()


def blank_template(form: FormDefinition) -> FormTemplate:
    """The cached blank form for `form`'s kind and version, drawn on first use."""
    key = (form.kind, form.version)
    cached = _templates.get(key)
    if cached is not None and _same_form(cached[0], form):
        return cached[1]
    with _templates_lock:
        cached = _templates.get(key)
        if cached is not None and _same_form(cached[0], form):
            return cached[1]
        template = read_template(draw_blank_form(form))
        _templates[key] = (form, template)
        return template


def _same_form(cached: FormDefinition, form: FormDefinition) -> bool:
    # A definition edited without a new version (in development, or in a test) must not be
    # served the old drawing.
    return cached is form or (cached.title, cached.intro, cached.steps) == (
        form.title,
        form.intro,
        form.steps,
    )
