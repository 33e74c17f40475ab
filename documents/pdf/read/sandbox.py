"""One persistent worker process that runs jobs under memory, CPU and wall-clock limits.

The protocol, on the worker's stdin and stdout: the worker writes one byte when it is ready; then
each job is `!QII` (data length, CPU budget in milliseconds, length of the passwords) then the
data and the passwords to try on an encrypted PDF (a JSON list), and each answer is `!Q`
(length) and that many bytes of JSON. Everything the worker sends is untrusted: the caller parses
it as JSON and checks it; nothing from the worker is ever unpickled.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from documents.pdf.read import sandbox_worker

WORKER_SCRIPT = Path(sandbox_worker.__file__)
# Importing pypdf takes a fraction of a second; a worker that is not ready in this time is broken.
START_SECONDS = 15.0
# A reply bigger than this is not an honest answer about a PDF of at most a few tens of MB.
MAX_REPLY_BYTES = 256 * 1024 * 1024
CHUNK = 1024 * 1024
# The worker gets only these from our environment: never the service's secrets or database URL.
PASSED_ENVIRONMENT = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "PYTHONPATH", "TMPDIR")


class WorkerStartError(RuntimeError):
    """The worker process could not be started (an installation fault, not a bad PDF)."""


class Death(StrEnum):
    """Why a job ended without an answer."""

    WALL_CLOCK = "wall-clock"
    CPU = "cpu"
    MEMORY = "memory"
    CRASH = "crash"
    BAD_REPLY = "bad-reply"


@dataclass(frozen=True)
class JobFailure:
    """A job that ended without an answer; the worker is gone and will be replaced."""

    death: Death
    detail: str


class WorkerProcess:
    """The worker process, started on first use and replaced after it dies or is killed.

    Not thread-safe: its owner runs one job at a time.
    """

    def __init__(self, memory_bytes: int, decoded_bytes: int) -> None:
        self.memory_bytes = memory_bytes
        self.decoded_bytes = decoded_bytes
        self.jobs_done = 0
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process and self._process.poll() is None else None

    def run(
        self, data: bytes, cpu_seconds: float, wall_seconds: float, passwords: Sequence[str] = ()
    ) -> bytes | JobFailure:
        """The worker's raw reply to one job, or why there is none."""
        keys = json.dumps(list(passwords)).encode("utf-8")
        header = sandbox_worker.JOB_HEADER.pack(
            len(data), max(1, int(cpu_seconds * 1000)), len(keys)
        )
        deadline = time.monotonic() + wall_seconds
        outcome: bytes | JobFailure | None = None
        # A worker that died between jobs (killed from outside) is no fault of this job: once.
        for _attempt in range(2):
            if self._process is None or self._process.poll() is not None:
                self.stop()
                self._start()
            outcome = self._exchange(header, [data, keys], deadline)
            if outcome is not None:
                break
            self.stop()
        if outcome is None:
            outcome = JobFailure(Death.CRASH, "the reader would not take the job")
        if isinstance(outcome, JobFailure):
            self.stop()
        else:
            self.jobs_done += 1
        return outcome

    def stop(self) -> None:
        """Kill the worker, if any, and reap it."""
        process, self._process = self._process, None
        self.jobs_done = 0
        if process is None:
            return
        if process.poll() is None:
            process.kill()
        process.wait()
        for stream in (process.stdin, process.stdout):
            if stream:
                stream.close()

    def _start(self) -> None:
        # -P keeps the worker's own folder off sys.path, so nothing of ours can be imported there.
        command = [
            sys.executable,
            "-P",
            str(WORKER_SCRIPT),
            str(self.memory_bytes),
            str(self.decoded_bytes),
        ]
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            close_fds=True,
            env={name: os.environ[name] for name in PASSED_ENVIRONMENT if name in os.environ},
            start_new_session=True,
        )
        self._process = process
        # Non-blocking, so that a worker that stops reading cannot hold us past the deadline.
        os.set_blocking(process.stdin.fileno(), False)
        ready = self._read_exactly(1, time.monotonic() + START_SECONDS)
        if ready != sandbox_worker.READY:
            self.stop()
            raise WorkerStartError(f"the PDF worker did not start: {' '.join(command)}")

    def _exchange(
        self, header: bytes, data: list[bytes], deadline: float
    ) -> bytes | JobFailure | None:
        """The reply, why there is none, or None when the worker was gone before the job."""
        try:
            self._write_all([header], deadline)
        except (BrokenPipeError, ConnectionResetError):
            return None
        try:
            self._write_all(data, deadline)
            length_bytes = self._read_exactly(sandbox_worker.REPLY_HEADER.size, deadline)
            if isinstance(length_bytes, bytes):
                (length,) = sandbox_worker.REPLY_HEADER.unpack(length_bytes)
                if length > MAX_REPLY_BYTES:
                    return JobFailure(
                        Death.BAD_REPLY, f"the reader's answer is too long ({length})"
                    )
                reply = self._read_exactly(length, deadline)
                if isinstance(reply, bytes):
                    return reply
        except (BrokenPipeError, ConnectionResetError):
            pass
        if time.monotonic() >= deadline:
            return JobFailure(Death.WALL_CLOCK, "timed out")
        return self._why_it_died()

    def _write_all(self, parts: list[bytes], deadline: float) -> None:
        assert self._process and self._process.stdin
        fd = self._process.stdin.fileno()
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_WRITE)
            for part in parts:
                view = memoryview(part)
                while view:
                    if not selector.select(max(0.0, deadline - time.monotonic())):
                        return  # the deadline passed; the read that follows reports it
                    try:
                        view = view[os.write(fd, view[:CHUNK]) :]
                    except BlockingIOError:
                        continue

    def _read_exactly(self, size: int, deadline: float) -> bytes | None:
        """`size` bytes from the worker, or None at end of file or at the deadline."""
        assert self._process and self._process.stdout
        fd = self._process.stdout.fileno()
        chunks, remaining = [], size
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while remaining:
                if not selector.select(max(0.0, deadline - time.monotonic())):
                    return None
                chunk = os.read(fd, min(remaining, CHUNK))
                if not chunk:
                    return None
                chunks.append(chunk)
                remaining -= len(chunk)
        return b"".join(chunks)

    def _why_it_died(self) -> JobFailure:
        assert self._process
        try:
            code = self._process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return JobFailure(Death.CRASH, "the reader stopped answering")
        if code == -signal.SIGXCPU:
            return JobFailure(Death.CPU, "used up its processor time")
        # SIGKILL comes from the kernel's out-of-memory killer (we only kill after a deadline).
        if code in (-signal.SIGKILL, sandbox_worker.EXIT_OUT_OF_MEMORY):
            return JobFailure(Death.MEMORY, "ran out of memory")
        if code < 0:
            return JobFailure(Death.CRASH, f"the reader crashed ({signal_name(-code)})")
        return JobFailure(Death.CRASH, f"the reader stopped unexpectedly (exit status {code})")


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
