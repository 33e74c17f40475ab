"""The reply to a form with problems: every problem at once, by step, with the sender's own form
returned with their answers so that nothing is typed again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from documents import FormDefinition, Rejection, describe
from intake.pipeline.context import Context
from intake.replies import form_pdf


def problems_reply(
    ctx: Context,
    form: FormDefinition,
    token: str | None,
    answers: dict[str, Any],
    problems: Sequence[Rejection],
) -> None:
    steps = []
    for s in form.steps:
        here = [describe(p, form) for p in problems if p.step == s.number]
        if here:
            steps.append({"number": s.number, "title": s.title, "messages": here})
    ctx.reply(
        "problems",
        {"count": len(problems), "steps": steps, "form_name": f"{form.kind} form"},
        attachments=[form_pdf(form, token or "", answers, problems)],
        token=token,
    )
