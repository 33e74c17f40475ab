"""Measure how fast forms render and check, and how much memory checking a large PDF takes.

Run `.venv/bin/python benchmarks/forms.py [--rounds N] [--json]`. For each form kind it prints,
side by side: a personalised render (cold first, then the median of warm ones), a full
`check_pdf` through the sandbox on a filled example, and the floor (pypdf alone reading the same
bytes). Check and floor runs alternate, so noise on a shared machine falls on both alike.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import pypdf  # noqa: E402
from fill_engines import fill_with_pypdf  # noqa: E402

from documents.check import check_pdf  # noqa: E402
from documents.forms import FORMS  # noqa: E402
from documents.pdf.read.reader import PdfSandbox  # noqa: E402
from documents.pdf.render import render_form  # noqa: E402
from documents.pdfvalues import pdf_values  # noqa: E402
from documents.schema import TOKEN_FIELD  # noqa: E402
from documents.tokens import issue_token  # noqa: E402

TODAY = date(2025, 12, 1)
KEY = b"ehcp-intake benchmark key"
LARGE_ATTACHMENT_BYTES = 10 * 1024 * 1024

TARGET_RENDER_MS = 25.0
TARGET_CHECK_RATIO = 1.5
TARGET_PEAK_MB = 300.0


def elapsed_ms(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return (time.perf_counter() - start) * 1000


def measure_render(kind: str, rounds: int) -> dict[str, float]:
    """Personalised renders: step 1 pre-filled from the example and a fresh token every time."""
    form = FORMS[kind]
    first_step = {f.name for f in form.steps[0].fields}
    prefill = {name: value for name, value in form.example.items() if name in first_step}
    serial = iter(range(1, 10**9))

    def render() -> bytes:
        token = issue_token(KEY, kind, next(serial), 1, today=TODAY)
        return render_form(form, values=prefill, token=token)

    cold = elapsed_ms(render)
    _require_personalised(form, render(), prefill)
    warm = [elapsed_ms(render) for _ in range(rounds)]
    return {"render_cold_ms": cold, "render_median_ms": statistics.median(warm)}


def _require_personalised(form, pdf: bytes, prefill: dict) -> None:
    # A render that quietly skipped the values would be fast and worthless.
    fields = pypdf.PdfReader(io.BytesIO(pdf)).get_fields()
    token = fields[TOKEN_FIELD].get("/V")
    missing = [name for name in pdf_values(form, prefill) if fields[name].get("/V") in (None, "")]
    if not token or missing:
        raise SystemExit(f"the {form.kind} render is not personalised: token {token!r}, {missing}")


def filled_example(kind: str) -> bytes:
    form = FORMS[kind]
    token = issue_token(KEY, kind, 1, 1, today=TODAY)
    return fill_with_pypdf(render_form(form, token=token), pdf_values(form, form.example))


def measure_check(kind: str, sandbox: PdfSandbox, rounds: int) -> dict[str, float]:
    data = filled_example(kind)
    result = check_pdf(data, key=KEY, today=TODAY, sandbox=sandbox)  # warms the worker
    if not result.ok:
        raise SystemExit(f"the filled {kind} example does not check: {result.as_dict()}")
    checks, floors = [], []
    for _ in range(rounds):
        checks.append(elapsed_ms(lambda: check_pdf(data, key=KEY, today=TODAY, sandbox=sandbox)))
        floors.append(elapsed_ms(lambda: pypdf.PdfReader(io.BytesIO(data)).get_fields()))
    check_ms, floor_ms = statistics.median(checks), statistics.median(floors)
    return {
        "pdf_bytes": len(data),
        "check_median_ms": check_ms,
        "floor_median_ms": floor_ms,
        "check_floor_ratio": check_ms / floor_ms,
    }


def large_filled_request() -> bytes:
    """The filled request example carrying ~10 MB of random bytes that no filter can shrink."""
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(filled_example("request")))
    writer.add_attachment("scan.bin", os.urandom(LARGE_ATTACHMENT_BYTES))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def peak_rss_mb(pid: int | str) -> float:
    """VmHWM: the most resident memory the process has held since start or since reset."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


def reset_peak_rss(pid: int | str) -> None:
    # Writing 5 to clear_refs resets VmHWM to the current RSS (Linux 4.0 and later).
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def measure_large_check() -> dict[str, float]:
    data = large_filled_request()
    # A fresh worker, so its peak is this check's and not an earlier one's.
    sandbox = PdfSandbox()
    try:
        reset_peak_rss("self")
        parent_before = peak_rss_mb("self")
        start = time.perf_counter()
        result = check_pdf(data, key=KEY, today=TODAY, sandbox=sandbox)
        seconds = time.perf_counter() - start
        # The worker starts on first use and is still running: its peak is this check's.
        worker_peak = peak_rss_mb(sandbox.worker_pid)
        parent_peak = peak_rss_mb("self")
    finally:
        sandbox.close()
    return {
        "pdf_mb": len(data) / 1024 / 1024,
        "outcome": result.outcome,
        "check_ms": seconds * 1000,
        "worker_peak_mb": worker_peak,
        "parent_peak_mb": parent_peak,
        "parent_growth_mb": parent_peak - parent_before,
        "total_peak_mb": worker_peak + parent_peak,
    }


def run(rounds: int) -> dict[str, object]:
    forms: dict[str, dict[str, float]] = {}
    sandbox = PdfSandbox()
    try:
        for kind in sorted(FORMS):
            forms[kind] = {**measure_render(kind, rounds), **measure_check(kind, sandbox, rounds)}
    finally:
        sandbox.close()
    return {
        "rounds": rounds,
        "cpu_count": os.cpu_count(),
        "forms": forms,
        "large_check": measure_large_check(),
        "targets": {
            "render_median_ms": TARGET_RENDER_MS,
            "check_floor_ratio": TARGET_CHECK_RATIO,
            "peak_mb": TARGET_PEAK_MB,
        },
    }


def verdict(ok: bool) -> str:
    return "ok" if ok else "OVER"


def print_table(report: dict[str, object]) -> None:
    forms = report["forms"]
    large = report["large_check"]
    print(f"Forms: {report['rounds']} rounds each, {report['cpu_count']} CPUs, times in ms\n")
    header = ("form", "PDF KB", "render 1st", "render med", "check med", "floor med", "ratio")
    print("{:<14}{:>8}{:>12}{:>12}{:>11}{:>11}{:>8}".format(*header))
    for kind, m in forms.items():
        print(
            f"{kind:<14}{m['pdf_bytes'] / 1024:>8.0f}{m['render_cold_ms']:>12.1f}"
            f"{m['render_median_ms']:>12.1f}{m['check_median_ms']:>11.1f}"
            f"{m['floor_median_ms']:>11.1f}{m['check_floor_ratio']:>7.2f}x"
        )
    worst_render = max(m["render_median_ms"] for m in forms.values())
    worst_ratio = max(m["check_floor_ratio"] for m in forms.values())
    print()
    print(
        f"render median, slowest form: {worst_render:.1f} ms  "
        f"(target <= {TARGET_RENDER_MS:.0f} ms: {verdict(worst_render <= TARGET_RENDER_MS)})"
    )
    print(
        f"check / floor, worst form:   {worst_ratio:.2f}x  "
        f"(target <= {TARGET_CHECK_RATIO}x: {verdict(worst_ratio <= TARGET_CHECK_RATIO)})"
    )
    print(
        f"\ncheck of a {large['pdf_mb']:.1f} MB PDF: {large['outcome']}"
        f" in {large['check_ms']:.0f} ms;"
        f" peak RSS worker {large['worker_peak_mb']:.0f} MB + parent"
        f" {large['parent_peak_mb']:.0f} MB (of which {large['parent_growth_mb']:.0f} MB during"
        f" the check) = {large['total_peak_mb']:.0f} MB"
        f" (target < {TARGET_PEAK_MB:.0f} MB: {verdict(large['total_peak_mb'] < TARGET_PEAK_MB)})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30, help="warm runs per measurement")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    report = run(args.rounds)
    if args.json:
        print(json.dumps(report))
    else:
        print_table(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
