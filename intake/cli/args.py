"""Argument types and defaults shared by the `intake` subcommands."""

from __future__ import annotations

import argparse
import getpass
from datetime import date


def iso_date(text: str) -> date:
    """An argparse type: YYYY-MM-DD, or a usage error naming what was given."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def default_actor() -> str:
    # Who ran the command, when no --actor names the caseworker: never left anonymous.
    return f"cli:{getpass.getuser()}"
