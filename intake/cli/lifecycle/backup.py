"""`intake export FILE` and `intake import FILE`: the whole service (every table, the audit log
and the outbox included, the raw mail and attachment files, and the generated token key) into
one archive, and back into a new database and home (`intake.lifecycle.archive`).

The archive holds every child's data in the service, unencrypted: it is written readable by its
owner only (0600), and encrypting and keeping it safe is the operator's job.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from intake.cli.opened import database_errors, require_database
from intake.errors import CommandFailed
from intake.lifecycle import ArchiveError, export_service, import_service

WARNING = (
    "The archive holds every child's data, unencrypted, readable by its owner only (0600): "
    "encrypt it (for example gpg --symmetric) and keep it as safe as the database."
)


def add_commands(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "export",
        help="write the whole service (database and files) into one archive",
        description="Write every table (the audit log and the outbox included), the raw mail "
        "and attachment files and the token key into FILE, a .tar.gz with a manifest of "
        "counts, SHA-256 checksums and the schema revision. " + WARNING,
    )
    p.add_argument("file", metavar="FILE", type=Path, help="the archive to write (must not exist)")
    p.add_argument("--json", action="store_true", help="print the counts as one JSON object")
    p.set_defaults(run=run_export)

    p = commands.add_parser(
        "import",
        help="load an archive from `intake export` into a new, empty database and home",
        description="Check every member of FILE against its manifest, then load it into an "
        "empty database and home (refused otherwise) and upgrade the schema. " + WARNING,
    )
    p.add_argument("file", metavar="FILE", type=Path, help="an archive from `intake export`")
    p.add_argument("--json", action="store_true", help="print the counts as one JSON object")
    p.set_defaults(run=run_import)


def run_export(args: argparse.Namespace) -> int:
    settings = args.settings
    with database_errors(settings.database_url):
        require_database(settings)
        try:
            manifest = export_service(settings, args.file)
        except ArchiveError as exc:
            raise CommandFailed(str(exc)) from None
    print_counts("exported", args.file, manifest, args.json)
    return 0


def run_import(args: argparse.Namespace) -> int:
    settings = args.settings
    with database_errors(settings.database_url):
        try:
            manifest = import_service(settings, args.file)
        except ArchiveError as exc:
            raise CommandFailed(str(exc)) from None
    print_counts("imported", args.file, manifest, args.json)
    return 0


def print_counts(verb: str, path: Path, manifest: dict, as_json: bool) -> None:
    rows = {name: info["rows"] for name, info in manifest["tables"].items()}
    files = len(manifest["files"])
    if as_json:
        document = {
            "file": str(path),
            "schema_revision": manifest["schema_revision"],
            "rows": rows,
            "files": files,
        }
        print(json.dumps(document))
    else:
        print(
            f"{verb} {path}: {sum(rows.values())} rows in {len(rows)} tables, {files} files, "
            f"schema {manifest['schema_revision']}"
        )
