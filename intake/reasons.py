"""Why a message ended as it did, as data on its row (code, step, field, form, params), worded
only where it is shown, from documents' rejections.toml."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from documents import FormDefinition, Rejection, describe


def reason(
    code: str,
    step: int | None = None,
    field: str | None = None,
    form: str | None = None,
    **params: Any,
) -> dict[str, Any]:
    """A reason as stored on the message row: data, worded only where it is shown."""
    return {"code": code, "step": step, "field": field, "form": form, "params": params}


def from_rejection(r: Rejection, form: FormDefinition) -> dict[str, Any]:
    return reason(r.code, r.step, r.field, form.kind, **dict(r.params))


def worded(reasons: Iterable[dict[str, Any]], form: FormDefinition | None = None) -> list[str]:
    return [
        describe(Rejection(r["code"], r["step"], r["field"], r["params"]), form) for r in reasons
    ]
