"""Measure the caseworkers' dashboard at scale: the server time of the queue page and of a case
page with 100,000 cases and 1,000,000 inbound messages in the database, on SQLite and on
PostgreSQL, beside a floor measured in the same run.

Run `.venv/bin/python benchmarks/portal.py [--cases N] [--messages M] [--db sqlite|postgresql|both]
[--requests 30] [--keep] [--reuse URL] [--json]`.

Each database is migrated by the service itself (`open_services`) and then seeded by
benchmarks/portal_seed.py (what it makes, and how, is said there); PostgreSQL gets a database of
its own (`--pg-database`, by default `bench_portal`, beside `--pg-url`'s), dropped afterwards.
`--keep` keeps the seeded database and prints its URL; `--reuse URL` measures such a database
again without seeding.

Pages are served by the real app (`portal.create_app`) in-process through Starlette's
TestClient, signed in as a caseworker through the real sign-in pages (password, then the
emailed code). Server time is measured inside the ASGI app, from the request's arrival to the
last byte of its answer; client overhead is left out. Each page is asked for `--requests` times
after three warm-up requests; the median and the 95th percentile are printed, with the ratio of
the median to the floor's: `/healthz` (the same app, middleware and a `SELECT 1`). The
median CPU time of this process per request is printed too: on a shared machine it shows the
work apart from waiting for a core (PostgreSQL's own work is not in it; SQLite's is). The signed-in
home page is printed too: the session's own cost. Pages: the queue as it opens (held mail), each
of its lists, page 50 of the rejected list, a search by case reference and by sender, a typical
case and the busiest case (25 advice requests answered twice, five request versions). Each view
of a case is audited, as in service, so the case's audit trail grows by one per request.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "benchmarks")]

from portal_seed import probe_cases, seed  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402
from web_client import PASSWORD, Visitor, active_account  # noqa: E402

from intake.services import Services, open_services  # noqa: E402
from intake.settings import load_settings  # noqa: E402
from intake.views.queue_lists import QUEUE_LISTS  # noqa: E402
from portal import create_app  # noqa: E402
from store import Case, InboundMessage, OutboxMessage, Professional  # noqa: E402

TARGET_MS = 150.0
WARM_UP = 3
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
PG_DATABASE = "bench_portal"  # the default of --pg-database
CODE = re.compile(r"^\s+(\d{6})$", re.M)


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class ServerClock:
    """The app, timed from a request's arrival to the last byte of its answer."""

    def __init__(self, app: Any) -> None:
        self.app, self.last, self.last_cpu = app, 0.0, 0.0

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, started_cpu = time.perf_counter(), time.process_time()

        async def timed_send(message) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                self.last = time.perf_counter() - started
                self.last_cpu = time.process_time() - started_cpu

        await self.app(scope, receive, timed_send)


def open_home(home: Path, url: str) -> Services:
    environ = {"INTAKE_HOME": str(home), "INTAKE_SECRET_KEY": "benchmark key",
               "INTAKE_DATABASE_URL": url, "INTAKE_LOG_LEVEL": "WARNING"}  # fmt: skip
    return open_services(load_settings(environ=environ, toml_path=None))


@contextmanager
def postgresql_database(admin_url: str, name: str, keep: bool) -> Iterator[str]:
    """A fresh database `name` beside the admin URL's, dropped afterwards unless kept."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")
    base = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    try:
        yield f"{base}/{name}"
    finally:
        if not keep:
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def signed_in_caseworker(services: Services, clock: ServerClock) -> Visitor:
    """A caseworker account of its own (a kept database is measured again with a new one, under
    the outbox's per-recipient limit), signed in through the pages."""
    email = f"bench.cw.{time.time_ns()}@council.example.gov.uk"
    account = active_account(services, email)
    with services.db.session() as session:
        session.get(Professional, account.id).is_caseworker = True
    visitor = Visitor("http://testserver")
    visitor.http.close()
    visitor.http = TestClient(clock, base_url="http://testserver", follow_redirects=False)
    visitor.get("/sign-in")
    assert visitor.post("/sign-in", {"email": email, "password": PASSWORD}).status_code == 303
    visitor.get("/sign-in/code")
    with services.db.session() as session:
        raw = session.scalar(
            select(OutboxMessage.raw)
            .where(OutboxMessage.kind == "one_time_code", OutboxMessage.to_address == email)
            .order_by(OutboxMessage.id.desc())
        )
    code = CODE.search(raw.decode("utf-8", "replace").replace("=\r\n", "")).group(1)
    response = visitor.post("/sign-in/code", {"code": code})
    assert response.headers.get("location") == "/", "the caseworker could not sign in"
    return visitor


def pages(typical: str, busy: str, sender: str) -> list[tuple[str, str, str]]:
    """(group, label, path): what a caseworker clicks."""
    found = [
        ("floor", "/healthz (floor)", "/healthz"),
        ("info", "signed-in home page", "/"),
        ("queue", "queue as it opens", "/queue"),
    ]
    found += [("queue", f"queue: {q.name}", f"/queue?status={q.name}") for q in QUEUE_LISTS]
    found += [
        ("queue", "queue: rejected, page 50", "/queue?status=rejected&page=50"),
        ("queue", "queue: search a case reference", f"/queue?status=rejected&q={typical}"),
        ("queue", "queue: search a sender", f"/queue?status=rejected&q={sender}"),
        ("case", f"case page, typical ({typical})", f"/cases/{typical}"),
        ("case", f"case page, busiest ({busy})", f"/cases/{busy}"),
    ]
    return found


def measure(visitor: Visitor, clock: ServerClock, path: str, requests: int) -> dict[str, float]:
    seconds, cpu = [], []
    for n in range(WARM_UP + requests):
        response = visitor.http.get(path)
        assert response.status_code == 200, (path, response.status_code)
        if n >= WARM_UP:
            seconds.append(clock.last)
            cpu.append(clock.last_cpu)
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return {"median_ms": round(statistics.median(ms), 2), "p95_ms": round(p95, 2),
            "cpu_ms": round(statistics.median(cpu) * 1000, 2),
            "bytes": len(response.content)}  # fmt: skip


def measure_database(name: str, url: str, home: Path, args, reuse: bool) -> dict[str, Any]:
    services = open_home(home, url)
    figures: dict[str, Any] = {"database": name}
    try:
        if not reuse:
            say(f"{name}: seeding {args.cases:,} cases and {args.messages:,} messages")
            started = time.perf_counter()
            rows = seed(url, args.cases, args.messages, datetime.now(UTC), say)
            figures["seed_seconds"] = round(time.perf_counter() - started, 1)
            figures["rows"] = rows
            say(f"{name}: seeded in {figures['seed_seconds']} s")
        with services.db.session() as session:
            figures["cases"] = session.scalar(select(func.count()).select_from(Case))
            figures["messages"] = session.scalar(select(func.count()).select_from(InboundMessage))
        with services.db.engine.connect() as connection:
            typical, busy, sender = probe_cases(connection)
        clock = ServerClock(create_app(services))
        visitor = signed_in_caseworker(services, clock)
        results = []
        for group, label, path in pages(typical, busy, sender):
            result = measure(visitor, clock, path, args.requests)
            results.append({"group": group, "page": label, "path": path, **result})
            say(f"{name}: {label}: median {result['median_ms']} ms")
        floor = results[0]["median_ms"]
        for result in results:
            result["x_floor"] = round(result["median_ms"] / floor, 1)
            if result["group"] in ("queue", "case"):
                result["verdict"] = "PASS" if result["median_ms"] <= TARGET_MS else "BELOW"
        figures["pages"] = results
        visitor.close()
    finally:
        services.close()
    return figures


def run_database(name: str, args) -> dict[str, Any]:
    if args.reuse:
        with tempfile.TemporaryDirectory() as folder:
            return measure_database(name, args.reuse, Path(folder), args, reuse=True)
    folder = Path(tempfile.mkdtemp(prefix=f"bench-portal-{name}-"))
    try:
        if name == "postgresql":
            with postgresql_database(args.pg_url, args.pg_database, args.keep) as url:
                figures = measure_database(name, url, folder, args, reuse=False)
        else:
            url = f"sqlite:///{folder / 'intake.db'}"
            figures = measure_database(name, url, folder, args, reuse=False)
        if args.keep:
            figures["kept"] = url
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    return figures


def print_figures(runs: list[dict[str, Any]]) -> None:
    print("Server time per page, in-process ASGI (Starlette TestClient), signed-in caseworker;")
    print(f"target: median <= {TARGET_MS:.0f} ms for the queue and case pages.")
    for figures in runs:
        print()
        print(
            f"{figures['database']}: {figures['cases']:,} cases, {figures['messages']:,} inbound"
            " messages" + (f", seeded in {figures['seed_seconds']} s" if "seed_seconds" in figures
                           else " (reused)")
        )  # fmt: skip
        if "kept" in figures:
            print(f"  kept: --reuse {figures['kept']}")
        print(f"  {'page':48} {'median ms':>9} {'p95 ms':>7} {'x floor':>7} {'cpu ms':>7}  verdict")
        for r in figures["pages"]:
            print(
                f"  {r['page'][:48]:48} {r['median_ms']:9.1f} {r['p95_ms']:7.1f}"
                f" {r['x_floor']:7.1f} {r['cpu_ms']:7.1f}  {r.get('verdict', '')}"
            )
    verdicts = [r["verdict"] for f in runs for r in f["pages"] if "verdict" in r]
    print()
    print(f"overall: {'PASS' if all(v == 'PASS' for v in verdicts) else 'BELOW'}"
          f" ({verdicts.count('PASS')} of {len(verdicts)} pages within target)")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
    parser.add_argument("--pg-url", default=PG_ADMIN_URL, help="where to create the database")
    parser.add_argument("--pg-database", default=PG_DATABASE, help="the database made there")
    parser.add_argument("--keep", action="store_true", help="keep the seeded database")
    parser.add_argument("--reuse", metavar="URL", help="measure a kept database, no seeding")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.cases < 10 or args.messages < 1 or args.requests < 1:
        parser.error("--cases must be at least 10, --messages and --requests at least 1")
    if not args.pg_database.isidentifier():
        parser.error("--pg-database must be a plain name (letters, digits, underscores)")
    if args.reuse:
        names = ["postgresql" if args.reuse.startswith("postgres") else "sqlite"]
    else:
        names = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    runs = [run_database(name, args) for name in names]
    if args.json:
        print(json.dumps(runs))
    else:
        print_figures(runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
