"""Table rows as JSON and back, for the export archive: each column's kind is written in the
manifest (`datetime`, `date`, `bytes`, `json` or `plain`), so an archive reads the same into
SQLite or PostgreSQL, and into the schema of its own revision before that is upgraded.
"""

from __future__ import annotations

import base64
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, LargeBinary, Table
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql import column, table
from sqlalchemy.types import TypeEngine

from store import Base, UTCDateTime

KINDS = ("datetime", "date", "bytes", "json", "plain")


def kind_of(type_: TypeEngine[Any]) -> str:
    if isinstance(type_, UTCDateTime | DateTime):
        return "datetime"
    if isinstance(type_, Date):
        return "date"
    if isinstance(type_, LargeBinary):
        return "bytes"
    if isinstance(type_, JSON):
        return "json"
    return "plain"


def kinds_of(model_table: Table) -> list[str]:
    return [kind_of(c.type) for c in model_table.columns]


def model_tables() -> list[Table]:
    """Every table of the models, each after the tables its keys point at."""
    return list(Base.metadata.sorted_tables)


def encode(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind in ("datetime", "date"):
        return value.isoformat()
    if kind == "bytes":
        return base64.b64encode(value).decode("ascii")
    return value


def decode(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "datetime":
        return datetime.fromisoformat(value)
    if kind == "date":
        return date.fromisoformat(value)
    if kind == "bytes":
        return base64.b64decode(value, validate=True)
    return value


def _type_for(kind: str) -> TypeEngine[Any] | None:
    if kind == "datetime":
        return UTCDateTime()
    if kind == "date":
        return Date()
    if kind == "bytes":
        return LargeBinary()
    if kind == "json":
        # none_as_null: a missing value stays SQL NULL, as it was, not the JSON text `null`.
        return JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
    return None


def writable_table(name: str, columns: list[str], kinds: list[str]):
    """A lightweight table to insert decoded rows into, whatever revision the schema is at."""
    return table(name, *(column(c, _type_for(k)) for c, k in zip(columns, kinds, strict=True)))
