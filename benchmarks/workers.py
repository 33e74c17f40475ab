"""Measure how many valid form replies a second a deployment processes and answers with 1, 2 and
4 worker processes on PostgreSQL, beside one worker on SQLite and beside the ceiling that
benchmarks/ingest.py prints (MIME parse and PDF field read alone, on every CPU), in one run.

Run `.venv/bin/python benchmarks/workers.py [--messages N] [--workers 1,2,4] [--json]`. It needs
PostgreSQL as the tests find it (INTAKE_TEST_POSTGRES_URL, else 127.0.0.1:5432, else a
throwaway cluster) and makes a scratch database per run.

Each run is the real thing: `intake serve --workers N` (on SQLite `intake serve`, one worker in
its process) with outbound mail written as .eml files, the default. The same messages (ingest.py's
valid replies, each for a child of its own as requests mostly are) are captured as the SMTP
listener captures them while the workers are paused (SIGSTOP), after a warm-up message per
worker; the clock runs from SIGCONT until every message is processed and every reply sent.
Read the figures beside the load average printed with them: on a machine busy with other work,
N processes also win N shares of the CPUs from it, and more workers look better than they are.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import date, timedelta
from pathlib import Path

from ingest import REPLIES_PER_SENDER, ROOT, add_senco, measure_ceiling, valid_reply
from mail_factory import TRUSTED_AUTHSERV
from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from documents.forms.request_example import REQUEST_EXAMPLE
from documents.validators import upn_check_letter
from intake.receive.capture import capture_message
from intake.services import Services, open_services
from intake.settings import load_settings
from store import InboundMessage, InboundStatus, OutboxMessage, OutboxStatus, Transport

TARGET_TWO_OVER_ONE = 1.8
TARGET_OVER_CEILING = 0.6
SECRET_KEY = "benchmarks/workers.py key, never used outside this benchmark"
START_TIMEOUT_S = 120.0
RUN_TIMEOUT_S = 300.0


def child_answers(serial: int) -> dict:
    """REQUEST_EXAMPLE for a child of its own: another UPN, NHS number and birthday."""
    body = f"856234{serial:06d}"
    nhs = next(n for k in range(10) if (n := _nhs_number(f"4{serial:07d}{k}")))
    born = date(2012, 1, 1) + timedelta(days=serial % 3000)
    return {
        **REQUEST_EXAMPLE,
        "upn": upn_check_letter(body) + body,
        "nhs_number": nhs,
        "date_of_birth": born.isoformat(),
    }


def _nhs_number(nine: str) -> str | None:
    check = 11 - sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True)) % 11
    return None if check == 10 else nine + str(check % 11)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(home: Path, database_url: str) -> dict[str, str]:
    return {
        "INTAKE_HOME": str(home),
        "INTAKE_DATABASE_URL": database_url,
        "INTAKE_SECRET_KEY": SECRET_KEY,
        "INTAKE_TRUSTED_AUTHSERV": TRUSTED_AUTHSERV,
        "INTAKE_SMTP_LISTEN": f"127.0.0.1:{free_port()}",
        "INTAKE_WEB_LISTEN": f"127.0.0.1:{free_port()}",
        "INTAKE_LOG_LEVEL": "WARNING",
    }


def settled(engine: Engine) -> tuple[int, int, int]:
    """(messages done, emails sent, emails not yet sent)."""
    waiting = (InboundStatus.RECEIVED, InboundStatus.PROCESSING, InboundStatus.FAILED)
    with engine.connect() as connection:
        done = connection.scalar(
            select(func.count())
            .select_from(InboundMessage)
            .where(InboundMessage.status.not_in(waiting))
        )
        by_status = dict(
            connection.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            ).all()
        )
    sent = by_status.pop(OutboxStatus.SENT, 0)
    return done, sent, sum(by_status.values())


def wait_until_answered(services: Services, messages: int, timeout: float) -> None:
    # A plain engine that only reads: the service's own takes SQLite's write lock for every
    # transaction (BEGIN IMMEDIATE), and the looking must not queue with the workers' writes.
    engine = create_engine(services.db.url, poolclass=NullPool)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                done, sent, unsent = settled(engine)
            except OperationalError:
                done = sent = unsent = -1  # busy: look again
            if done == messages and sent >= messages and unsent == 0:
                return
            if time.monotonic() > deadline:
                raise SystemExit(f"gave up: {done}/{messages} done, {sent} sent, {unsent} unsent")
            time.sleep(0.1)
    finally:
        engine.dispose()


class Deployment:
    """`intake serve [--workers N]` in the background, its stderr kept in a file."""

    def __init__(self, env: dict[str, str], workers: int, log: Path) -> None:
        self.log_path = log
        self.workers = workers
        command = [sys.executable, "-m", "intake.cli.main", "serve"]
        if workers > 1:
            command += ["--workers", str(workers)]
        full_env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")},
            "PYTHONPATH": str(ROOT),
            **env,
        }
        with log.open("w") as out:
            self.process = subprocess.Popen(command, env=full_env, stderr=out, cwd=log.parent)
        self.worker_pids = self._wait_until_serving()

    def _wait_until_serving(self) -> list[int]:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            log = self.log_path.read_text(errors="replace")
            ready = log.count(" ready;") >= self.workers if self.workers > 1 else True
            if "intake: serving" in log and ready:
                break
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"intake serve did not start:\n{log}")
            time.sleep(0.1)
        if self.workers == 1:
            return [self.process.pid]
        line = next(x for x in log.splitlines() if "intake: serving" in x)
        return [int(p) for p in line.split("worker processes (")[1].split(")")[0].split(", ")]

    def pause(self) -> None:
        for pid in self.worker_pids:
            os.kill(pid, signal.SIGSTOP)

    def resume(self) -> None:
        for pid in self.worker_pids:
            os.kill(pid, signal.SIGCONT)

    def stop(self) -> None:
        self.resume()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def measure(
    parent: Path, name: str, database_url: str, workers: int, messages: list[bytes], warm: list
) -> dict[str, object]:
    home = parent / name
    env = environment(home, database_url)
    services = open_services(load_settings(environ=env, toml_path=None))
    deployment = None
    try:
        senders = -(-(len(messages) + len(warm)) // REPLIES_PER_SENDER)
        ids = [add_senco(services, n).id for n in range(senders)]
        if ids != list(range(1, senders + 1)):
            raise SystemExit(f"{name}: the senders' ids are {ids[:3]}..., the tokens name 1...")
        deployment = Deployment(env, workers, home.parent / f"{name}.log")
        # One warm-up message per worker: each starts its PDF reader and fills its caches.
        for raw in warm[:workers]:
            capture_message(services, raw, Transport.SMTP)
        wait_until_answered(services, workers, RUN_TIMEOUT_S)
        deployment.pause()
        for raw in messages:
            capture_message(services, raw, Transport.SMTP)
        start = time.perf_counter()
        deployment.resume()
        wait_until_answered(services, workers + len(messages), RUN_TIMEOUT_S)
        seconds = time.perf_counter() - start
        with services.db.session() as session:
            statuses = dict(
                session.execute(
                    select(InboundMessage.status, func.count()).group_by(InboundMessage.status)
                ).all()
            )
        sent_files = list((home / "outbox-sent").glob("*.eml"))
        # The file name ends with the Message-ID: one file per Message-ID, or a reply went twice.
        distinct = {path.name.split("-", 1)[1] for path in sent_files}
        return {
            "name": name,
            "workers": workers,
            "messages": len(messages),
            "seconds": seconds,
            "per_second": len(messages) / seconds,
            "statuses": {str(k): v for k, v in statuses.items()},
            "emails_sent": len(sent_files),
            "emails_distinct": len(distinct),
        }
    finally:
        if deployment is not None:
            deployment.stop()
        services.close()


def run(count: int, worker_counts: list[int]) -> dict[str, object]:
    sys.path.insert(0, str(ROOT / "tests"))
    from db_fixtures import scratch_postgres_database

    # Other work on the machine moves every figure: the load is printed beside them.
    started_load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="intake-bench-workers-") as folder:
        parent = Path(folder)
        maker = open_services(load_settings(environ=environment(parent / "maker", "sqlite:///"
                              + str(parent / "maker.db")), toml_path=None))  # fmt: skip
        try:
            senders = [add_senco(maker, n) for n in range(-(-(count + 4) // REPLIES_PER_SENDER))]
            built = [
                valid_reply(maker, senders[n % len(senders)], n, values=child_answers(n))[0]
                for n in range(1, count + 5)
            ]
        finally:
            maker.close()
        warm, messages = built[:4], built[4:]
        runs = []
        with ExitStack() as stack:
            plan = [("sqlite-1", f"sqlite:///{parent / 'sqlite-1.db'}", 1)]
            for n in worker_counts:
                plan.append(
                    (f"postgresql-{n}", stack.enter_context(scratch_postgres_database()), n)
                )
            for name, url, n in plan:
                try:
                    runs.append(measure(parent, name, url, n, messages, warm))
                except SystemExit as failed:
                    # One deployment that does not finish is a figure missing, not the others.
                    runs.append({"name": name, "workers": n, "error": str(failed)})
        ceiling = measure_ceiling(messages)
    return {
        "cpu_count": os.cpu_count(),
        "runs": runs,
        "ceiling": ceiling,
        "load_average": {"start": started_load, "end": os.getloadavg()[0]},
    }


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def print_report(report: dict[str, object]) -> None:
    runs = {r["name"]: r for r in report["runs"] if "error" not in r}
    ceiling = report["ceiling"]["per_second"]
    one = runs.get("postgresql-1", {}).get("per_second")
    load = report["load_average"]
    print(
        f"Workers: valid replies processed and answered, {report['cpu_count']} CPUs"
        f" (load average {load['start']:.1f} at the start, {load['end']:.1f} at the end)\n"
    )
    print(f"{'deployment':<16}{'messages':>9}{'seconds':>9}{'per s':>8}{'x 1 PG':>8}{'x ceil':>8}")
    for r in report["runs"]:
        if "error" in r:
            print(f"{r['name']:<16} did not finish: {r['error']}")
            continue
        ratio = f"{r['per_second'] / one:.2f}" if one else "-"
        print(
            f"{r['name']:<16}{r['messages']:>9}{r['seconds']:>9.1f}{r['per_second']:>8.1f}"
            f"{ratio:>8}{r['per_second'] / ceiling:>8.2f}   statuses {r['statuses']},"
            f" emails {r['emails_sent']} ({r['emails_distinct']} distinct)"
        )
    print(
        f"{'ceiling':<16}{'':>9}{'':>9}{ceiling:>8.1f}{'':>8}{1:>8.2f}   parse + field read"
        f" alone on all {report['ceiling']['processes']} CPUs (benchmarks/ingest.py)"
    )
    two = runs.get("postgresql-2", {}).get("per_second")
    if one and two:
        print(
            f"\n2 workers / 1 worker on PostgreSQL: {two / one:.2f}x"
            f" (target >= {TARGET_TWO_OVER_ONE}x: {verdict(two / one >= TARGET_TWO_OVER_ONE)})"
        )
        print(
            f"2 workers / ceiling: {two / ceiling:.2f}x"
            f" (target >= {TARGET_OVER_CEILING}x: {verdict(two / ceiling >= TARGET_OVER_CEILING)})"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200, help="replies per run")
    parser.add_argument("--workers", default="1,2,4", help="worker counts on PostgreSQL")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    try:
        counts = [int(n) for n in args.workers.split(",")]
    except ValueError:
        parser.error("--workers is a list of whole numbers such as 1,2,4")
    if args.messages < 10 or not counts or min(counts) < 1:
        parser.error("--messages is at least 10 and each worker count at least 1")
    report = run(args.messages, counts)
    if args.json:
        print(json.dumps(report))
    else:
        print_report(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
