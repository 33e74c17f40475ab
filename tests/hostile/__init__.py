"""A generated corpus of hostile mail: families of malformed messages and PDFs, each case made
deterministically in memory and labelled with the outcome the pipeline must give it.

`all_cases()` lists them; a case's bytes are built only when asked for (`case.build(kit)`), so
the big ones (10,000 parts, 26 MB) exist one at a time. `Kit` carries what a case needs from the
running service: the intake address, the professional's address and a reply address for a case.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Kit:
    """What the cases are addressed with, from the service they are sent to."""

    intake: str  # the intake address
    professional: str  # an active account's address (its mail carries a DMARC pass)
    case_address: str  # the plus-address of that professional's recorded request
    specimen: bytes  # a complete specimen request form (issued to nobody), for mutations


@dataclass(frozen=True)
class Case:
    """One hostile message and the outcome it must get: its final status and a reason code that
    must be among its reasons. `status` and `codes` list the acceptable ones where more than one
    is right (a specimen form with random bytes changed may still read, or not)."""

    family: str
    name: str
    build: Callable[[Kit], bytes]
    status: str | tuple[str, ...]
    codes: tuple[str, ...]

    @property
    def statuses(self) -> tuple[str, ...]:
        return (self.status,) if isinstance(self.status, str) else self.status

    @property
    def id(self) -> str:
        return f"{self.family}/{self.name}"


def all_cases() -> list[Case]:
    from hostile import mime_cases, pdf_cases

    cases = [*mime_cases.cases(), *pdf_cases.cases()]
    ids = Counter(case.id for case in cases)
    repeated = [name for name, count in ids.items() if count > 1]
    if repeated:
        raise ValueError(f"case names repeat: {repeated}")
    return cases


def families(cases: list[Case]) -> dict[str, int]:
    return dict(sorted(Counter(case.family for case in cases).items()))
