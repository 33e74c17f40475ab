"""Measure one reading of the metrics (`read_metrics`, what every scrape of /metrics and every
`intake metrics` costs) over a large database, beside the floor: a bare `SELECT count(*)` of the
inbound messages, the least that any count of them by status can cost.

Run `.venv/bin/python benchmarks/metrics.py [--messages N] [--database-url URL] [--json]`.
The rows are written by SQL in bulk (N inbound messages, 0.1% still `received`; as many outbox
rows, 0.02% pending), into a temporary SQLite file, or into the PostgreSQL database named, which
must be empty and is left filled. Both are timed warm (connected and compiled, as in `intake
serve`): the median of `--repeats` (7) readings, with the spread.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from sqlalchemy import text  # noqa: E402

from intake.views.metrics import read_metrics  # noqa: E402
from store import open_database, upgrade, utcnow  # noqa: E402

FILL = {
    "sqlite": (
        "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < :count) ",
        "datetime('now', '-' || n || ' seconds')",
    ),
    "postgresql": (
        "WITH g(n) AS (SELECT generate_series(1, :count)) ",
        "now() - n * interval '1 s'",
    ),
}


def fill(database, count: int) -> None:
    with_rows, time_of = FILL[database.dialect]
    with database.engine.begin() as connection:
        connection.execute(
            text(
                with_rows + "INSERT INTO inbound_messages (received_at, transport, message_key, "
                "raw_sha256, size, envelope_to, status, reasons, decisions, attempts) "
                f"SELECT {time_of}, 'smtp', 'key-' || n, 'x', 100, '[]', CASE WHEN n % 1000 = 0 "
                "THEN 'received' WHEN n % 7 = 0 THEN 'rejected' ELSE 'accepted' END, '[]', '[]', 0 "
                "FROM g"
            ),
            {"count": count},
        )
        connection.execute(
            text(
                with_rows + "INSERT INTO outbox (created_at, kind, to_address, subject, "
                f"message_id, status, attempts) SELECT {time_of}, 'confirmation', "
                "'a@school.example', 's', "
                "'<m-' || n || '@intake.example>', CASE WHEN n % 5000 = 0 THEN 'pending' "
                "WHEN n % 9000 = 0 THEN 'failed' ELSE 'sent' END, 0 FROM g"
            ),
            {"count": count},
        )
    with database.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(
            text("VACUUM ANALYZE" if database.dialect == "postgresql" else "ANALYZE")
        )


def timed(work, repeats: int) -> list[float]:
    work()  # connected and compiled first: warm, as in `intake serve`
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: SQLite)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="intake-metrics-bench-") as home:
        url = args.database_url or f"sqlite:///{Path(home) / 'intake.db'}"
        upgrade(url)
        database = open_database(url)
        started = time.perf_counter()
        fill(database, args.messages)
        filled = time.perf_counter() - started

        def read() -> None:
            with database.session() as session:
                read_metrics(session, utcnow())

        def floor() -> None:
            with database.session() as session:
                session.execute(text("SELECT count(*) FROM inbound_messages")).scalar_one()

        results = {
            "database": database.dialect,
            "messages": args.messages,
            "fill_seconds": round(filled, 1),
            "read_metrics_ms": timed(read, args.repeats),
            "floor_count_ms": timed(floor, args.repeats),
        }
        database.close()
    if args.json:
        print(json.dumps(results))
        return 0
    print(f"{results['database']}, {args.messages:,} inbound messages and outbox rows")
    for name, label in (("read_metrics_ms", "read_metrics"), ("floor_count_ms", "floor count")):
        times = results[name]
        print(
            f"  {label:<14} median {statistics.median(times):8.1f} ms  "
            f"(min {min(times):.1f}, max {max(times):.1f})"
        )
    ratio = statistics.median(results["read_metrics_ms"]) / statistics.median(
        results["floor_count_ms"]
    )
    print(f"  read_metrics / floor: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
