"""What every hostile case is checked for once the pipeline has finished with it, and the
figures kept while the corpus runs (time per case, the PDF worker's and our own peak memory).
"""

from __future__ import annotations

import logging
import re
import resource
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.utils import getaddresses
from pathlib import Path

from hostile import Case
from hostile.mime_injection import ESCAPE, INJECTED_HEADER, VICTIM

# The statuses a message may end in (docs/architecture.md: "One status field is the lifecycle").
FINAL_STATUSES = {
    "accepted",
    "rejected",
    "quarantined",
    "awaiting_verification",
    "ignored",
    "duplicate",
}
MIB = 1024 * 1024


def problems_with_outcome(case: Case, outcome: dict) -> list[str]:
    """Why an outcome (as `intake ingest --json` prints it) is not what the case must get."""
    found = []
    codes = [r["code"] for r in outcome["reasons"]]
    if outcome["status"] not in FINAL_STATUSES:
        found.append(f"status {outcome['status']} is not a final one: {outcome['reasons']}")
    elif outcome["status"] not in case.statuses or not set(case.codes) & set(codes):
        must = f"{'|'.join(case.statuses)} {list(case.codes)}"
        found.append(f"got {outcome['status']} {codes}, must be {must}")
    for r in outcome["reasons"]:
        # describe() falls back to "There is a problem with ... (reference: CODE)" for a code
        # with no sentence of its own in templates/reasons.toml.
        if not r["message"] or f"(reference: {r['code']})" in r["message"]:
            found.append(f"reason {r['code']} has no sentence")
    return found


def problems_in_logs(records: list[logging.LogRecord]) -> list[str]:
    return [
        f"{record.levelname} {record.name}: {record.getMessage()[:200]}"
        for record in records
        if record.exc_info or record.levelno >= logging.ERROR or "Traceback" in record.getMessage()
    ]


def problems_in_reply(raw: bytes, to_address: str) -> list[str]:
    """Signs that a header injection reached an email we send: a header or recipient the
    sender smuggled in, or a line break or NUL left inside a header value."""
    found = []
    email = message_from_bytes(raw, policy=policy.compat32)
    names = {name.lower() for name in email.keys()}
    if INJECTED_HEADER.lower() in names or "bcc" in names:
        found.append(f"an injected header: {sorted(names)}")
    for name, value in email.items():
        # Folding (a line break before a space or tab) is how long values are written.
        unfolded = re.sub(r"\r?\n(?=[ \t])", "", str(value))
        if any(c in unfolded for c in "\r\n\x00"):
            found.append(f"a line break or NUL in {name}")
    recipients = {
        a.lower() for _, a in getaddresses(email.get_all("To", []) + email.get_all("Cc", []))
    }
    if recipients != {to_address.lower()}:
        found.append(f"recipients {sorted(recipients)}, not {to_address}")
    if VICTIM in raw.decode("utf-8", "replace").split("\r\n\r\n", 1)[0]:
        found.append("the victim's address in the headers")
    return found


def files_outside(home: Path, around: Path, before: set[Path]) -> list[str]:
    """Files a path-traversal name could have made: new anywhere under `around` but outside the
    service's home, under the home's stores with a name that is not a content digest, or in
    ESCAPE."""
    found = [str(p) for p in Path(ESCAPE).parent.glob(Path(ESCAPE).name + "*")]
    for path in around.rglob("*"):
        if not path.is_file() or path in before:
            continue
        if home not in path.parents and not path.name.startswith("intake.db"):
            found.append(str(path))
        elif path.parent.parent.name in ("attachments", "raw"):
            digest = path.parent.name + path.name
            if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
                found.append(str(path))
    return found


@dataclass
class Figures:
    """Times and memory measured over the corpus."""

    seconds: dict[str, float] = field(default_factory=dict)
    worker_peak_kib: int = 0
    outcomes: Counter = field(default_factory=Counter)
    by_family: dict[str, Counter] = field(default_factory=dict)
    started_rss_kib: int = field(default_factory=lambda: own_peak_kib())
    started: float = field(default_factory=time.perf_counter)

    def note(self, case: Case, outcome: dict) -> None:
        self.outcomes[outcome["status"]] += 1
        first = outcome["reasons"][0]["code"] if outcome["reasons"] else "-"
        self.by_family.setdefault(case.family, Counter())[f"{outcome['status']} {first}"] += 1

    def report(self, by_family: dict[str, int]) -> str:
        slowest = sorted(self.seconds.items(), key=lambda kv: -kv[1])[:5]
        lines = [
            f"{sum(by_family.values())} cases in {time.perf_counter() - self.started:.1f} s",
            f"cases per family: {by_family}",
            f"outcomes: {dict(sorted(self.outcomes.items()))}",
            *(f"  {family}: {dict(seen.most_common())}" for family, seen in self.by_family.items()),
            "slowest: " + ", ".join(f"{name} {s:.2f} s" for name, s in slowest),
            f"PDF worker peak RSS: {self.worker_peak_kib / 1024:.0f} MiB",
            f"this process's peak RSS: {self.started_rss_kib / 1024:.0f} MiB before the corpus,"
            f" {own_peak_kib() / 1024:.0f} MiB after",
        ]
        return "\n".join(lines)


class WorkerWatch:
    """Samples a worker process's peak memory every few milliseconds from a thread, so that a
    worker killed mid-read (out of memory, out of time) is measured too, up to its end."""

    def __init__(self, pid_of: Callable[[], int | None], every: float = 0.01) -> None:
        self.pid_of = pid_of
        self.every = every
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="worker-watch", daemon=True)

    def __enter__(self) -> WorkerWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            pid = self.pid_of()
            if pid is not None:
                self.peak_kib = max(self.peak_kib, peak_rss_kib(pid))


def peak_rss_kib(pid: int) -> int:
    """A live process's peak resident memory (VmHWM), 0 when it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def own_peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
