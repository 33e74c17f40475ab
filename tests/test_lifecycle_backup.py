"""`intake export` and `intake import`: a whole service (every table, the raw mail and attachment
files, the token key) out of SQLite into PostgreSQL and back the other way, compared row for row
and file for file, and the imported service then works: a case shows and a reply with the case's
own form token is recorded as its next version. Damaged archives, a newer schema and a database
that is not empty are refused with one line and exit status 1.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import io
import json
import stat
import tarfile
from pathlib import Path

import pytest
from casework import opened_case
from conftest import SENCO
from db_fixtures import scratch_postgres_database
from mail_factory import build_message, form_reply, supporting_file
from sqlalchemy import select
from test_cli import run

from documents import get_form, render_form
from documents.forms.request_example import REQUEST_EXAMPLE
from intake.lifecycle import ArchiveError, export_service, import_service
from intake.lifecycle.rows import model_tables
from intake.pipeline.process import process_all
from intake.receive.capture import capture_message
from intake.receive.rawstore import RawStore
from intake.services import open_services
from intake.views.case import case_document
from store import Case, InboundMessage, InboundStatus, Submission, Transport, open_database

TOKEN_KEY = b"a generated token key, kept under the home folder\n"


@pytest.fixture
def other_database(database, tmp_path):
    """An empty database of the other kind: PostgreSQL for a SQLite source, and the reverse."""
    if database.dialect == "sqlite":
        with scratch_postgres_database() as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'imported.db'}"


def every_row(url: str) -> dict[str, list[tuple]]:
    """Every table's rows, in primary key order (sorted here: the two databases collate text
    differently)."""
    database = open_database(url)
    try:
        with database.engine.connect() as connection:
            found = {}
            for table in model_tables():
                keys = [list(table.columns).index(c) for c in table.primary_key.columns]
                rows = [tuple(r) for r in connection.execute(select(table))]
                found[table.name] = sorted(rows, key=lambda r: tuple(r[i] for i in keys))
            return found
    finally:
        database.close()


def every_file(home: Path) -> dict[str, bytes]:
    files = {}
    for store in ("raw", "attachments"):
        kept = RawStore(home / store)
        files.update({f"{store}/{d}": kept.get(d) for d, _ in kept.digests()})
    return files


def test_export_and_import_round_trip_between_sqlite_and_postgresql(
    services, senco, other_database, tmp_path
) -> None:
    reference = opened_case(services, senco)
    case_document(services, reference, viewer="c.worker@send.example.gov.uk")
    stranger = build_message(
        body="Who do I send this to?\n",
        headers={"From": "someone@elsewhere.example.org", "To": "intake@send.example.gov.uk"},
        message_id="<stranger-1@elsewhere.example.org>",
    )
    capture_message(services, stranger, Transport.FILE)
    process_all(services)
    source_home = Path(services.settings.home)
    (source_home / "secret.key").write_bytes(TOKEN_KEY)
    archive = tmp_path / "backup.tar.gz"

    manifest = export_service(services.settings, archive)

    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert manifest["tables"]["audit_log"]["rows"] >= 1
    assert manifest["tables"]["outbox"]["rows"] >= 2
    target = dataclasses.replace(
        services.settings, home=tmp_path / "restored", database_url=other_database
    )
    import_service(target, archive)

    before, after = every_row(services.db.url), every_row(other_database)
    for name in before:
        assert after[name] == before[name], name
    assert every_file(target.home) == every_file(source_home) != {}
    assert (target.home / "secret.key").read_bytes() == TOKEN_KEY

    shown = run(
        tmp_path,
        "case", "show", reference, "--json",
        env={"INTAKE_HOME": str(target.home), "INTAKE_DATABASE_URL": other_database},
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["child"]["forename"] == "Gruffydd"

    restored_db = open_database(other_database)
    restored = open_services(target, database=restored_db, sandbox=services.sandbox)
    try:
        with restored.db.session() as session:
            case = session.scalar(select(Case).where(Case.reference == reference))
            token, case_id = case.request_token, case.id
        edited = {**REQUEST_EXAMPLE, "outcomes_sought": "To join in at break times."}
        pdf = render_form(get_form("request"), values=edited, token=token)
        files = [supporting_file(REQUEST_EXAMPLE[f"documents[{row}].file"]) for row in (1, 2)]
        raw = form_reply(
            pdf, sender=SENCO, message_id="<edit-after-restore@glanwy.sch.uk>", files=files
        )
        captured = capture_message(restored, raw, Transport.FILE)
        process_all(restored)
        with restored.db.session() as session:
            message = session.get(InboundMessage, captured.inbound_id)
            assert message.status == InboundStatus.ACCEPTED, message.reasons
            assert message.case_id == case_id
            versions = session.scalars(
                select(Submission.version).where(Submission.case_id == case_id)
            ).all()
        assert sorted(versions) == [1, 2]
        # New rows follow the imported ones (PostgreSQL's sequences were moved on).
        assert captured.inbound_id > max(r[0] for r in before["inbound_messages"])
    finally:
        restored.close()
        restored_db.close()

    with pytest.raises(ArchiveError, match="not empty"):
        import_service(dataclasses.replace(target, home=tmp_path / "third"), archive)


def rewritten(archive: Path, out: Path, change) -> Path:
    """A copy of `archive` with `change(name, data)` applied to each member's bytes."""
    with tarfile.open(archive, "r:gz") as source, tarfile.open(out, "w:gz") as copy:
        for member in source:
            data = change(member.name, source.extractfile(member).read())
            member.size = len(data)
            copy.addfile(member, io.BytesIO(data))
    return out


def one_line_failure(result) -> str:
    assert result.returncode == 1, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_damaged_newer_or_misplaced_archives_are_refused_in_one_line(tmp_path: Path) -> None:
    assert run(tmp_path, "init").returncode == 0
    added = run(
        tmp_path,
        "professional", "add", "--email", "a@school.example", "--name", "A Senco",
        "--role", "senco", "--organisation", "A School",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    archive = tmp_path / "backup.tar.gz"
    exported = run(tmp_path, "export", str(archive), "--json")
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout)["rows"]["professionals"] == 1
    assert "already exists" in one_line_failure(run(tmp_path, "export", str(archive)))
    assert "0600" in run(tmp_path, "export", "--help").stdout

    data = archive.read_bytes()
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(data[: len(data) // 2])
    flipped = rewritten(
        archive,
        tmp_path / "flipped.tar.gz",
        lambda name, b: b.replace(b"A Senco", b"B Senco") if name.startswith("tables/") else b,
    )

    def newer(name: str, b: bytes) -> bytes:
        if name != "manifest.json":
            return b
        return json.dumps({**json.loads(b), "schema_revision": "9999"}).encode()

    future = rewritten(archive, tmp_path / "future.tar.gz", newer)
    not_gzip = tmp_path / "plain.txt"
    not_gzip.write_bytes(b"not an archive at all")
    # A new service made by `intake init`: its schema is there, with no row in it.
    fresh = {"INTAKE_HOME": str(tmp_path / "fresh")}
    assert run(tmp_path, "init", env=fresh).returncode == 0
    reasons = {
        path.name: one_line_failure(run(tmp_path, "import", str(path), env=fresh))
        for path in (truncated, flipped, future, not_gzip)
    }
    assert "damaged or not a complete archive" in reasons["truncated.tar.gz"]
    assert "does not match its checksum" in reasons["flipped.tar.gz"]
    assert "'9999'" in reasons["future.tar.gz"] and "newer" in reasons["future.tar.gz"]
    assert "damaged or not a complete archive" in reasons["plain.txt"]
    # Nothing was written by any refused import.
    fresh_url = f"sqlite:///{tmp_path / 'fresh' / 'intake.db'}"
    assert every_row(fresh_url) == {t.name: [] for t in model_tables()}
    assert every_file(tmp_path / "fresh") == {}

    imported = run(tmp_path, "import", str(archive), env=fresh)
    assert imported.returncode == 0, imported.stderr
    listed = run(tmp_path, "professional", "list", "--json", env=fresh)
    assert json.loads(listed.stdout.splitlines()[0])["email"] == "a@school.example"
    again = one_line_failure(run(tmp_path, "import", str(archive), env=fresh))
    assert "not empty" in again
    assert gzip.decompress(data)  # the exported archive itself is whole


# The columns migration 0012 added: an archive from revision 0011 has none of them.
ADDED_BY_0012 = {
    "cases": {"legal_hold_reason", "legal_hold_by", "legal_hold_at"},
    "inbound_messages": {"purged_at"},
}


def as_of_0011(archive: Path, out: Path) -> Path:
    """`archive` as an export made before migration 0012: without its columns, revision 0011."""
    with tarfile.open(archive, "r:gz") as source:
        members = [(m, source.extractfile(m).read()) for m in source]
    manifest = json.loads(next(data for m, data in members if m.name == "manifest.json"))
    manifest["schema_revision"] = "0011"
    with tarfile.open(out, "w:gz") as copy:
        for member, data in members:
            table = member.name.removeprefix("tables/").removesuffix(".jsonl")
            if table in ADDED_BY_0012:
                info = manifest["tables"][table]
                keep = [i for i, c in enumerate(info["columns"]) if c not in ADDED_BY_0012[table]]
                rows = [json.loads(line) for line in data.splitlines()]
                data = b"".join(json.dumps([row[i] for i in keep]).encode() + b"\n" for row in rows)
                info["columns"] = [info["columns"][i] for i in keep]
                info["kinds"] = [info["kinds"][i] for i in keep]
                info["sha256"] = hashlib.sha256(data).hexdigest()
            if member.name == "manifest.json":
                data = json.dumps(manifest).encode()
            member.size = len(data)
            copy.addfile(member, io.BytesIO(data))
    return out


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_an_archive_from_an_older_schema_is_loaded_then_upgraded(services, senco, tmp_path) -> None:
    reference = opened_case(services, senco)
    export_service(services.settings, tmp_path / "now.tar.gz")
    archive = as_of_0011(tmp_path / "now.tar.gz", tmp_path / "older.tar.gz")
    target = dataclasses.replace(
        services.settings,
        home=tmp_path / "restored",
        database_url=f"sqlite:///{tmp_path / 'restored.db'}",
    )
    assert import_service(target, archive)["schema_revision"] == "0011"
    assert every_row(target.database_url) == every_row(services.db.url)
    restored = open_database(target.database_url)
    try:
        with restored.engine.connect() as connection:
            version = connection.exec_driver_sql("SELECT version_num FROM alembic_version")
            assert version.scalar_one() == "0013"
            case = connection.execute(select(Case).where(Case.reference == reference)).one()
            assert case.legal_hold_at is None
    finally:
        restored.close()
