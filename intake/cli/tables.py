"""Listings: for people, rows under headings, in columns, with a dash where there is no value and
times in the service's time zone; with `--json`, one JSON object per line, in the shape the
listing's own function gives (ARCHITECTURE.md section 5), untouched here."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

Row = Mapping[str, Any]
# A heading and what goes under it: a key of the row, or a function of the row.
Column = tuple[str, str | Callable[[Row], Any]]

NOTHING = "-"


def print_rows(rows: Sequence[Row], as_json: bool, columns: Sequence[Column], empty: str) -> None:
    """Rows as JSON lines, or as a table; `empty` says there are none, to a person only."""
    if as_json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False, default=str))
    elif rows:
        print_table(rows, columns)
    else:
        print(empty)


def print_table(rows: Iterable[Row], columns: Sequence[Column]) -> None:
    cells = [[cell(_value(row, source)) for _, source in columns] for row in rows]
    headings = [heading for heading, _ in columns]
    widths = [max(len(text) for text in column) for column in zip(headings, *cells, strict=True)]
    for line in [headings, *cells]:
        padded = (text.ljust(width) for text, width in zip(line, widths, strict=True))
        print("  ".join(padded).rstrip())


def cell(value: Any) -> str:
    if value is None or value == "":
        return NOTHING
    if isinstance(value, bool):
        return "yes" if value else "no"
    # One line per row: a line break in an error or a subject would break the columns.
    return " ".join(str(value).split())


def local_time(zone: str) -> Callable[[str | None], str | None]:
    """ISO time text as `YYYY-MM-DD HH:MM` in `zone`; a date, or anything else, as it is."""

    def shown(text: str | None) -> str | None:
        try:
            moment = datetime.fromisoformat(text) if text else None
        except (TypeError, ValueError):
            return text
        if moment is None or moment.tzinfo is None:
            return text
        return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")

    return shown


def _value(row: Row, source: str | Callable[[Row], Any]) -> Any:
    return source(row) if callable(source) else row.get(source)
