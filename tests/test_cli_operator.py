"""The `intake` command as an operator meets it when something is wrong: a database that cannot
be reached or does not exist yet, a closed pipe, a bad choice, a folder the demo did not make.

Each test runs the real command in a subprocess with its own INTAKE_HOME, as in test_cli.py.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import SECRET_KEY
from test_cli import INTAKE, REPO, initialised_home, run
from test_reminders import Records

UNREACHABLE = "postgresql+psycopg://x@127.0.0.1:1/none"
CASE = "EHC-2026-000001"

# Every command that opens the database, with arguments that get it that far.
OPENS_THE_DATABASE = [
    ("init",),
    ("serve",),
    ("ingest", "mail.eml"),
    ("professional", "add", "--email", "a@school.example", "--name", "A", "--role", "senco",
     "--organisation", "A School"),
    ("professional", "list"),
    ("queue",),
    ("case", "show", CASE),
    ("case", "stage", CASE, "parties-notified"),
    ("case", "exception", CASE, "--ground", "school-closure", "--start", "2026-01-10"),
    ("advice", "request", CASE, "--professional", "a@school.example", "--type", "medical"),
    ("advice", "covered", "ADV-2026-000001"),
    ("advice", "withdraw", "ADV-2026-000001"),
    ("advice", "list"),
    ("outbox",),
    ("outbox", "send"),
    ("remind",),
    ("metrics",),
    ("purge", "--dry-run"),
    ("case", "hold", CASE, "--reason", "Tribunal appeal"),
    ("case", "release-hold", CASE),
    ("export", "backup.tar.gz"),
    ("forms", "render", "request", "--professional", "a@school.example", "--out", "x.pdf"),
]  # fmt: skip


@pytest.mark.parametrize("command", OPENS_THE_DATABASE, ids=" ".join)
def test_an_unreachable_database_is_one_line_for_every_command(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    (tmp_path / "home").mkdir()
    (tmp_path / "mail.eml").write_bytes(b"From: a@b.example\r\nSubject: hi\r\n\r\nhello\r\n")
    result = run(tmp_path, *command, env={"INTAKE_DATABASE_URL": UNREACHABLE}, timeout=60)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("intake: cannot reach the database at 127.0.0.1:1: "), lines[0]


def test_a_closed_pipe_ends_the_command_quietly(tmp_path: Path) -> None:
    reading, writing = os.pipe()
    os.close(reading)  # the reader (`head -1`) has gone before the first line is written
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")},
        "INTAKE_HOME": str(tmp_path / "home"),
        "INTAKE_SECRET_KEY": SECRET_KEY.decode(),
        "PYTHONPATH": str(REPO),
    }
    try:
        result = subprocess.run(
            [*INTAKE, "forms", "schema", "request", "--json"],
            cwd=tmp_path,
            env=environment,
            stdout=writing,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(writing)
    assert result.stderr == ""
    assert result.returncode == 0


def test_version_comes_from_the_package_metadata(tmp_path: Path) -> None:
    result = run(tmp_path, "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"intake {importlib.metadata.version('ehcp-intake')}"


def test_every_option_and_subcommand_has_help() -> None:
    from intake.cli.main import build_parser

    missing = []

    def walk(parser: argparse.ArgumentParser) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            if not action.help or action.help == argparse.SUPPRESS:
                missing.append(f"{parser.prog} {'/'.join(action.option_strings) or action.dest}")
            if isinstance(action, argparse._SubParsersAction):
                for choice in action._choices_actions:
                    if not choice.help:
                        missing.append(f"{parser.prog} {choice.dest}")
                for sub in action.choices.values():
                    walk(sub)

    walk(build_parser())
    assert missing == []


BAD_CHOICES = [
    ("forms", "schema", "nonsense"),
    ("forms", "render", "nonsense", "--out", "x.pdf"),
    ("case", "stage", CASE, "holiday"),
    ("case", "exception", CASE, "--ground", "holiday", "--start", "2026-01-10"),
    ("advice", "request", CASE, "--professional", "a@school.example", "--type", "astrology"),
    ("queue", "--status", "lost"),
    ("outbox", "--status", "lost"),
    ("professional", "add", "--email", "a@school.example", "--name", "A", "--role", "wizard",
     "--organisation", "A School"),
    ("professional", "add", "--email", "a@school.example", "--name", "A", "--role", "senco",
     "--organisation", "A School", "--organisation-type", "castle"),
]  # fmt: skip


@pytest.mark.parametrize("command", BAD_CHOICES, ids=" ".join)
def test_every_bad_choice_is_a_usage_error(tmp_path: Path, command: tuple[str, ...]) -> None:
    result = run(tmp_path, *command)
    assert result.returncode == 2, result.stderr
    assert "invalid choice" in result.stderr
    assert not (tmp_path / "home" / "intake.db").exists()


def test_choices_are_lower_case_with_hyphens_and_older_spellings_still_work(
    tmp_path: Path, pdf_sandbox
) -> None:
    services = initialised_home(tmp_path, pdf_sandbox)
    try:
        from datetime import date

        case = Records(services.db).case(date(2026, 1, 5))
    finally:
        services.close()
    for status in ("awaiting-verification", "awaiting_verification", "Awaiting_Verification"):
        assert run(tmp_path, "queue", "--status", status).returncode == 0, status
    moved = run(tmp_path, "case", "stage", case, "request-acknowledged", "--on", "2026-01-06")
    assert moved.returncode == 0, moved.stderr
    moved = run(tmp_path, "case", "stage", case, "PARTIES_NOTIFIED", "--on", "2026-01-07")
    assert moved.returncode == 0, moved.stderr
    noted = run(
        tmp_path, "case", "exception", case, "--ground", "school-closure", "--start", "2026-01-10",
        "--json",
    )  # fmt: skip
    assert noted.returncode == 0, noted.stderr
    assert json.loads(noted.stdout)["ground"] == "SCHOOL_CLOSURE"  # the JSON keeps its values
    for email, role, organisation_type in (
        ("ep@eps.example", "educational-psychologist", "la-psychology-send-service"),
        ("nurse@nhs.example", "Nurse", "NHS service"),
    ):
        added = run(
            tmp_path, "professional", "add", "--email", email, "--name", "N", "--role", role,
            "--organisation", "O", "--organisation-type", organisation_type,
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
    listed = run(tmp_path, "professional", "list", "--json")
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(r["role"], r["organisation_type"]) for r in rows[-2:]] == [
        ("Educational psychologist", "LA psychology/SEND service"),
        ("Nurse", "NHS service"),
    ]


READ_ONLY = [
    ("queue",),
    ("case", "show", CASE),
    ("professional", "list"),
    ("outbox",),
    ("advice", "list"),
]


@pytest.mark.parametrize("command", READ_ONLY, ids=" ".join)
def test_a_read_only_command_makes_no_database_where_there_is_none(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    # INTAKE_HOME unset: the default ./var in the folder the command is run from.
    result = run(tmp_path, *command, env={"INTAKE_HOME": ""})
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "no database" in lines[0] and "intake init" in lines[0], lines
    assert list(tmp_path.iterdir()) == []


def test_an_empty_queue_says_nothing_is_waiting(tmp_path: Path) -> None:
    assert run(tmp_path, "init").returncode == 0
    shown = run(tmp_path, "queue")
    assert (shown.returncode, shown.stdout.strip()) == (0, "nothing waiting")
    as_json = run(tmp_path, "queue", "--json")
    assert (as_json.returncode, as_json.stdout) == (0, "")


def test_demo_refuses_a_folder_it_did_not_make_and_deletes_nothing(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.txt").write_text("years of work")
    result = run(tmp_path, "demo", "--out", str(mine), timeout=180)
    assert result.returncode == 1, result.stdout + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert str(mine) in result.stderr
    assert [p.name for p in mine.iterdir()] == ["thesis.txt"]


def test_demo_folder_is_made_then_emptied_only_when_the_demo_made_it(tmp_path: Path) -> None:
    from intake.cli.demo import prepare_folder
    from intake.errors import CommandFailed

    fresh = tmp_path / "fresh" / "demo"
    prepare_folder(fresh)
    (fresh / "1-request-form.pdf").write_bytes(b"%PDF")
    prepare_folder(fresh)  # the demo's own folder, from a run before: emptied for this run
    assert [p.name for p in fresh.iterdir() if not p.name.startswith(".")] == []

    empty = tmp_path / "empty"
    empty.mkdir()
    prepare_folder(empty)  # an empty folder is used as it is
    assert empty.is_dir()

    (tmp_path / "theirs").mkdir()
    (tmp_path / "theirs" / "notes.txt").write_text("keep")
    with pytest.raises(CommandFailed, match="not empty"):
        prepare_folder(tmp_path / "theirs")
    assert (tmp_path / "theirs" / "notes.txt").read_text() == "keep"


def test_init_does_not_print_the_database_password(tmp_path: Path) -> None:
    from db_fixtures import scratch_postgres_database
    from sqlalchemy.engine import make_url

    with scratch_postgres_database() as url:
        with_password = make_url(url).set(password="s3cret-pw").render_as_string(False)
        result = run(tmp_path, "init", env={"INTAKE_DATABASE_URL": with_password})
    assert result.returncode == 0, result.stderr
    assert "database ready at" in result.stderr and "s3cret-pw" not in result.stderr


def test_a_read_only_command_leaves_an_empty_postgresql_database_empty(tmp_path: Path) -> None:
    from db_fixtures import scratch_postgres_database
    from sqlalchemy import create_engine, inspect

    (tmp_path / "home").mkdir()
    with scratch_postgres_database() as url:
        result = run(tmp_path, "queue", env={"INTAKE_DATABASE_URL": url})
        engine = create_engine(url)
        try:
            tables = inspect(engine).get_table_names()
        finally:
            engine.dispose()
    assert result.returncode == 1, result.stdout
    assert "no database yet" in result.stderr and "intake init" in result.stderr, result.stderr
    assert tables == []


def test_help_lists_each_choice_whole(tmp_path: Path) -> None:
    from intake.cases.timeline import StageCode

    shown = run(tmp_path, "case", "stage", "--help", env={"COLUMNS": "80"})
    assert shown.returncode == 0, shown.stderr
    words = shown.stdout.replace(",", " ").split()
    assert [s for s in StageCode if s.value.lower().replace("_", "-") not in words] == []
