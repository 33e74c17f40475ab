"""Hypothesis profiles for the fuzz tests (tests/test_fuzz_*.py): `ci`, the default, is brief
and derandomised (the same examples on every run, so CI never flakes); `long`, chosen with
INTAKE_FUZZ=long, runs a hundred times as many random examples, for running by hand:

    INTAKE_FUZZ=long .venv/bin/python -m pytest tests/test_fuzz_mime.py tests/test_fuzz_pdf.py

No deadline in either: the machine is shared, and a PDF read is bounded by the sandbox anyway.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROFILE = os.environ.get("INTAKE_FUZZ", "ci")
if PROFILE not in ("ci", "long"):
    raise ValueError(f"INTAKE_FUZZ must be ci or long, not {PROFILE!r}")
SCALE = 100 if PROFILE == "long" else 1

settings.register_profile(
    "ci", max_examples=50, deadline=None, derandomize=True, database=None, print_blob=True
)
settings.register_profile("long", max_examples=50 * SCALE, deadline=None, print_blob=True)
settings.load_profile(PROFILE)


def examples(count: int, *, fixtures: bool = False) -> settings:
    """`count` examples under `ci`, a hundred times as many under `long`. With `fixtures`, the
    test shares a function-scoped fixture (a database) across its examples on purpose."""
    suppressed = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow] if fixtures else []
    return settings(max_examples=count * SCALE, suppress_health_check=suppressed)
