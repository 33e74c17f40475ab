"""`intake export`: the whole service, every table (the audit log and the outbox included) and
every stored file, into one archive (`intake.lifecycle.archive` describes it).

The tables are read in one snapshot: a repeatable-read transaction on PostgreSQL, one read
transaction on SQLite (WAL: writers carry on meanwhile). Files are content-addressed and only ever
added or purged, so a file written after the snapshot is an extra no row names (the next purge
sweeps it) and none that a row in the snapshot names can be missing unless purged meanwhile.
The archive is written beside its name and renamed into place when complete, so a crash or a
failure never leaves a partial archive under the name asked for.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from alembic.script import ScriptDirectory
from sqlalchemy import Connection, create_engine, event, select, text

from intake.lifecycle.archive import (
    FILE_STORES,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    SECRET_KEY_MEMBER,
    ArchiveError,
    file_member,
    table_member,
)
from intake.lifecycle.rows import encode, kinds_of, model_tables
from intake.receive.rawstore import RawStore
from intake.settings import Settings
from store import alembic_config, normalise_url

PRIVATE = 0o600


def export_service(settings: Settings, path: Path) -> dict[str, Any]:
    """Write the archive to `path` (which must not exist yet); the manifest written."""
    if path.exists():
        raise ArchiveError(f"{path} already exists: give a new file name")
    if not path.parent.is_dir():
        raise ArchiveError(f"{path.parent} is not a folder")
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
    except OSError as exc:
        raise ArchiveError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as out, tarfile.open(fileobj=out, mode="w:gz") as tar:
            manifest = _write_members(settings, tar, path.parent)
            _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=1).encode())
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return manifest


def _write_members(settings: Settings, tar: tarfile.TarFile, spool_dir: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": datetime.now(UTC).isoformat(),
        "tables": {},
        "files": {},
    }
    engine = create_engine(normalise_url(settings.database_url))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_manual_transactions)
    try:
        with engine.connect() as connection:
            _begin_snapshot(connection)
            revision = connection.execute(
                text("SELECT version_num FROM alembic_version")
            ).scalar_one()
            head = ScriptDirectory.from_config(
                alembic_config(settings.database_url)
            ).get_current_head()
            if revision != head:
                raise ArchiveError(
                    f"the database is at schema revision {revision}, not {head}: "
                    "run `intake init` first"
                )
            manifest["schema_revision"] = revision
            for model_table in model_tables():
                manifest["tables"][model_table.name] = _write_table(
                    connection, model_table, tar, spool_dir
                )
            connection.rollback()
    finally:
        engine.dispose()
    home = Path(settings.home)
    for store in FILE_STORES:
        for digest, _ in RawStore(home / store).digests():
            member = file_member(store, digest)
            try:
                data = RawStore(home / store).get(digest)
            except FileNotFoundError:
                continue  # purged since the snapshot: no row in it names the file any more
            _add_bytes(tar, member, data)
            manifest["files"][member] = hashlib.sha256(data).hexdigest()
    key = home / "secret.key"
    if key.is_file():
        data = key.read_bytes()
        _add_bytes(tar, SECRET_KEY_MEMBER, data)
        manifest["files"][SECRET_KEY_MEMBER] = hashlib.sha256(data).hexdigest()
    return manifest


def _sqlite_manual_transactions(dbapi_connection: Any, record: Any) -> None:
    # The sqlite3 module would start no transaction for a SELECT; BEGIN is sent by hand below.
    dbapi_connection.isolation_level = None


def _begin_snapshot(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN")  # deferred: a read snapshot that blocks no writer
    else:
        connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")


def _write_table(connection: Connection, model_table, tar: tarfile.TarFile, spool_dir: Path):
    kinds = kinds_of(model_table)
    digest = hashlib.sha256()
    rows = 0
    # The spool holds children's data for a moment: unnamed (O_TMPFILE) and private.
    with tempfile.TemporaryFile(dir=spool_dir) as spool:
        query = select(model_table).order_by(*model_table.primary_key.columns)
        result = connection.execution_options(yield_per=1000).execute(query)
        for row in result:
            values = [encode(value, kind) for value, kind in zip(row, kinds, strict=True)]
            line = json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
            spool.write(line)
            digest.update(line)
            rows += 1
        _add_stream(tar, table_member(model_table.name), spool)
    return {
        "columns": [c.name for c in model_table.columns],
        "kinds": kinds,
        "rows": rows,
        "sha256": digest.hexdigest(),
    }


def _add_stream(tar: tarfile.TarFile, name: str, stream: BinaryIO) -> None:
    info = tarfile.TarInfo(name)
    info.size = stream.tell()
    info.mode = PRIVATE
    stream.seek(0)
    tar.addfile(info, stream)


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    buffer = io.BytesIO(data)
    buffer.seek(len(data))
    _add_stream(tar, name, buffer)
