"""Measure how fast valid form replies go through the whole pipeline, how long a reply takes from
arrival in the mailbox to its confirmation at the relay, and how much memory a 25 MB message takes.

Run `.venv/bin/python benchmarks/ingest.py [--messages N] [--latency-messages M] [--json]`.
Everything runs on SQLite in temporary INTAKE_HOME folders with the built-in defaults (and the
receiving server trusted, so the replies' DMARC pass proves their senders). It prints,
side by side: (i) full pipeline throughput (capture_message + process_all, outbox rows and receipt
PDFs included) and (ii) the floor for the same messages (MIME parse and PDF field read alone),
with that same work spread over every CPU without the sandbox, the ceiling for any pipeline;
(iii) APPEND-to-confirmation latency through a real Dovecot (IMAP IDLE), a RunningService and
an aiosmtpd relay sink; (iv) peak memory while one 25 MB message is processed, and the RSS after
each tenth of the throughput run. `--profile` adds the top of a cProfile of run (i).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from imapclient import IMAPClient  # noqa: E402
from mail_factory import DOCX, TRUSTED_AUTHSERV, form_reply, supporting_file  # noqa: E402
from mail_servers import PASSWORD, Dovecot, RelaySink  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from documents import get_form, issue_token, read_pdf_fields, render_form  # noqa: E402
from documents.forms.request_example import REQUEST_EXAMPLE  # noqa: E402
from documents.pdf.read.sandbox_worker import read_fields  # noqa: E402
from intake.cases.accounts import add_professional  # noqa: E402
from intake.parse.message import parse_message  # noqa: E402
from intake.pipeline.process import process_all  # noqa: E402
from intake.receive.capture import capture_message  # noqa: E402
from intake.serve import RunningService  # noqa: E402
from intake.services import Services, open_services  # noqa: E402
from intake.settings import load_settings  # noqa: E402
from store import AuditEntry, Case, InboundMessage, OutboxMessage, Transport  # noqa: E402

REQUEST = get_form("request")
LISTED_FILES = [REQUEST_EXAMPLE[f"documents[{row}].file"] for row in (1, 2)]
# Under the outbox's per-recipient limit of 20 an hour.
REPLIES_PER_SENDER = 10
TARGET_PER_SECOND = 50.0
TARGET_FLOOR_RATIO = 2.0
TARGET_MEDIAN_S = 1.0
TARGET_P95_S = 2.0
# Past the watcher's 60 s safety-net poll, so a missed IDLE shows as an outlier, not a crash.
LATENCY_TIMEOUT_S = 90.0
# The large message stays under the default INTAKE_MAX_MESSAGE_BYTES (25 MiB) by this much.
LARGE_MARGIN_BYTES = 64 * 1024


def fresh_services(parent: Path, name: str) -> Services:
    """Services on the built-in defaults: SQLite under a new INTAKE_HOME, and the receiving
    server's authserv-id trusted, as a council's deployment has it, so that the replies' DMARC
    pass (which `form_reply` writes) proves their senders and no form waits for a code."""
    environ = {"INTAKE_HOME": str(parent / name), "INTAKE_TRUSTED_AUTHSERV": TRUSTED_AUTHSERV}
    return open_services(load_settings(environ=environ, toml_path=None))


def add_senco(services: Services, n: int):
    return add_professional(
        services,
        email=f"senco{n}@glanwy.sch.uk",
        name=f"SENCO {n}",
        role="SENCO",
        organisation="Glan Ŵy Primary School",
        organisation_type="Maintained school",
        activate=True,
    )


def valid_reply(
    services: Services,
    professional,
    serial: int,
    files: list | None = None,
    values: dict | None = None,
) -> tuple[bytes, bytes]:
    """A complete request form on a token of its own (the serial tells tokens apart) and the
    reply carrying it; the PDF differs per message because the token is in it. The answers are
    REQUEST_EXAMPLE's unless `values` are given."""
    token = issue_token(services.key, "request", professional.id, serial, today=services.today())
    pdf = render_form(REQUEST, values=values or REQUEST_EXAMPLE, token=token)
    raw = form_reply(
        pdf,
        sender=professional.email,
        to=services.settings.address,
        message_id=f"<bench-{serial}@glanwy.sch.uk>",
        files=files if files is not None else [supporting_file(f) for f in LISTED_FILES],
    )
    return raw, pdf


def count(services: Services, model, **where) -> int:
    with services.db.session() as session:
        statement = select(func.count()).select_from(model).filter_by(**where)
        return session.scalar(statement)


def status_counts(services: Services) -> dict[str, int]:
    with services.db.session() as session:
        statement = select(InboundMessage.status, func.count()).group_by(InboundMessage.status)
        return {str(status): n for status, n in session.execute(statement)}


def proc_kb(pid: int | str, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {key} for process {pid}")


def mb(kb: float) -> float:
    return kb / 1024


def measure_throughput(services: Services, messages: list[bytes]) -> dict[str, object]:
    """Capture and process in ten slices, noting RSS after each (reading /proc costs ~50 us)."""
    slices = 10
    bounds = [round(len(messages) * k / slices) for k in range(slices + 1)]
    rss_mb = [mb(proc_kb("self", "VmRSS"))]
    busy = 0.0
    for k in range(slices):
        start = time.perf_counter()
        for raw in messages[bounds[k] : bounds[k + 1]]:
            capture_message(services, raw, Transport.FILE)
        process_all(services)
        busy += time.perf_counter() - start
        rss_mb.append(mb(proc_kb("self", "VmRSS")))
    statuses = status_counts(services)
    return {
        "messages": len(messages),
        "seconds": busy,
        "per_second": len(messages) / busy,
        "statuses": statuses,
        "cases": count(services, Case),
        "outbox_rows": count(services, OutboxMessage),
        "rate_limited": count(services, AuditEntry, action="outbox-rate-limited"),
        "rss_mb_by_tenth": rss_mb,
    }


def measure_floor(messages: list[bytes]) -> dict[str, object]:
    read_pdf_fields(parse_message(messages[0]).pdfs[0].data)  # starts the reader's worker
    start = time.perf_counter()
    for raw in messages:
        read = read_pdf_fields(parse_message(raw).pdfs[0].data)
        if not read.fields:
            raise SystemExit(f"the floor read no fields: {read.outcome} {read.detail}")
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "per_second": len(messages) / seconds}


def _parse_and_read(raws: list[bytes]) -> int:
    """MIME parse and pypdf field read in this process, with nothing else: no sandbox, no store."""
    for raw in raws:
        answer = read_fields(parse_message(raw).pdfs[0].data)
        if answer["outcome"] != "ok":
            raise SystemExit(f"the ceiling read no fields: {answer['detail']}")
    return len(raws)


def measure_ceiling(messages: list[bytes]) -> dict[str, object]:
    """Parse and field read alone, spread over every CPU: the most any pipeline built on pypdf
    could reach on this machine, whatever else it did or did not do."""
    processes = os.cpu_count() or 1
    chunks = [messages[k::processes] for k in range(processes)]
    with ProcessPoolExecutor(processes) as pool:
        list(pool.map(_parse_and_read, [chunk[:1] for chunk in chunks]))  # start and warm
        start = time.perf_counter()
        done = sum(pool.map(_parse_and_read, chunks))
        seconds = time.perf_counter() - start
    return {"processes": processes, "per_second": done / seconds}


def profile_throughput(services: Services, messages: list[bytes], top: int = 25) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for raw in messages:
        capture_message(services, raw, Transport.FILE)
    process_all(services)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def large_reply(services: Services, professional) -> bytes:
    """A valid form with both listed files and more, random bytes filling the message up to just
    under the size limit (~24 MB of base64 on the wire), each file under the per-file limit."""
    small, _ = valid_reply(services, professional, 10**6)
    room = services.settings.max_message_bytes - LARGE_MARGIN_BYTES - len(small)
    # base64 with CRLF every 76 characters: 78 bytes on the wire per 57 bytes of file.
    data = os.urandom(room * 57 // 78)
    per_file = services.settings.max_attachment_bytes - 1024
    chunks = [data[i : i + per_file] for i in range(0, len(data), per_file)]
    names = [LISTED_FILES[1], *(f"appendix-{n}.docx" for n in range(2, len(chunks) + 1))]
    files = [
        supporting_file(LISTED_FILES[0]),
        *((name, DOCX, b"PK\x03\x04" + chunk) for name, chunk in zip(names, chunks, strict=True)),
    ]
    raw, _ = valid_reply(services, professional, 10**6 + 1, files)
    if len(raw) > services.settings.max_message_bytes:
        raise SystemExit(f"the large message is {len(raw)} bytes, over the limit")
    return raw


def reset_peak(pid: int | str) -> None:
    # Writing 5 to clear_refs resets VmHWM to the current RSS (Linux 4.0 and later).
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def measure_large(parent: Path) -> dict[str, object]:
    services = fresh_services(parent, "large")
    try:
        return measure_large_on(services, add_senco(services, 0))
    finally:
        services.close()


def measure_large_on(services: Services, professional) -> dict[str, object]:
    raw = large_reply(services, professional)
    # Warm the worker on a small reply so its peak below is the large message's.
    warm, _ = valid_reply(services, professional, 10**6 + 2)
    capture_message(services, warm, Transport.FILE)
    process_all(services)
    worker = services.sandbox.worker_pid
    reset_peak("self")
    reset_peak(worker)
    maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rss_before = proc_kb("self", "VmRSS")
    start = time.perf_counter()
    captured = capture_message(services, raw, Transport.FILE)
    process_all(services)
    seconds = time.perf_counter() - start
    with services.db.session() as session:
        status = str(session.get(InboundMessage, captured.inbound_id).status)
    return {
        "message_mb": len(raw) / 1024 / 1024,
        "status": status,
        "seconds": seconds,
        "rss_before_mb": mb(rss_before),
        "process_peak_mb": mb(proc_kb("self", "VmHWM")),
        "process_maxrss_mb": mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss),
        "process_maxrss_before_mb": mb(maxrss_before),
        "worker_peak_mb": mb(proc_kb(worker, "VmHWM")),
        "rss_after_mb": mb(proc_kb("self", "VmRSS")),
    }


def wait_for(condition: Callable[[], bool], what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up after {timeout}s waiting for {what}")
        time.sleep(0.01)


def measure_latency(parent: Path, count_: int) -> dict[str, object]:
    """APPEND one message at a time; time until its confirmation reaches the relay sink."""
    services = fresh_services(parent, "latency")
    dovecot = Dovecot()
    sink = RelaySink()
    service = None
    try:
        dovecot.start()
        sink.start()
        user = dovecot.new_user()
        settings = replace(
            services.settings, smtp_url=sink.url, imap_url=dovecot.url(user, "INBOX")
        )
        service = RunningService(replace(services, settings=settings), smtp=False)
        service.start()
        # One professional per message: the outbox's per-recipient hourly limit must not
        # hold back confirmations here.
        replies = [valid_reply(services, add_senco(services, n), n)[0] for n in range(count_ + 1)]
        latencies = []
        with IMAPClient(dovecot.host, dovecot.port, ssl=False, timeout=30) as client:
            client.login(user, PASSWORD)
            for n, raw in enumerate(replies):
                appended_at = time.perf_counter()
                client.append("INBOX", raw)
                sink.wait_for(n + 1, timeout=LATENCY_TIMEOUT_S)
                if n:  # the first warms the watcher, the pipeline and the PDF worker
                    latencies.append(time.perf_counter() - appended_at)
        latencies.sort()
        return {
            "messages": len(latencies),
            "median_s": statistics.median(latencies),
            "p95_s": latencies[max(0, round(0.95 * len(latencies)) - 1)],
            "max_s": latencies[-1],
            "confirmations": len(sink.messages),
        }
    finally:
        if service is not None:
            service.stop()
        sink.stop()
        dovecot.remove()
        services.close()


def run(messages: int, latency_messages: int, profile: bool) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="intake-bench-") as folder:
        parent = Path(folder)
        # First, while this process's lifetime peak (ru_maxrss) is still its start-up size.
        large = measure_large(parent)
        services = fresh_services(parent, "throughput")
        try:
            # Enough senders that no one passes the per-recipient rate limit: every reply is
            # confirmed, so the run pays for composing and queuing each confirmation.
            sencos = [add_senco(services, n) for n in range(-(-messages // REPLIES_PER_SENDER))]
            built = [valid_reply(services, sencos[n % len(sencos)], n + 1) for n in range(messages)]
            raws = [raw for raw, _ in built]
            if len({pdf for _, pdf in built}) != messages:
                raise SystemExit("the form PDFs are not all different")
            throughput = measure_throughput(services, raws)
            floor = measure_floor(raws)
            ceiling = measure_ceiling(raws)
            profiled = None
            if profile:
                extra = [
                    valid_reply(services, sencos[n % len(sencos)], 10**5 + n)[0]
                    for n in range(messages)
                ]
                profiled = profile_throughput(services, extra)
        finally:
            services.close()
        latency = measure_latency(parent, latency_messages)
    return {
        "cpu_count": os.cpu_count(),
        "throughput": throughput,
        "floor": floor,
        "ceiling": ceiling,
        "floor_ratio": floor["per_second"] / throughput["per_second"],
        "latency": latency,
        "large": large,
        "profile": profiled,
        "targets": {
            "per_second": TARGET_PER_SECOND,
            "floor_ratio": TARGET_FLOOR_RATIO,
            "median_s": TARGET_MEDIAN_S,
            "p95_s": TARGET_P95_S,
        },
    }


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def print_report(report: dict[str, object]) -> None:
    t, f, lat, big = report["throughput"], report["floor"], report["latency"], report["large"]
    ratio = report["floor_ratio"]
    print(f"Ingest on SQLite, {report['cpu_count']} CPUs\n")
    print(
        f"(i)  full pipeline: {t['messages']} valid replies in {t['seconds']:.1f} s ="
        f" {t['per_second']:.1f}/s  (target >= {TARGET_PER_SECOND:.0f}/s:"
        f" {verdict(t['per_second'] >= TARGET_PER_SECOND)})"
    )
    print(
        f"     statuses {t['statuses']}, cases {t['cases']}, outbox rows {t['outbox_rows']},"
        f" held by the per-recipient rate limit {t['rate_limited']}"
    )
    print(f"(ii) floor (parse + field read): {f['per_second']:.1f}/s")
    print(
        f"     floor / full: {ratio:.2f}x  (target <= {TARGET_FLOOR_RATIO}x:"
        f" {verdict(ratio <= TARGET_FLOOR_RATIO)})"
    )
    ceiling = report["ceiling"]
    print(
        f"     parse + field read alone on all {ceiling['processes']} CPUs (no sandbox, no store):"
        f" {ceiling['per_second']:.1f}/s, the most any pipeline on pypdf could reach here"
    )
    print(
        f"(iii) APPEND to confirmation over {lat['messages']} messages: median"
        f" {lat['median_s']:.3f} s (target {TARGET_MEDIAN_S} s:"
        f" {verdict(lat['median_s'] <= TARGET_MEDIAN_S)}), p95 {lat['p95_s']:.3f} s"
        f" (target {TARGET_P95_S} s: {verdict(lat['p95_s'] <= TARGET_P95_S)}),"
        f" max {lat['max_s']:.3f} s"
    )
    print(
        f"(iv) one {big['message_mb']:.1f} MB message: {big['status']} in {big['seconds']:.2f} s;"
        f" process peak {big['process_peak_mb']:.0f} MB (ru_maxrss {big['process_maxrss_mb']:.0f}"
        f" MB, was {big['process_maxrss_before_mb']:.0f}), from {big['rss_before_mb']:.0f} MB"
        f" before; PDF worker peak {big['worker_peak_mb']:.0f} MB;"
        f" RSS after {big['rss_after_mb']:.0f} MB"
    )
    tenths = " ".join(f"{v:.0f}" for v in t["rss_mb_by_tenth"])
    print(f"     RSS (MB) before and after each tenth of run (i): {tenths}")
    if report["profile"]:
        print("\ncProfile of run (i), by cumulative time:\n" + report["profile"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=300, help="replies for (i) and (ii)")
    parser.add_argument("--latency-messages", type=int, default=30, help="APPENDs for (iii)")
    parser.add_argument("--profile", action="store_true", help="cProfile a run of (i)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.messages < 10 or args.latency_messages < 1:
        parser.error("--messages is at least 10 and --latency-messages at least 1")
    report = run(args.messages, args.latency_messages, args.profile)
    if args.json:
        print(json.dumps(report))
    else:
        print_report(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
