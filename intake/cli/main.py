"""The `intake` command: parses arguments, loads settings, runs one command, sets the exit status.

Exit status 0 on success, 1 on a handled failure (with a one-line reason on stderr), 2 on a usage
error (argparse's own, a bad choice included). Listing commands take `--json`. A reader that goes
away early (`intake queue --json | head -1`) ends the command quietly, with status 0: what was
asked for has been done, and the rest of the output was not wanted.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from intake import package_version
from intake.cli import advice as cli_advice
from intake.cli import caseworkers as cli_caseworkers
from intake.cli import demo
from intake.cli import forms as cli_forms
from intake.cli import records as cli_records
from intake.cli import remind as cli_remind
from intake.cli.args import Parser
from intake.errors import CommandFailed
from intake.logs import configure_logging
from intake.settings import SettingsError, load_settings

Command = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="intake",
        description="EHC needs assessment requests and advice by email and fillable PDF.",
        epilog="Settings come from INTAKE_* environment variables, then ./intake.toml, then "
        "defaults (see README.md).",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {package_version()}",
        help="print the version and stop",
    )  # fmt: skip
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", help="what to do (COMMAND --help: more)"
    )
    cli_forms.add_commands(commands)
    cli_records.add_commands(commands)
    cli_caseworkers.add_commands(commands)
    cli_advice.add_commands(commands)
    cli_remind.add_commands(commands)
    demo.add_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.settings = load_settings()
        configure_logging(args.settings.log_level, args.settings.log_format)
        status = args.run(args)
        sys.stdout.flush()  # here, so that a closed pipe is met inside this `try`
        return status
    except SettingsError as exc:
        print(f"intake: setting {exc}", file=sys.stderr)
        return 1
    except CommandFailed as exc:
        print(f"intake: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # Point stdout at nothing: the interpreter's own last flush would meet the pipe again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("intake: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
