"""What several migrations share."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from alembic import op
from alembic.operations import BatchOperations


@contextmanager
def batch_alter(table: str) -> Iterator[BatchOperations]:
    """`op.batch_alter_table`, without SQLAlchemy's warning that it cannot reflect the
    expression index on professionals (SQLite's table copy reads the tables' keys point at;
    that index is on none of the tables the migrations alter and is left as it is)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based")
        with op.batch_alter_table(table) as batch:
            yield batch
