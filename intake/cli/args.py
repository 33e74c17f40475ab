"""Argument types and defaults shared by the `intake` subcommands.

Every fixed set of values (a form kind, a stage, an advice type, a status, a role) is typed on the
command line in one style, lower case with hyphens (`parties-notified`, `social-care`); the older
spellings (`PARTIES_NOTIFIED`, `Social care`, `awaiting_verification`) still work. A value outside
the set is a usage error, exit 2, like any other.
"""

from __future__ import annotations

import argparse
import getpass
import re
import textwrap
from collections.abc import Iterable, Mapping
from datetime import date


class ChoiceListFormatter(argparse.HelpFormatter):
    """Help wrapped between words only: a choice such as `parties-notified` is never split at its
    hyphen, where it would read as two choices and could not be copied."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)


class Parser(argparse.ArgumentParser):
    """The `intake` parser; its subcommands' parsers are made of the same class, so every help
    page wraps the same way."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", ChoiceListFormatter)
        super().__init__(*args, **kwargs)


def iso_date(text: str) -> date:
    """An argparse type: YYYY-MM-DD, or a usage error naming what was given."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def positive_count(text: str) -> int:
    """An argparse type: a whole number of at least 1, or a usage error naming what was given."""
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def default_actor() -> str:
    # Who ran the command, when no --actor names the caseworker: never left anonymous.
    return f"cli:{getpass.getuser()}"


def slug(text: str) -> str:
    """`Social worker/Early help worker` -> `social-worker-early-help-worker`."""
    return "-".join(re.findall(r"[a-z0-9]+", text.casefold()))


class Choice:
    """An argparse type for one of a fixed set of values: it takes the value's slug (or anything
    that reads as the same slug, such as the value itself) and gives back the value as stored."""

    def __init__(self, values: Iterable[str], aliases: Mapping[str, str] | None = None) -> None:
        self.values = {slug(value): value for value in values}
        # Other names for a value (a stage's display name) are accepted, never listed.
        self.accepted = {**{slug(a): v for a, v in (aliases or {}).items()}, **self.values}

    def __call__(self, text: str) -> str:
        try:
            return self.accepted[slug(text)]
        except KeyError:
            raise argparse.ArgumentTypeError(
                f"invalid choice: {text!r} (choose from {self.listed})"
            ) from None

    @property
    def listed(self) -> str:
        return ", ".join(self.values)

    def help(self, text: str = "one of") -> str:
        """Help text listing the choices; `%` doubled, since argparse formats help with it."""
        return f"{text}: {self.listed}".replace("%", "%%")


JSON_HELP = "print JSON, one object per line"
ACTOR_HELP = "the caseworker's email address (default: cli:USER)"
