"""The PDF reader: every kind of field comes back, every hostile file gets an outcome in time,
and the worker process survives it or is replaced."""

from __future__ import annotations

import io
import os
import signal
import statistics
import threading
import time
import zlib

import hostile_pdfs as pdfs
import pypdf
import pytest

from documents.pdf.read.reader import (
    BAD_REPLY,
    PdfRead,
    PdfSandbox,
    ReadLimits,
    ReadOutcome,
    parse_reply,
    read_pdf_fields,
)
from documents.pdf.read.sandbox_worker import encode_answer

LIMITS = ReadLimits()


@pytest.fixture(scope="module")
def sandbox():
    with PdfSandbox(LIMITS) as sandbox:
        yield sandbox


def timed_read(sandbox: PdfSandbox, data: bytes) -> tuple[PdfRead, float]:
    started = time.monotonic()
    read = sandbox.read(data)
    return read, time.monotonic() - started


def assert_reads_small_form(sandbox: PdfSandbox) -> None:
    read = sandbox.read(pdfs.small_form())
    assert read.outcome is ReadOutcome.OK, read.detail
    assert read.fields == pdfs.SMALL_FORM_FIELDS


def test_every_kind_of_field_comes_back_as_the_pdf_holds_it(sandbox):
    read = sandbox.read(pdfs.small_form())
    assert read.outcome is ReadOutcome.OK
    # Text keeps its CR LF, the hidden token is there, the multi-select is a list.
    assert read.fields == pdfs.SMALL_FORM_FIELDS
    assert read.detail == "read 8 fields"


# Each case: the file, the outcome, words the detail must hold, the fields it must give.
HOSTILE = {
    "text": (lambda: pdfs.NOT_PDFS["text"], ReadOutcome.NOT_PDF, "not a PDF", {}),
    "png": (lambda: pdfs.NOT_PDFS["png"], ReadOutcome.NOT_PDF, "not a PDF", {}),
    "empty": (lambda: pdfs.NOT_PDFS["empty"], ReadOutcome.NOT_PDF, "empty", {}),
    "truncated": (pdfs.truncated, ReadOutcome.MALFORMED, "damaged", {}),
    "bomb-in-field-value": (
        pdfs.bomb_in_field_value,
        ReadOutcome.TOO_MUCH_DATA,
        "safety limit",
        {},
    ),
    # Page content is never inflated: the bomb there costs nothing.
    "bomb-in-page-content": (pdfs.bomb_in_page_content, ReadOutcome.OK, "read", {"name": "Ann"}),
    # Names are built from /Fields down, so a /Parent loop is never followed.
    "parent-loop": (pdfs.parent_loop, ReadOutcome.OK, "read", {"self_parent": "x"}),
    "kids-loop": (pdfs.kids_loop, ReadOutcome.NO_FIELDS, "no fillable fields", {}),
    "deep-kids-chain": (pdfs.deep_kids_chain, ReadOutcome.MALFORMED, "nested more than 100", {}),
    "deep-arrays": (pdfs.deep_array, ReadOutcome.MALFORMED, "damaged", {}),
    "user-password-aes": (lambda: pdfs.encrypted("secret"), ReadOutcome.ENCRYPTED, "password", {}),
    "user-password-rc4": (
        lambda: pdfs.encrypted("secret", "RC4-128"),
        ReadOutcome.ENCRYPTED,
        "password",
        {},
    ),
    "flattened": (pdfs.flattened, ReadOutcome.NO_FIELDS, "printed, scanned or flattened", {}),
    "xfa-only": (pdfs.xfa_only, ReadOutcome.XFA, "XFA", {}),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_file_gets_its_outcome_in_time_and_the_worker_survives(sandbox, case):
    make, expected, detail_says, fields = HOSTILE[case]
    sandbox.read(pdfs.small_form())
    worker = sandbox.worker_pid

    read, seconds = timed_read(sandbox, make())

    assert read.outcome is expected, read.detail
    assert detail_says in read.detail
    assert "\n" not in read.detail
    assert read.fields == fields
    assert seconds < 5  # far inside the wall limit: pypdf's limits and ours stop each early
    assert sandbox.worker_pid == worker
    assert_reads_small_form(sandbox)


def test_a_lone_surrogate_is_answered_as_a_replacement_character():
    answer = {"outcome": "ok", "detail": "", "fields": {"name": "A\ud800"}}
    assert parse_reply(encode_answer(answer)).fields == {"name": "A\ufffd"}


def test_a_field_nested_within_the_depth_limit_is_read_by_its_full_name(sandbox):
    read = sandbox.read(pdfs.deep_kids_chain(50))
    assert read.outcome is ReadOutcome.OK
    name = "top." + ".".join(f"k{n}" for n in range(6, 56))
    assert read.fields == {name: "x"}


@pytest.mark.parametrize("algorithm", ["AES-256", "AES-128", "RC4-128"])
def test_owner_password_only_reads_as_usual(sandbox, algorithm):
    read = sandbox.read(pdfs.encrypted("", algorithm))
    assert read.outcome is ReadOutcome.OK, read.detail
    assert read.fields == pdfs.SMALL_FORM_FIELDS


def test_the_bomb_really_inflates_to_gigabytes():
    bomb = pdfs.zeros_bomb(2 * 1024**3)
    assert len(bomb) < 3 * 1024 * 1024
    assert zlib.decompress(pdfs.zeros_bomb(10**6)) == bytes(1 + 258 * ((10**6 - 1) // 258))
    # Far beyond the worker's 32 MiB inflation limit after its first 64 MiB.
    assert len(zlib.decompressobj().decompress(bomb, 64 * 1024 * 1024)) == 64 * 1024 * 1024


def test_too_large_is_decided_without_a_worker():
    with PdfSandbox(ReadLimits(max_bytes=10_000)) as small:
        read = small.read(pdfs.small_form())
        assert read.outcome is ReadOutcome.TOO_LARGE
        assert read.detail == "the PDF is larger than 10000 bytes"
        assert small.worker_pid is None


def test_spinning_past_the_cpu_limit_is_a_timeout_and_the_next_read_works():
    with PdfSandbox(ReadLimits(cpu_seconds=1)) as strict:
        assert_reads_small_form(strict)
        first_worker = strict.worker_pid
        read, seconds = timed_read(strict, pdfs.many_fields(40_000))
        assert read.outcome is ReadOutcome.TIMEOUT
        assert "processor time" in read.detail
        assert seconds < LIMITS.wall_seconds
        assert_reads_small_form(strict)
        assert strict.worker_pid not in (None, first_worker)


def test_running_past_the_wall_clock_limit_is_a_timeout_and_the_next_read_works():
    with PdfSandbox(ReadLimits(wall_seconds=0.5)) as impatient:
        assert_reads_small_form(impatient)
        first_worker = impatient.worker_pid
        read, seconds = timed_read(impatient, pdfs.many_fields(40_000))
        assert read.outcome is ReadOutcome.TIMEOUT
        assert read.detail == "the PDF took more than 0.5 s to read"
        assert seconds < 1.5
        assert_reads_small_form(impatient)
        assert impatient.worker_pid not in (None, first_worker)


def test_running_out_of_memory_is_reported_and_the_worker_replaced():
    # 30 MB of text in one field value: pypdf holds several copies of it on the way.
    big_value = pdfs.raw_form({"essay": b"6 0 R"}, build_extra=_add_inflating_stream(30 * 10**6))
    # Past the default cap on inflated bytes: raised, so that memory is what runs out.
    inflating = 64 * 1024 * 1024
    with PdfSandbox(ReadLimits(memory_bytes=128 * 1024 * 1024, decoded_bytes=inflating)) as cramped:
        assert_reads_small_form(cramped)
        first_worker = cramped.worker_pid
        read = cramped.read(big_value)
        assert read.outcome is ReadOutcome.TOO_MUCH_MEMORY
        assert_reads_small_form(cramped)
        assert cramped.worker_pid not in (None, first_worker)
    with PdfSandbox(ReadLimits(decoded_bytes=inflating)) as roomy:
        read = roomy.read(big_value)
        assert read.outcome is ReadOutcome.OK
        assert len(read.fields["essay"]) == 1 + 258 * ((30 * 10**6 - 1) // 258)


def _add_inflating_stream(size: int):
    def add(pdf: pdfs.RawPdf, field_numbers: list[int]) -> None:
        pdf.add(pdfs.stream(pdfs.zeros_bomb(size), b"/Filter /FlateDecode"))

    return add


def test_a_worker_killed_between_reads_is_replaced(sandbox):
    assert_reads_small_form(sandbox)
    worker = sandbox.worker_pid
    os.kill(worker, signal.SIGKILL)
    while not _is_dead(worker):
        time.sleep(0.01)
    assert_reads_small_form(sandbox)
    assert sandbox.worker_pid not in (None, worker)


def test_a_worker_that_crashes_mid_read_gives_malformed_and_is_replaced():
    with PdfSandbox() as crashing:
        assert_reads_small_form(crashing)
        worker = crashing.worker_pid
        threading.Timer(0.5, os.kill, (worker, signal.SIGSEGV)).start()
        read = crashing.read(pdfs.many_fields(40_000))  # about 5 s of work
        assert read.outcome is ReadOutcome.MALFORMED
        assert read.detail == "the PDF could not be read: the reader crashed (SIGSEGV)"
        assert_reads_small_form(crashing)


def test_the_worker_does_not_see_the_services_secrets(monkeypatch):
    monkeypatch.setenv("INTAKE_SECRET_KEY", "do-not-leak")
    with PdfSandbox() as isolated:
        assert_reads_small_form(isolated)
        with open(f"/proc/{isolated.worker_pid}/environ", "rb") as environ:
            assert b"INTAKE_SECRET_KEY" not in environ.read()


def _is_dead(pid: int) -> bool:
    with open(f"/proc/{pid}/status") as status:
        return any(line.startswith("State:") and "Z" in line for line in status)


def test_threads_share_one_sandbox_safely(sandbox):
    form = pdfs.small_form()
    reads: list[PdfRead] = []
    threads = [threading.Thread(target=lambda: reads.append(sandbox.read(form))) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [read.fields for read in reads] == [pdfs.SMALL_FORM_FIELDS] * 6


def test_read_pdf_fields_uses_a_shared_sandbox_per_set_of_limits():
    assert read_pdf_fields(pdfs.small_form()).fields == pdfs.SMALL_FORM_FIELDS
    tight = ReadLimits(max_bytes=1000)
    assert read_pdf_fields(pdfs.small_form(), tight).outcome is ReadOutcome.TOO_LARGE


@pytest.mark.parametrize(
    "reply",
    [
        b"not json",
        b"[]",
        b'{"outcome": "ok", "detail": "x"}',
        b'{"outcome": "too-large", "detail": "x", "fields": {}}',
        b'{"outcome": "ok", "detail": 3, "fields": {}}',
        b'{"outcome": "ok", "detail": "x", "fields": {"a": 1}}',
        b'{"outcome": "ok", "detail": "x", "fields": {"a": ["b", null]}}',
        b'{"outcome": "ok", "detail": "x", "fields": []}',
    ],
)
def test_a_worker_answer_that_does_not_fit_is_refused(reply):
    assert parse_reply(reply) == PdfRead(ReadOutcome.MALFORMED, {}, BAD_REPLY)


def test_a_worker_answer_is_made_one_line():
    reply = b'{"outcome": "ok", "detail": "two\\nlines", "fields": {"a": ["b"], "c": true}}'
    assert parse_reply(reply) == PdfRead(ReadOutcome.OK, {"a": ["b"], "c": True}, "two lines")


def test_a_warm_read_stays_within_one_and_a_half_times_pypdf_in_process(sandbox):
    form = pdfs.large_form(150)
    sandbox.read(form)
    floor, ours = [], []
    for _ in range(15):  # interleaved, so that load from other processes hits both alike
        started = time.perf_counter()
        pypdf.PdfReader(io.BytesIO(form)).get_fields()
        floor.append(time.perf_counter() - started)
        started = time.perf_counter()
        read = sandbox.read(form)
        ours.append(time.perf_counter() - started)
    assert len(read.fields) == 150
    ratio = statistics.median(ours) / statistics.median(floor)
    print(f"150 fields: pypdf {statistics.median(floor) * 1000:.1f} ms, ratio {ratio:.2f}")
    assert ratio < 1.5


def test_a_10_mb_pdf_is_read_in_under_300_mb():
    form = pdfs.padded_form(10 * 1024 * 1024)
    with PdfSandbox() as fresh:
        read = fresh.read(form)
        assert read.outcome is ReadOutcome.OK and len(read.fields) == 150
        with open(f"/proc/{fresh.worker_pid}/status") as status:
            peak_kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
    print(f"worker peak RSS after a {len(form)} byte PDF: {peak_kib / 1024:.0f} MiB")
    assert peak_kib * 1024 < 300 * 1024 * 1024


def test_many_fields_inflating_past_the_decoded_cap_are_too_much_data_within_300_mb():
    # Forty field values of 31 MiB each: under the per-stream limit one by one, 1.2 GiB together.
    bombs = pdfs.bombs_in_many_fields(40, 31 * 1024 * 1024)
    assert len(bombs) < 1_500_000
    with PdfSandbox() as fresh:
        assert_reads_small_form(fresh)
        worker = fresh.worker_pid
        read = fresh.read(bombs)
        assert read.outcome is ReadOutcome.TOO_MUCH_DATA, read.detail
        assert read.detail == "the PDF's contents inflate to more than 8 MB"
        assert read.fields == {}
        # A clear answer, not a death: the same worker reads the next form.
        assert fresh.worker_pid == worker
        with open(f"/proc/{worker}/status") as status:
            peak_kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
        assert_reads_small_form(fresh)
    print(f"worker peak RSS after a {len(bombs)} byte PDF of 40 bombs: {peak_kib / 1024:.0f} MiB")
    assert peak_kib * 1024 < 300 * 1024 * 1024


def test_field_text_past_the_cap_is_too_much_data_within_300_mb():
    # No stream to inflate: a thousand fields of 25 KiB of control characters each, written out,
    # which the JSON answer would hold six times over (\u0001 for each).
    value = b"(" + b"\x01" * (25 * 1024) + b")"
    text = pdfs.raw_form({f"field_{i:04d}": value for i in range(1000)})
    with PdfSandbox() as fresh:
        read = fresh.read(text)
        assert read.outcome == "too-much-data", read.detail
        assert read.detail == "the PDF's fields hold more than 8 MB of text"
        with open(f"/proc/{fresh.worker_pid}/status") as status:
            peak_kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
        assert_reads_small_form(fresh)
    print(f"worker peak RSS after a {len(text)} byte PDF of long fields: {peak_kib >> 10} MiB")
    assert peak_kib * 1024 < 300 * 1024 * 1024
