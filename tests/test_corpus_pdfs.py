"""Every PDF in the shared real-world corpus gets a reader outcome: no exception, no hang.

The corpus (`<repo>/../shared/corpus`, see its MANIFEST.md) is read in place, never copied;
the tests skip when it is absent.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from documents.pdf.read.reader import ReadLimits, ReadOutcome, read_pdf_fields

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "pdf"
LIMITS = ReadLimits()

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no PDF corpus at {CORPUS}")


def test_every_corpus_file_gets_an_outcome():
    files = sorted(path for path in CORPUS.rglob("*") if path.is_file())
    assert len(files) > 300  # the manifest lists 385
    outcomes: Counter[ReadOutcome] = Counter()
    slowest = (0.0, "")
    started = time.monotonic()
    for path in files:
        began = time.monotonic()
        read = read_pdf_fields(path.read_bytes(), LIMITS)
        seconds = time.monotonic() - began
        assert isinstance(read.outcome, ReadOutcome), path
        assert read.detail and "\n" not in read.detail, path
        assert (read.outcome is ReadOutcome.OK) == bool(read.fields), path
        # The wall limit plus the time to start a replacement worker.
        assert seconds < LIMITS.wall_seconds + 5, path
        outcomes[read.outcome] += 1
        slowest = max(slowest, (seconds, str(path.relative_to(CORPUS))))
    total = time.monotonic() - started
    summary = ", ".join(f"{outcome}: {count}" for outcome, count in outcomes.most_common())
    print(
        f"\n{len(files)} corpus PDFs in {total:.1f} s ({summary}); slowest {slowest[1]}"
        f" at {slowest[0]:.2f} s"
    )
    assert sum(outcomes.values()) == len(files)


def test_the_empty_corpus_file_is_not_a_pdf():
    empty = CORPUS / "qpdf-fuzz" / "70245.fuzz"
    assert empty.stat().st_size == 0
    read = read_pdf_fields(empty.read_bytes())
    assert read.outcome is ReadOutcome.NOT_PDF
    assert read.detail == "the file is empty"
