"""The generated hostile corpus (tests/hostile/) through the pipeline as `intake ingest` runs it:
every case ends with the status and reason it is labelled with, worded for a person, with no
exception and no traceback in the logs, within its time limit and in bounded memory; no file
name writes outside the attachment store, and no header injection reaches an email we send.

Run with `-s` to see the counts per family, the outcomes, the slowest cases and peak memory.
"""

from __future__ import annotations

import logging
import os
import resource
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SENCO
from hostile import Case, Kit, all_cases, families
from hostile.checks import (
    MIB,
    Figures,
    WorkerWatch,
    files_outside,
    problems_in_logs,
    problems_in_reply,
    problems_with_outcome,
)
from mail_factory import form_reply, supporting_file
from sqlalchemy import select

from documents import PdfSandbox, ReadLimits, render_form
from documents.forms.request_example import REQUEST_EXAMPLE
from intake.outcomes import outcome_of
from intake.pipeline.process import process_all
from intake.receive.capture import capture_message
from intake.replies import personal_request_form, plus_address, specimen_form
from store import InboundStatus, OutboxMessage, Transport

CASES = all_cases()
LIMITS = ReadLimits()
# A case may read a PDF or two, each within the reader's wall-clock limit; the rest is parsing
# and a database transaction. Generous, since the machine is shared: a hang is what it catches.
SECONDS_PER_CASE = 2 * LIMITS.wall_seconds + 10
# Our own process may grow by the largest message (26 MB) parsed a few times over; the PDF
# worker is held under its address-space limit by the sandbox.
OWN_GROWTH_BOUND_MIB = 400
WORKER_BOUND_MIB = LIMITS.memory_bytes // MIB


@pytest.fixture
def database(sqlite_database):
    """SQLite only: the corpus is about hostile input, not the database (which the serve test
    runs on both)."""
    return sqlite_database


@pytest.fixture
def pdf_sandbox() -> Iterator[PdfSandbox]:
    """A sandbox of this test's own, so that its worker's memory is this corpus's alone."""
    sandbox = PdfSandbox(LIMITS)
    try:
        yield sandbox
    finally:
        sandbox.close()


LISTED = [supporting_file(REQUEST_EXAMPLE[f"documents[{row}].file"]) for row in (1, 2)]


def recorded_request(services, senco) -> str:
    """A request recorded for the SENCO: its plus-address is where documents for it go."""
    token, _ = personal_request_form(services, senco)
    pdf = render_form_for(token)
    raw = form_reply(pdf, sender=SENCO, message_id="<the-request@glanwy.sch.uk>", files=LISTED)
    inbound_id = capture_message(services, raw, Transport.FILE).inbound_id
    process_all(services)
    assert outcome_of(services, inbound_id).status == InboundStatus.ACCEPTED
    return plus_address(services, token)


def render_form_for(token: str) -> bytes:
    from documents import get_form

    return render_form(get_form("request"), values=REQUEST_EXAMPLE, token=token)


def make_kit(services, senco) -> Kit:
    _, specimen = specimen_form(services, "request")
    return Kit(
        intake=services.settings.address,
        professional=SENCO,
        case_address=recorded_request(services, senco),
        specimen=specimen.data,
    )


def run_case(services, case: Case, kit: Kit) -> tuple[int, dict]:
    raw = case.build(kit)
    captured = capture_message(services, raw, Transport.FILE)
    assert captured.new, f"{case.id} was taken for an earlier case"
    del raw
    process_all(services)
    return captured.inbound_id, outcome_of(services, captured.inbound_id).as_dict()


def test_the_corpus_is_big_and_every_family_is_there():
    by_family = families(CASES)
    assert len(CASES) >= 200
    expected = {"broken-mime", "many-parts", "deep-nesting", "header-injection", "path-traversal",
                "nul-bytes", "huge-headers", "oversize", "pdf", "not-mail"}  # fmt: skip
    assert set(by_family) == expected
    names = {case.name for case in CASES if case.family == "pdf"}
    for kind in ("bomb-field-2048mb", "kids-loop", "encrypted-AES-256", "flattened"):
        assert kind in names


def test_every_hostile_case_ends_as_labelled(
    services, senco, pdf_sandbox, caplog, tmp_path, capsys
):
    caplog.set_level(logging.DEBUG)
    kit = make_kit(services, senco)
    before = {path for path in tmp_path.rglob("*") if path.is_file()}
    figures = Figures()
    failures: list[str] = []
    by_case: dict[int, Case] = {}
    with WorkerWatch(lambda: pdf_sandbox.worker_pid) as watch:
        for case in CASES:
            caplog.clear()
            began = time.perf_counter()
            try:
                inbound_id, outcome = run_case(services, case, kit)
            except Exception as exc:  # every case is tried; the test lists what escaped
                failures.append(f"{case.id}: {type(exc).__name__} escaped: {exc}"[:500])
                continue
            figures.seconds[case.id] = elapsed = time.perf_counter() - began
            figures.note(case, outcome)
            by_case[inbound_id] = case
            found = problems_with_outcome(case, outcome) + problems_in_logs(caplog.records)
            if elapsed > SECONDS_PER_CASE:
                found.append(f"took {elapsed:.1f} s, bound {SECONDS_PER_CASE} s")
            failures += [f"{case.id}: {problem}" for problem in found]
    figures.worker_peak_kib = watch.peak_kib

    failures += replies_with_injections(services, by_case)
    home = services.settings.home
    failures += [
        f"a file outside the stores: {path}" for path in files_outside(home, tmp_path, before)
    ]
    with capsys.disabled():
        print("\n" + figures.report(families(CASES)))
    if failures and (report := os.environ.get("INTAKE_HOSTILE_REPORT")):
        Path(report).write_text("\n".join(failures) + "\n")
    assert not failures, "\n".join(failures)
    assert 0 < figures.worker_peak_kib < WORKER_BOUND_MIB * 1024
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - figures.started_rss_kib
    assert grown < OWN_GROWTH_BOUND_MIB * 1024


def replies_with_injections(services, by_case: dict[int, Case]) -> list[str]:
    """Every email the corpus made the service queue, checked for smuggled headers; and each
    header-injection case must have been answered (else nothing was tested)."""
    found = []
    answered = set()
    with services.db.session() as session:
        for row in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)):
            case = by_case.get(row.inbound_message_id)
            if row.raw is None or case is None:
                continue
            answered.add(case.id)
            found += [
                f"{case.id}: reply {row.kind}: {p}"
                for p in problems_in_reply(row.raw, row.to_address)
            ]
    injections = {case.id for case in by_case.values() if case.family == "header-injection"}
    found += [
        f"{name}: never answered, so its injection went untested"
        for name in sorted(injections - answered)
    ]
    return found
