"""`intake serve --workers N`: start N `intake worker` processes, start another when one dies,
and stop them all when the service stops.

Workers are subprocesses running the `intake worker` command, not `multiprocessing` children:
each is the very process an operator may start by hand on another machine, reading its settings
from the same environment and `intake.toml`; it starts clean (a fork would inherit this
process's threads, sockets and pooled database connections, and spawn would pickle settings and
re-import anyway); and it is watched and stopped with nothing but its pid and a signal.
"""

from __future__ import annotations

import ctypes
import logging
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

logger = logging.getLogger("intake.workers")

WORKER_COMMAND = (sys.executable, "-m", "intake.cli.main", "worker")
# How often the supervisor looks at its workers.
WATCH_SECONDS = 0.5
# A worker that dies sooner than this after its start is failing at start (a bad setting, the
# database away): start the next one after a growing pause, not in a tight loop.
SHORT_LIFE_SECONDS = 10.0
FIRST_RESTART_PAUSE = 1.0
LONGEST_RESTART_PAUSE = 30.0
# After SIGTERM a worker finishes the message in hand; past this it is killed.
STOP_GRACE_SECONDS = 20.0
PR_SET_PDEATHSIG = 1


@dataclass
class Slot:
    """One of the N places a worker process fills, and when it may next be started."""

    number: int
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    pause: float = FIRST_RESTART_PAUSE
    start_after: float = field(default=0.0)


def _die_with_parent() -> None:
    # Linux: the worker gets SIGTERM when the thread that started it ends, so a supervisor
    # killed outright (SIGKILL) leaves no worker behind holding leader roles.
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


class WorkerPool:
    """N `intake worker` processes kept running until `stop()`."""

    def __init__(self, count: int, command: tuple[str, ...] = WORKER_COMMAND) -> None:
        self.command = command
        self.slots = [Slot(number) for number in range(1, count + 1)]
        self._stop = threading.Event()
        self._lock = threading.Lock()
        # Workers are started only from this thread, which lives as long as they should: the
        # parent-death signal follows the starting thread, not the process.
        self._thread = threading.Thread(target=self._watch, name="intake-workers", daemon=True)
        self._started = threading.Event()

    def start(self) -> None:
        self._thread.start()
        self._started.wait(timeout=30)

    def pids(self) -> list[int]:
        with self._lock:
            return [s.process.pid for s in self.slots if s.process and s.process.poll() is None]

    def _watch(self) -> None:
        for slot in self.slots:
            self._start(slot)
        self._started.set()
        while not self._stop.wait(WATCH_SECONDS):
            for slot in self.slots:
                self._look_after(slot)
        self._stop_all()

    def _start(self, slot: Slot) -> None:
        with self._lock:
            # A session of its own: Ctrl-C at a terminal reaches the whole foreground group, and
            # workers stopping by themselves would look like deaths to restart from. The
            # supervisor alone tells them to stop.
            slot.process = subprocess.Popen(
                self.command, preexec_fn=_die_with_parent, start_new_session=True
            )
            slot.started_at = time.monotonic()
        logger.info("started worker %d (process %d)", slot.number, slot.process.pid)

    def _look_after(self, slot: Slot) -> None:
        now = time.monotonic()
        if slot.process is not None:
            status = slot.process.poll()
            if status is None:
                return
            lived = now - slot.started_at
            if lived < SHORT_LIFE_SECONDS:
                slot.pause = min(slot.pause * 2, LONGEST_RESTART_PAUSE)
            else:
                slot.pause = FIRST_RESTART_PAUSE
            slot.start_after = now + (slot.pause if lived < SHORT_LIFE_SECONDS else 0.0)
            logger.warning(
                "worker %d (process %d) exited with status %s after %.0f s; starting another%s",
                slot.number,
                slot.process.pid,
                status,
                lived,
                f" in {slot.pause:.0f} s" if lived < SHORT_LIFE_SECONDS else "",
            )
            with self._lock:
                slot.process = None
        if now >= slot.start_after:
            self._start(slot)

    def stop(self) -> None:
        """SIGTERM every worker, wait for them to finish what they hold, kill stragglers."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=STOP_GRACE_SECONDS + 10)

    def _stop_all(self) -> None:
        running = [s.process for s in self.slots if s.process and s.process.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                logger.warning("worker process %d did not stop: killed", process.pid)
                process.kill()
                process.wait()
        logger.info("stopped %d worker process%s", len(running), "" if len(running) == 1 else "es")


def worker_count_note(requested: int, dialect: str) -> str | None:
    """The one line to log when `--workers N` cannot have N processes: SQLite takes one writer
    process, so there the work runs inside `intake serve` itself."""
    if requested > 1 and dialect != "postgresql":
        return (
            f"--workers {requested} asked for, but the database is SQLite: one worker runs,"
            " inside this process (several workers need PostgreSQL)"
        )
    return None
