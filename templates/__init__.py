"""Jinja2 templates: emails (a .txt and .html pair each), web pages, rejection texts.

Prose lives here, not in code: a check returns data, and a template turns it into words.
"""

from __future__ import annotations

from functools import cache

import jinja2


@cache
def environment() -> jinja2.Environment:
    """One shared environment; HTML templates are autoescaped, text ones are not."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("templates", ""),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
