"""Logging as the `intake` command sets it up: the level and format settings, JSON lines, no
library chatter or addresses at INFO, and a serve start line that names every listener."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SECRET_KEY, free_port

from intake.logs import configure_logging

INTAKE = [sys.executable, "-m", "intake.cli.main"]
REPO = Path(__file__).resolve().parent.parent
SENDER = "h.michalowska@glanwy.sch.uk"


def environment(tmp_path: Path, **settings: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")},
        "INTAKE_HOME": str(tmp_path / "home"),
        "INTAKE_SECRET_KEY": SECRET_KEY.decode(),
        "INTAKE_SMTP_LISTEN": f"127.0.0.1:{free_port()}",
        # Never the default port 8000: other runs on the machine may hold it.
        "INTAKE_WEB_LISTEN": f"127.0.0.1:{free_port()}",
        "PYTHONPATH": str(REPO),
        **settings,
    }


def run(tmp_path: Path, *args: str, **settings: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*INTAKE, *args],
        cwd=tmp_path,
        env=environment(tmp_path, **settings),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """configure_logging changes the process's loggers: put them back for the other tests."""
    root = logging.getLogger()
    touched = [logging.getLogger(name) for name in ("mail.log", "alembic.runtime.migration")]
    saved = (list(root.handlers), root.level, [(lg.level, list(lg.filters)) for lg in touched])
    hooks = (sys.excepthook, threading.excepthook)
    yield
    logging.captureWarnings(False)
    sys.excepthook, threading.excepthook = hooks
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    for logger, (level, filters) in zip(touched, saved[2], strict=True):
        logger.setLevel(level)
        logger.filters[:] = filters


def test_json_format_writes_one_object_per_line_with_extra_fields(restored_logging) -> None:
    stream = io.StringIO()
    configure_logging("INFO", "json", stream)
    logging.getLogger("intake.test").info("case %s moved", "EHC-2026-000001", extra={"stage": 3})
    try:
        raise ValueError("broken on purpose")
    except ValueError:
        logging.getLogger("intake.test").exception("it failed")
    logging.getLogger("intake.test").debug("below the level")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["level"] == "INFO" and first["logger"] == "intake.test"
    assert first["message"] == "case EHC-2026-000001 moved" and first["stage"] == 3
    assert first["time"].endswith("+00:00")
    assert second["level"] == "ERROR" and "ValueError: broken on purpose" in second["exception"]


def test_commands_log_migrations_once_and_no_alembic_preamble(tmp_path: Path) -> None:
    initialised = run(tmp_path, "init")
    assert initialised.returncode == 0, initialised.stderr
    assert "Running upgrade" in initialised.stderr  # a migration that runs is worth a line
    assert "Context impl" not in initialised.stderr

    listed = run(tmp_path, "professional", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert listed.stderr == ""  # nothing to migrate: nothing to say

    as_json = run(tmp_path, "init", INTAKE_LOG_LEVEL="debug", INTAKE_LOG_FORMAT="json")
    assert as_json.returncode == 0, as_json.stderr
    records = [json.loads(x) for x in as_json.stderr.splitlines() if x.startswith("{")]
    assert any(r["message"].startswith("Context impl") for r in records), as_json.stderr


def test_a_bad_log_setting_is_named(tmp_path: Path) -> None:
    refused = run(tmp_path, "queue", INTAKE_LOG_FORMAT="yaml")
    assert refused.returncode == 1 and "INTAKE_LOG_FORMAT" in refused.stderr


class Server:
    """`intake serve` in a subprocess, its stderr read line by line."""

    def __init__(self, tmp_path: Path, **settings: str) -> None:
        self.env = environment(tmp_path, **settings)
        self.smtp_port = int(self.env["INTAKE_SMTP_LISTEN"].rpartition(":")[2])
        self.process = subprocess.Popen(
            [*INTAKE, "serve"], cwd=tmp_path, env=self.env, stderr=subprocess.PIPE, text=True
        )
        self.lines: list[str] = []

    def read_until(self, text: str, limit: int = 200) -> str:
        while len(self.lines) < limit:
            line = self.process.stderr.readline()
            if not line:
                break
            self.lines.append(line)
            if text in line:
                return line
        raise AssertionError(f"{text!r} never came: {''.join(self.lines)}")

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
        self.lines.append(self.process.stderr.read())
        return "".join(self.lines)


def test_serve_names_its_listeners_and_retries_imap_in_one_line_each(tmp_path: Path) -> None:
    closed_port = free_port()
    server = Server(
        tmp_path,
        INTAKE_IMAP_URL=f"imap://intake:hunter2@127.0.0.1:{closed_port}/INBOX",
        INTAKE_ADDRESS="intake@send.example.gov.uk",
    )
    try:
        started = server.read_until("intake: serving")
        assert f"SMTP on 127.0.0.1:{server.smtp_port}" in started
        assert f"web on http://{server.env['INTAKE_WEB_LISTEN']}" in started
        assert f"IMAP imap://intake:***@127.0.0.1:{closed_port}/INBOX" in started
        assert f"outbound mail to {tmp_path / 'home' / 'outbox-sent'}/" in started
        with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=10) as smtp:
            smtp.sendmail(SENDER, ["intake@send.example.gov.uk"], b"Subject: hi\r\n\r\nhello\r\n")
        server.read_until("stored a")
        deadline = time.monotonic() + 10
        while sum("retrying in" in line for line in server.lines) < 2:
            assert time.monotonic() < deadline, "".join(server.lines)
            server.read_until("retrying in")
    finally:
        logged = server.stop()
    assert "Traceback" not in logged, logged
    assert "hunter2" not in logged
    assert SENDER not in logged and "glanwy" in logged, logged  # the domain alone
    assert "Context impl" not in logged and "mail.log" not in logged, logged
    assert "apscheduler" not in logged and "Adding job" not in logged, logged


def test_serve_names_the_relay_without_its_password(tmp_path: Path) -> None:
    relay_port = free_port()
    server = Server(tmp_path, INTAKE_SMTP_URL=f"smtp://sender:hunter2@127.0.0.1:{relay_port}")
    try:
        started = server.read_until("intake: serving")
    finally:
        server.stop()
    assert f"outbound mail through smtp://sender:***@127.0.0.1:{relay_port}" in started
    assert "IMAP" not in started


def test_serve_with_its_web_port_taken_stops_and_names_the_address(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        address = f"127.0.0.1:{taken.getsockname()[1]}"
        server = Server(tmp_path, INTAKE_WEB_LISTEN=address)
        assert server.process.wait(timeout=60) == 1
        logged = server.stop()
    assert f"intake: cannot start: the web server could not listen on {address}" in logged
    assert "address already in use" in logged  # uvicorn's own error line is kept
    assert "Started server process" not in logged and "Traceback" not in logged, logged


def json_records(stderr: str) -> list[dict]:
    """Every line of `stderr` as a JSON object; the test fails on the first line that is not."""
    records = []
    for line in stderr.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            raise AssertionError(f"not one JSON object: {line!r}\n{stderr}") from None
        assert isinstance(record, dict), line
        records.append(record)
    return records


def test_serve_with_json_logs_writes_nothing_but_json_lines(tmp_path: Path) -> None:
    closed_port = free_port()
    server = Server(
        tmp_path,
        INTAKE_LOG_FORMAT="json",
        INTAKE_LOG_LEVEL="debug",  # uvicorn's, aiosmtpd's and APScheduler's lines all come
        INTAKE_IMAP_URL=f"imap://intake:hunter2@127.0.0.1:{closed_port}/INBOX",
        INTAKE_ADDRESS="intake@send.example.gov.uk",
    )
    try:
        server.read_until("serving;")
        with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=10) as smtp:
            smtp.sendmail(SENDER, ["intake@send.example.gov.uk"], b"Subject: hi\r\n\r\nhello\r\n")
        server.read_until("stored a")
        server.read_until("retrying in")
    finally:
        logged = server.stop()
    records = json_records(logged)
    loggers = {r["logger"] for r in records}
    assert {"intake", "mail.log", "uvicorn.error"} <= loggers, loggers
    assert any(name.startswith("apscheduler") for name in loggers), loggers
    assert any(r["logger"] == "intake" and r["message"] == "stopping" for r in records)
    assert all(r["time"].endswith("+00:00") and r["level"] for r in records)
    assert "hunter2" not in logged


def test_a_failed_start_with_json_logs_is_json_too(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        address = f"127.0.0.1:{taken.getsockname()[1]}"
        server = Server(tmp_path, INTAKE_WEB_LISTEN=address, INTAKE_LOG_FORMAT="json")
        assert server.process.wait(timeout=60) == 1
        records = json_records(server.stop())
    assert any("address already in use" in r["message"] for r in records), records
    (refusal,) = [r for r in records if r["logger"] == "intake"]
    assert refusal["level"] == "ERROR" and refusal["message"].startswith("cannot start: ")


def test_json_logs_catch_thread_crashes_and_warnings(restored_logging) -> None:
    import warnings

    saved_hooks = (sys.excepthook, threading.excepthook)
    stream = io.StringIO()
    # pytest records warnings itself: inside this block, Python's own handling is back.
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        try:
            configure_logging("INFO", "json", stream)

            def crash() -> None:
                raise RuntimeError("a worker fell over")

            worker = threading.Thread(target=crash, name="intake-doomed")
            worker.start()
            worker.join()
            warnings.warn("an old way of doing it", DeprecationWarning, stacklevel=1)
            sys.excepthook(*_raised(ValueError("nothing caught this")))
        finally:
            logging.captureWarnings(False)
            sys.excepthook, threading.excepthook = saved_hooks
    thread_crash, warning, uncaught = json_records(stream.getvalue())
    assert thread_crash["message"] == "uncaught exception in thread intake-doomed"
    assert "RuntimeError: a worker fell over" in thread_crash["exception"]
    assert warning["logger"] == "py.warnings" and "an old way" in warning["message"]
    assert uncaught["level"] == "CRITICAL" and "nothing caught this" in uncaught["exception"]


def _raised(error: BaseException) -> tuple:
    try:
        raise error
    except BaseException:
        return sys.exc_info()
