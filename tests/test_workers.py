"""Many workers on one PostgreSQL database, as real processes: `intake worker` and
`intake serve --workers N` against a real Dovecot mailbox and an aiosmtpd relay sink.

One process holds the IMAP watcher and one the scheduler; when the holder is killed outright
another takes both over within seconds, and mail sent before and after is processed and answered
exactly once. On SQLite the same commands run one worker and say so.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import free_port
from mail_factory import form_reply, read_email, supporting_file
from mail_servers import (  # noqa: F401 (fixtures)
    Dovecot,
    Mailbox,
    RelaySink,
    dovecot,
    dovecot_server,
    relay_sink,
    wait_until,
)
from sqlalchemy import select, text

from documents import get_form, issue_token, render_form
from documents.forms.request_example import REQUEST_EXAMPLE
from intake.leaders import IMAP_WATCHER
from intake.receive.capture import capture_message
from store import InboundMessage, InboundStatus, OutboxMessage, OutboxStatus, Transport

INTAKE = [sys.executable, "-m", "intake.cli.main"]
REPO = Path(__file__).resolve().parent.parent
REQUEST = get_form("request")
LISTED = [supporting_file(REQUEST_EXAMPLE[f"documents[{row}].file"]) for row in (1, 2)]
RETRY_SECONDS = 0.5
# The bound a takeover must meet: the retry, the one-second wait before a takeover starts the
# part, and a busy two-core machine's slack. A test bound, not a performance target.
TAKEOVER_SECONDS = 10.0
START_SECONDS = 60.0
FINAL = {InboundStatus.ACCEPTED}


@pytest.fixture
def database(postgres_database):
    """Every test here but the SQLite ones runs on PostgreSQL: several workers need it."""
    return postgres_database


@pytest.fixture
def mailbox(dovecot: Dovecot) -> Mailbox:  # noqa: F811
    return Mailbox(dovecot, dovecot.new_user())


class Process:
    """An `intake` command running in the background, its stderr kept in a file to read."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log_path = log
        with log.open("w") as out:
            self.popen = subprocess.Popen([*INTAKE, *args], env=env, stderr=out, cwd=log.parent)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for(self, text: str, timeout: float = START_SECONDS) -> float:
        """Seconds it took until `text` was in the log; fails naming it (with the log) if not."""
        started = time.monotonic()
        wait_until(lambda: text in self.log() or self.popen.poll() is not None, text, timeout)
        assert text in self.log(), f"exited {self.popen.poll()} before {text!r}:\n{self.log()}"
        return time.monotonic() - started

    def stop(self) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                return self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.popen.kill()
        return self.popen.wait()


@pytest.fixture
def start(services, tmp_path: Path, relay_sink: RelaySink) -> Iterator:  # noqa: F811
    """Starts `intake ARGS...` on the test's database, home and relay; stops them all after."""
    started: list[Process] = []
    settings = services.settings

    def start_process(*args: str, imap_url: str | None = None, **extra: str) -> Process:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")},
            "PYTHONPATH": str(REPO),
            "INTAKE_HOME": str(settings.home),
            "INTAKE_DATABASE_URL": settings.database_url,
            "INTAKE_SECRET_KEY": settings.secret_key,
            "INTAKE_ADDRESS": settings.address,
            "INTAKE_TRUSTED_AUTHSERV": settings.trusted_authserv,
            "INTAKE_TRUSTED_DOMAINS": ", ".join(settings.trusted_domains),
            "INTAKE_SMTP_URL": relay_sink.url,
            "INTAKE_SMTP_LISTEN": f"127.0.0.1:{free_port()}",
            "INTAKE_WEB_LISTEN": f"127.0.0.1:{free_port()}",
            "INTAKE_LEADER_RETRY_SECONDS": str(RETRY_SECONDS),
            **({"INTAKE_IMAP_URL": imap_url} if imap_url else {}),
            **{f"INTAKE_{k.upper()}": v for k, v in extra.items()},
        }
        process = Process(list(args), env, tmp_path / f"{args[0]}-{len(started)}.log")
        started.append(process)
        return process

    yield start_process
    for process in started:
        process.stop()


def reply(services, professional, serial: int) -> bytes:
    """A complete request form on a token of its own, so each PDF (and message) differs."""
    token = issue_token(services.key, "request", professional.id, serial, today=services.today())
    pdf = render_form(REQUEST, values=REQUEST_EXAMPLE, token=token)
    return form_reply(
        pdf,
        sender=professional.email,
        to=services.settings.address,
        message_id=f"<workers-{serial}@glanwy.sch.uk>",
        files=LISTED,
    )


def inbound(services) -> list[InboundMessage]:
    with services.db.session() as session:
        return list(session.scalars(select(InboundMessage).order_by(InboundMessage.id)))


def settled(services, count: int) -> list[InboundMessage]:
    return wait_until(
        lambda: (
            len(found := inbound(services)) == count
            and all(
                m.status not in (InboundStatus.RECEIVED, InboundStatus.PROCESSING) for m in found
            )
            and found
        ),
        f"{count} messages processed",
        timeout=60,
    )


def assert_answered_once(services, sink: RelaySink, serials: range) -> None:  # noqa: F811
    """Every message recorded once and accepted, and one confirmation per message at the relay
    (threaded to it by In-Reply-To), none twice."""
    rows = settled(services, len(serials))
    assert len({m.message_key for m in rows}) == len(rows) == len(serials)
    assert {m.status for m in rows} == FINAL, [(m.id, m.status, m.last_error) for m in rows]
    delivered = sink.wait_for(len(serials), timeout=60)
    time.sleep(1.5)  # a second copy from another worker would arrive by now
    answered = [read_email(m.data)["In-Reply-To"] for m in sink.messages]
    assert sorted(answered) == sorted(f"<workers-{n}@glanwy.sch.uk>" for n in serials)
    assert len(delivered) == len(sink.messages) == len(serials)
    with services.db.session() as session:
        outbox = list(session.scalars(select(OutboxMessage)))
    assert len(outbox) == len(serials)
    assert {row.status for row in outbox} == {OutboxStatus.SENT}


def test_one_worker_holds_each_role_and_another_takes_over_when_it_is_killed(
    services,
    senco,
    mailbox: Mailbox,
    relay_sink: RelaySink,  # noqa: F811
    start,
) -> None:
    first = start("worker", imap_url=mailbox.url)
    first.wait_for("took over the IMAP watcher")
    first.wait_for("took over the scheduler")
    second = start("worker", imap_url=mailbox.url)
    second.wait_for("ready")
    time.sleep(3 * RETRY_SECONDS)  # the second has tried for both roles and been refused
    assert "took over" not in second.log(), second.log()

    for serial in range(1, 5):
        mailbox.append(reply(services, senco, serial))
    assert_answered_once(services, relay_sink, range(1, 5))

    first.popen.send_signal(signal.SIGKILL)
    first.popen.wait(timeout=10)
    took = second.wait_for("took over the IMAP watcher", timeout=TAKEOVER_SECONDS)
    second.wait_for("took over the scheduler", timeout=TAKEOVER_SECONDS)
    assert took < TAKEOVER_SECONDS

    for serial in range(5, 8):
        mailbox.append(reply(services, senco, serial))
    assert_answered_once(services, relay_sink, range(1, 8))
    assert mailbox.contents("INBOX") == []
    assert len(mailbox.contents("Processed")) == 7


def test_a_holder_whose_lock_connection_is_cut_stops_the_watcher_and_takes_it_again(
    services,
    senco,
    mailbox: Mailbox,
    relay_sink: RelaySink,  # noqa: F811
    start,
) -> None:
    worker = start("worker", imap_url=mailbox.url)
    worker.wait_for("took over the IMAP watcher")
    with services.db.engine.connect() as connection:
        cut = connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'"
                " AND objsubid = 1 AND objid = :key AND database ="
                " (SELECT oid FROM pg_database WHERE datname = current_database())"
            ),
            {"key": IMAP_WATCHER.key},
        ).all()
    assert cut == [(True,)]
    worker.wait_for("gave up the IMAP watcher", timeout=TAKEOVER_SECONDS)
    wait_until(
        lambda: worker.log().count("took over the IMAP watcher") == 2,
        "the IMAP watcher taken again",
        TAKEOVER_SECONDS,
    )
    log = worker.log()
    # Stopped before it was started again: never two watchers in one process either.
    assert log.index("gave up the IMAP watcher") < log.rindex("took over the IMAP watcher")
    mailbox.append(reply(services, senco, 1))
    assert_answered_once(services, relay_sink, range(1, 2))


def test_messages_shared_by_two_workers_are_each_processed_and_answered_once(
    services,
    senco,
    relay_sink: RelaySink,  # noqa: F811
    start,
) -> None:
    workers = [start("worker") for _ in range(2)]
    for worker in workers:
        worker.wait_for("ready")
    serials = range(1, 13)
    for serial in serials:
        capture_message(services, reply(services, senco, serial), Transport.SMTP)
    assert_answered_once(services, relay_sink, serials)


def test_serve_with_workers_restarts_one_that_dies_and_stops_them_all(services, start) -> None:
    serve = start("serve", "--workers", "2")
    serve.wait_for("intake: serving")
    line = next(x for x in serve.log().splitlines() if "intake: serving" in x)
    assert "2 worker processes" in line, line
    wait_until(lambda: serve.log().count("took over the scheduler") == 1, "a scheduler leader")
    wait_until(lambda: serve.log().count(" ready;") == 2, "two workers ready", START_SECONDS)
    pids = [int(p) for p in line.split("worker processes (")[1].split(")")[0].split(", ")]
    os.kill(pids[0], signal.SIGKILL)
    serve.wait_for(f"worker 1 (process {pids[0]}) exited with status -9")
    assert "starting another" in serve.log()
    wait_until(lambda: serve.log().count(" ready;") == 3, "a third worker ready", START_SECONDS)
    assert serve.stop() == 0
    log = serve.log()
    assert "intake: stopping" in log and "stopped 2 worker processes" in log, log
    assert [pid for pid in pids[1:] if Path(f"/proc/{pid}").exists()] == []


def test_on_sqlite_serve_runs_one_worker_and_says_so(tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")},
        "PYTHONPATH": str(REPO),
        "INTAKE_HOME": str(tmp_path / "home"),
        "INTAKE_SMTP_LISTEN": f"127.0.0.1:{free_port()}",
        "INTAKE_WEB_LISTEN": f"127.0.0.1:{free_port()}",
    }
    serve = Process(["serve", "--workers", "3"], env, tmp_path / "serve.log")
    try:
        serve.wait_for("intake: serving")
        log = serve.log()
        assert "--workers 3 asked for, but the database is SQLite: one worker runs" in log
        assert "worker processes" not in log
    finally:
        assert serve.stop() == 0
    worker = subprocess.run([*INTAKE, "worker"], env=env, capture_output=True, text=True)
    assert worker.returncode == 1
    assert worker.stderr.strip().splitlines() == [
        "intake: `intake worker` needs PostgreSQL (INTAKE_DATABASE_URL); on SQLite "
        "`intake serve` runs the one worker itself"
    ]


@pytest.mark.parametrize("count", ["0", "-1", "two"])
def test_a_worker_count_below_one_is_a_usage_error(tmp_path: Path, count: str) -> None:
    result = subprocess.run(
        [*INTAKE, "serve", "--workers", count],
        env={**os.environ, "PYTHONPATH": str(REPO), "INTAKE_HOME": str(tmp_path / "home")},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "is not a whole number of at least 1" in result.stderr


@pytest.mark.parametrize("value", ["0", "-2", "soon", "nan"])
def test_a_bad_leader_retry_fails_at_start_naming_the_setting(value: str) -> None:
    from intake.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match="INTAKE_LEADER_RETRY_SECONDS"):
        load_settings(environ={"INTAKE_LEADER_RETRY_SECONDS": value}, toml_path=None)
