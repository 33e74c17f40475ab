"""Every real-world message in the shared corpus (mail written by nobody on our team) goes through
parse_message and screen without an exception, within a time bound, to a recorded verdict.

The corpus lives beside the repository (<repo>/../shared/corpus) and is never copied into it.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from intake.parse.message import message_key, parse_headers, parse_message
from intake.screening.checks import CHECKS, Screening, screen

CORPUS_MAIL = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "mail"
SECONDS_PER_MESSAGE = 5.0

pytestmark = pytest.mark.skipif(not CORPUS_MAIL.is_dir(), reason="shared corpus not present")


def _corpus_files() -> list[Path]:
    return sorted(path for path in CORPUS_MAIL.rglob("*") if path.is_file())


def _screen_in_thread(raw: bytes) -> tuple[Screening | None, str | None, BaseException | None]:
    """Parse and screen in a daemon thread, so a hang fails the test instead of stalling it."""
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            parsed = parse_message(raw)
            outcome["key"] = message_key(parsed, raw)
            outcome["screening"] = screen(parsed, len(raw))
        except BaseException as exc:  # reported by the test, with the file's name
            outcome["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(SECONDS_PER_MESSAGE)
    if worker.is_alive():
        raise TimeoutError(f"no outcome within {SECONDS_PER_MESSAGE} s")
    return outcome.get("screening"), outcome.get("key"), outcome.get("error")  # type: ignore[return-value]


def test_every_corpus_message_gets_a_verdict_in_time():
    files = _corpus_files()
    assert len(files) >= 250, "the corpus manifest lists 263 mail files"
    verdicts: Counter[str] = Counter()
    codes: Counter[str] = Counter()
    failures: list[str] = []
    started = time.perf_counter()
    slowest = (0.0, "")
    for path in files:
        name = str(path.relative_to(CORPUS_MAIL))
        began = time.perf_counter()
        try:
            screening, key, error = _screen_in_thread(path.read_bytes())
        except TimeoutError as exc:
            failures.append(f"{name}: {exc}")
            continue
        slowest = max(slowest, (time.perf_counter() - began, name))
        if error is not None:
            failures.append(f"{name}: {type(error).__name__}: {error}")
            continue
        assert screening is not None and key
        assert len(screening.decisions) == len(CHECKS)
        verdicts[screening.verdict] += 1
        codes.update(hit.code for hit in screening.reasons)
    elapsed = time.perf_counter() - started
    print(f"\n{len(files)} corpus messages in {elapsed:.2f} s")
    print(f"slowest {slowest[0]:.2f} s: {slowest[1]}")
    print("verdicts:", dict(sorted(verdicts.items())))
    print("reason codes:", dict(sorted(codes.items())))
    assert not failures, "\n".join(failures)
    assert sum(verdicts.values()) == len(files)


def test_corpus_bounces_are_ignored():
    bounces = sorted((CORPUS_MAIL / "flanker").rglob("bounce/*"))
    if not bounces:
        pytest.skip("no flanker bounce folder in this corpus")
    verdicts = {
        path.name: screen(parse_message(raw := path.read_bytes()), len(raw)).verdict
        for path in bounces
    }
    assert set(verdicts.values()) == {"ignore"}, verdicts


def test_capture_reads_the_same_identity_from_the_headers_as_from_the_whole_message():
    # Capture parses only the headers; the key it stores must be the one a full parse gives.
    checked = 0
    for path in _corpus_files():
        raw = path.read_bytes()
        quick = parse_headers(raw)
        if quick is None:
            continue
        full = parse_message(raw)
        assert (quick.message_id, quick.from_address, quick.subject) == (
            full.message_id,
            full.from_address,
            full.subject,
        ), path.name
        checked += 1
    assert checked > 100
