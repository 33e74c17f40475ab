"""What a caseworker reads without --json: tables with headings, a dash for nothing, and the
versions of a case's forms named as such. The --json lines keep their shape.

Each test runs the real command in a subprocess with its own INTAKE_HOME, as in test_cli.py.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from test_cli import initialised_home, run
from test_reminders import Records

from store import AdviceRequest, Case, Submission, SubmissionKind

UNKNOWN_SENDER = (
    b"From: stranger@elsewhere.example\r\nTo: intake@localhost\r\nSubject: hello\r\n"
    b"Message-ID: <one@elsewhere.example>\r\n\r\nCan I ask for an assessment?\r\n"
)


def table(stdout: str) -> tuple[list[str], list[str]]:
    """The heading words and the data lines of a table the command printed."""
    lines = stdout.rstrip("\n").splitlines()
    return lines[0].split(), lines[1:]


def test_queue_and_outbox_are_tables_with_headings_and_no_none(tmp_path: Path) -> None:
    (tmp_path / "1.eml").write_bytes(UNKNOWN_SENDER)
    ingested = run(tmp_path, "ingest", str(tmp_path / "1.eml"))
    assert ingested.returncode == 0, ingested.stderr
    assert ingested.stdout.splitlines()[0] == f"{tmp_path / '1.eml'}: rejected"

    queue = run(tmp_path, "queue", "--status", "all")
    assert queue.returncode == 0, queue.stderr
    headings, lines = table(queue.stdout)
    assert headings == ["TYPE", "ID", "STATUS", "RECEIVED", "FROM", "REFERENCE", "SUMMARY"]
    [line] = lines
    assert line.split()[:3] == ["message", "1", "rejected"]
    assert "stranger@elsewhere.example" in line and "None" not in queue.stdout
    as_json = run(tmp_path, "queue", "--status", "all", "--json")
    [row] = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert row["reference"] is None and row["status"] == "rejected"  # JSON keeps null

    outbox = run(tmp_path, "outbox")
    assert outbox.returncode == 0, outbox.stderr
    headings, lines = table(outbox.stdout)
    assert headings == ["ID", "STATUS", "KIND", "TO", "ATTEMPTS", "LAST", "ERROR"]
    [line] = lines
    assert line.split()[1] == "sent" and line.rstrip().endswith("-")
    assert "None" not in outbox.stdout
    [row] = [json.loads(x) for x in run(tmp_path, "outbox", "--json").stdout.splitlines()]
    assert row["last_error"] is None


def test_professional_and_advice_lists_are_tables(tmp_path: Path, pdf_sandbox) -> None:
    services = initialised_home(tmp_path, pdf_sandbox)
    try:
        records = Records(services.db)
        case = records.case(date(2026, 1, 5))
        advice = records.advice(case, date(2026, 1, 5), date(2026, 2, 16))
    finally:
        services.close()

    professionals = run(tmp_path, "professional", "list")
    assert professionals.returncode == 0, professionals.stderr
    headings, [line] = table(professionals.stdout)
    assert headings == ["ID", "EMAIL", "NAME", "ROLE", "ORGANISATION", "ACTIVE"]
    assert "ann.adviser@health.example.nhs.uk" in line and line.rstrip().endswith("yes")

    listed = run(tmp_path, "advice", "list")
    assert listed.returncode == 0, listed.stderr
    headings, [line] = table(listed.stdout)
    assert headings == ["REFERENCE", "CASE", "TYPE", "PROFESSIONAL", "STATUS", "DUE"]
    assert line.split() == [
        advice,
        case,
        "medical",
        "ann.adviser@health.example.nhs.uk",
        "open",
        "2026-02-16",
    ]


def test_case_show_names_each_version_of_the_request_and_of_each_advice(
    tmp_path: Path, pdf_sandbox
) -> None:
    services = initialised_home(tmp_path, pdf_sandbox)
    try:
        records = Records(services.db)
        case = records.case(date(2026, 1, 5))
        advice = records.advice(case, date(2026, 1, 5), date(2026, 2, 16))
        with services.db.session() as session:
            case_id = session.query(Case.id).filter_by(reference=case).scalar()
            advice_id = session.query(AdviceRequest.id).filter_by(reference=advice).scalar()
            for number, (kind, advice_request_id, version) in enumerate(
                [
                    (SubmissionKind.REQUEST, None, 1),
                    (SubmissionKind.REQUEST, None, 2),
                    (SubmissionKind.ADVICE, advice_id, 1),
                ]
            ):
                session.add(
                    Submission(
                        case_id=case_id, advice_request_id=advice_request_id, kind=kind,
                        version=version, token=f"t{number}", pdf_sha256=f"{number:064x}",
                        answers={},
                    )
                )  # fmt: skip
    finally:
        services.close()

    shown = run(tmp_path, "case", "show", case)
    assert shown.returncode == 0, shown.stderr
    assert "None" not in shown.stdout
    submitted = [line.split("  ")[0].strip() for line in _section(shown.stdout, "FORM")]
    assert submitted == ["request v1", "request v2", f"advice {advice} v1"]
    assert "MILESTONE" in shown.stdout and "DUE" in shown.stdout

    document = json.loads(run(tmp_path, "case", "show", case, "--json").stdout)
    assert [s["version"] for s in document["submissions"]] == [1, 2, 1]
    assert set(document["submissions"][0]) == {
        "version", "kind", "advice_request_id", "created_at", "inbound_message_id", "attachments",
    }  # fmt: skip


def _section(stdout: str, heading: str) -> list[str]:
    """The data lines of the table whose first heading is `heading`, up to a blank line."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(heading))
    rows = []
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        rows.append(line.strip())
    return rows


def test_remind_lists_its_reminders_as_a_table(tmp_path: Path, pdf_sandbox) -> None:
    services = initialised_home(tmp_path, pdf_sandbox)
    try:
        records = Records(services.db)
        case = records.case(date(2025, 12, 1), stage="FINAL_ISSUED")
        advice = records.advice(case, date(2025, 12, 1), date(2026, 1, 19))
    finally:
        services.close()
    dry = run(tmp_path, "remind", "--today", "2026-01-05", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    headings, [line] = table(dry.stdout)
    assert headings == ["KIND", "CASE", "ABOUT", "DUE", "TO", "DOMAIN"]
    assert line.split() == [
        "due-in-14", case, advice, "2026-01-19", "health.example.nhs.uk"
    ]  # fmt: skip
