"""Read the AcroForm field values out of an untrusted PDF, safely.

pypdf runs in a separate, resource-limited worker process (`documents.pdf.read.sandbox`);
whatever the file holds, a read ends with a `PdfRead` whose outcome says what the PDF turned out
to be.
"""

from __future__ import annotations

import atexit
import json
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from documents.pdf.read.sandbox import Death, JobFailure, WorkerProcess

MB = 1024 * 1024
# Replace the worker now and then, so that memory pypdf fragments or leaks cannot pile up.
JOBS_PER_WORKER = 500


class ReadOutcome(StrEnum):
    OK = "ok"
    NOT_PDF = "not-pdf"
    MALFORMED = "malformed"
    ENCRYPTED = "encrypted"
    XFA = "xfa"
    NO_FIELDS = "no-fields"
    TOO_LARGE = "too-large"
    TIMEOUT = "timeout"
    TOO_MUCH_MEMORY = "too-much-memory"
    TOO_MUCH_DATA = "too-much-data"


# Outcomes the worker may report; the others are decided here, or from how the worker died.
WORKER_OUTCOMES = frozenset(
    {
        ReadOutcome.OK,
        ReadOutcome.MALFORMED,
        ReadOutcome.ENCRYPTED,
        ReadOutcome.XFA,
        ReadOutcome.NO_FIELDS,
        ReadOutcome.TOO_MUCH_MEMORY,
        ReadOutcome.TOO_MUCH_DATA,
    }
)

FieldValue = str | bool | list[str]


@dataclass(frozen=True)
class PdfRead:
    """What a PDF turned out to be and, when OK, its fields.

    `fields` maps each terminal field's fully-qualified name to its value: text fields to their
    text ("" when they have no /V), checkboxes to True or False, radio groups to the chosen
    export name without "/", choices to the chosen text (a list for multi-select). Buttons
    and choices with no /V, radio groups set to /Off, push buttons and signatures are left
    out. Hidden fields are included. Values are as the PDF holds them: line endings and
    spaces are untouched.
    """

    outcome: ReadOutcome
    fields: dict[str, FieldValue] = field(default_factory=dict)
    detail: str = ""


@dataclass(frozen=True)
class ReadLimits:
    """Limits on one read. 768 MiB of address space is about 25 times the largest PDF we
    accept, which pypdf needs at worst for its parsed objects and one decompressed stream; it
    still keeps a hostile file from taking a real share of a small server's memory. The
    interpreter and pypdf themselves take about 30 MiB of it.

    `decoded_bytes` caps what all of one PDF's streams inflate to together, and the characters
    of the field values answered, which is what keeps a read within its 300 MB budget: pypdf
    keeps every inflated stream, and the answer holds each value again, up to six times over in
    JSON. Real forms inflate a few kB, the largest file in our corpus 2 MB."""

    max_bytes: int = 30 * MB
    memory_bytes: int = 768 * MB
    decoded_bytes: int = 8 * MB
    cpu_seconds: float = 10
    wall_seconds: float = 20


class PdfSandbox:
    """A pool of one persistent worker process that reads PDFs, one job at a time.

    The worker starts on first use and is replaced after it dies, times out or runs out of
    memory. Safe to share between threads: jobs wait for each other.
    """

    def __init__(self, limits: ReadLimits | None = None) -> None:
        self.limits = limits or ReadLimits()
        self._worker = WorkerProcess(self.limits.memory_bytes, self.limits.decoded_bytes)
        self._lock = threading.Lock()

    def read(self, data: bytes, passwords: Sequence[str] = ()) -> PdfRead:
        """The fields of the PDF `data`, or why they cannot be read; never raises on bad input.
        An encrypted PDF is opened with the first of `passwords` that fits, inside the worker."""
        refusal = screen(data, self.limits)
        if refusal is not None:
            return refusal
        with self._lock:
            if self._worker.jobs_done >= JOBS_PER_WORKER:
                self._worker.stop()
            reply = self._worker.run(
                data, self.limits.cpu_seconds, self.limits.wall_seconds, passwords
            )
            if isinstance(reply, JobFailure):
                return self._explain(reply)
            read = parse_reply(reply)
            if read.outcome is ReadOutcome.TOO_MUCH_MEMORY or read.detail == BAD_REPLY:
                self._worker.stop()
            return read

    @property
    def worker_pid(self) -> int | None:
        """The worker's process id while it runs (for monitoring its memory)."""
        return self._worker.pid

    def close(self) -> None:
        with self._lock:
            self._worker.stop()

    def __enter__(self) -> PdfSandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _explain(self, failure: JobFailure) -> PdfRead:
        if failure.death is Death.WALL_CLOCK:
            seconds = f"{self.limits.wall_seconds:g}"
            return PdfRead(ReadOutcome.TIMEOUT, {}, f"the PDF took more than {seconds} s to read")
        if failure.death is Death.CPU:
            seconds = f"{self.limits.cpu_seconds:g}"
            detail = f"the PDF needed more than {seconds} s of processor time to read"
            return PdfRead(ReadOutcome.TIMEOUT, {}, detail)
        if failure.death is Death.MEMORY:
            return PdfRead(ReadOutcome.TOO_MUCH_MEMORY, {}, MEMORY_DETAIL)
        return PdfRead(ReadOutcome.MALFORMED, {}, f"the PDF could not be read: {failure.detail}")


MEMORY_DETAIL = "the PDF needs more memory to read than is allowed"
BAD_REPLY = "the PDF could not be read: the reader gave an invalid answer"
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]+")


def screen(data: bytes, limits: ReadLimits) -> PdfRead | None:
    """The outcome for data that need not reach the worker, or None to read it."""
    if len(data) > limits.max_bytes:
        limit = limits.max_bytes
        size = f"{limit // MB} MB" if limit % MB == 0 else f"{limit} bytes"
        detail = f"the PDF is larger than {size}"
        return PdfRead(ReadOutcome.TOO_LARGE, {}, detail)
    if not data:
        return PdfRead(ReadOutcome.NOT_PDF, {}, "the file is empty")
    # Viewers accept junk before the header, so the PDF specification's offset 0 is too strict.
    if data.find(b"%PDF", 0, 1024) == -1:
        return PdfRead(ReadOutcome.NOT_PDF, {}, "the file is not a PDF")
    return None


def parse_reply(reply: bytes) -> PdfRead:
    """The worker's JSON answer as a `PdfRead`, checked as strictly as any untrusted input."""
    try:
        document = json.loads(reply)
        outcome = ReadOutcome(document["outcome"])
        detail = document["detail"]
        fields = document["fields"]
    except (ValueError, TypeError, KeyError):
        return PdfRead(ReadOutcome.MALFORMED, {}, BAD_REPLY)
    if outcome not in WORKER_OUTCOMES or not isinstance(detail, str) or not valid_fields(fields):
        return PdfRead(ReadOutcome.MALFORMED, {}, BAD_REPLY)
    return PdfRead(outcome, fields if outcome is ReadOutcome.OK else {}, one_line(detail))


def valid_fields(fields: Any) -> bool:
    return isinstance(fields, dict) and all(
        isinstance(value, str | bool)
        or (isinstance(value, list) and all(isinstance(item, str) for item in value))
        for value in fields.values()
    )


def one_line(text: str, limit: int = 300) -> str:
    return _CONTROL_CHARACTERS.sub(" ", text).strip()[:limit]


_default_sandboxes: dict[ReadLimits, PdfSandbox] = {}
_default_sandboxes_lock = threading.Lock()


def read_pdf_fields(
    data: bytes, limits: ReadLimits | None = None, passwords: Sequence[str] = ()
) -> PdfRead:
    """Read a PDF in the shared sandbox for `limits` (one per distinct set of limits)."""
    limits = limits or ReadLimits()
    with _default_sandboxes_lock:
        sandbox = _default_sandboxes.get(limits)
        if sandbox is None:
            sandbox = _default_sandboxes[limits] = PdfSandbox(limits)
    return sandbox.read(data, passwords)


@atexit.register
def _close_default_sandboxes() -> None:
    with _default_sandboxes_lock:
        for sandbox in _default_sandboxes.values():
            sandbox.close()
        _default_sandboxes.clear()
