"""`intake import`: a whole service back from an export archive, into a new database and home.

It refuses, with one line and nothing written: an archive that is not complete or whose members
do not match the manifest's SHA-256 (read through once before anything is written), an archive
from a schema revision this version does not know (a newer one), a database with any row in it,
or a home that already holds mail or files. It then brings the empty schema to the archive's
revision, writes the files, loads every table in one transaction (keys that point forward, such
as a message and its submission pointing at each other, are filled in after both rows are in),
and upgrades the schema to the latest revision. A failure part-way removes the files it wrote
and rolls the rows back, leaving the database and home as empty as they were.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from alembic import command
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, bindparam, func, inspect, select, text
from sqlalchemy.sql import column, table

from intake.lifecycle.archive import (
    FILE_STORES,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    SECRET_KEY_MEMBER,
    ArchiveError,
    file_of,
    table_member,
    table_of,
)
from intake.lifecycle.rows import KINDS, decode, writable_table
from intake.receive.rawstore import RawStore
from intake.services import make_home
from intake.settings import Settings
from store import alembic_config, open_database, upgrade

INSERT_BATCH = 1000


def import_service(settings: Settings, path: Path) -> dict[str, Any]:
    """Import the archive at `path`; its manifest, once every row and file is in."""
    manifest = verify_archive(path)
    revision = manifest["schema_revision"]
    _known_revision(settings.database_url, revision)
    home = make_home(Path(settings.home))
    _require_empty_home(home)
    database = open_database(settings.database_url)
    try:
        _require_empty_database(database.engine)
        _schema_at(settings.database_url, database.engine, revision)
        written: list[Path] = []
        try:
            _write_files(path, home, written)
            with database.engine.begin() as connection:
                _load_tables(connection, path, manifest)
        except BaseException:
            for file in written:
                file.unlink(missing_ok=True)
            raise
    finally:
        database.close()
    upgrade(settings.database_url)
    return manifest


def verify_archive(path: Path) -> dict[str, Any]:
    """The manifest, once every member has been read and matched its SHA-256 and the manifest
    lists no member that is missing."""
    seen: dict[str, str] = {}
    manifest_bytes = None
    with _read_errors(path):
        for name, stream in _members(path):
            if name == MANIFEST:
                manifest_bytes = stream.read()
            else:
                seen[name] = _sha256(stream)
    if manifest_bytes is None:
        raise ArchiveError(f"{path} is not an intake export: it has no {MANIFEST}")
    try:
        manifest = json.loads(manifest_bytes)
    except ValueError:
        raise ArchiveError(f"{path}: its {MANIFEST} cannot be read") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArchiveError(f"{path} is not an intake export")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ArchiveError(f"{path} is an export of format {manifest.get('format_version')!r}")
    expected = dict(manifest.get("files") or {})
    for name, info in (manifest.get("tables") or {}).items():
        if set(info.get("kinds", ())) - set(KINDS):
            raise ArchiveError(f"{path}: table {name} has a column of unknown kind")
        expected[table_member(name)] = info.get("sha256")
    for name, digest in expected.items():
        if name not in seen:
            raise ArchiveError(f"{path} is incomplete: {name} is missing")
        if seen[name] != digest:
            raise ArchiveError(f"{path} is damaged: {name} does not match its checksum")
    extra = sorted(set(seen) - set(expected))
    if extra:
        raise ArchiveError(f"{path} holds {extra[0]}, which its manifest does not list")
    return manifest


@contextmanager
def _read_errors(path: Path) -> Iterator[None]:
    """Any damage met while reading the archive, as one line."""
    try:
        yield
    except FileNotFoundError:
        raise ArchiveError(f"{path} does not exist") from None
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise ArchiveError(f"{path} is damaged or not a complete archive: {_said(exc)}") from None


def _members(path: Path) -> Iterator[tuple[str, IO[bytes]]]:
    """Each member's name and a stream of its bytes (to read before the next), in archive order;
    the caller reads inside `_read_errors`."""
    with tarfile.open(path, mode="r|gz") as tar:
        for member in tar:
            if not member.isfile():
                raise ArchiveError(f"{path}: {member.name} is not a plain file")
            if member.name != MANIFEST and member.name != SECRET_KEY_MEMBER:
                if table_of(member.name) is None and file_of(member.name) is None:
                    raise ArchiveError(f"{path}: unexpected member {member.name}")
            stream = tar.extractfile(member)
            yield member.name, stream if stream is not None else io.BytesIO()


def _sha256(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    while chunk := stream.read(1 << 20):
        digest.update(chunk)
    return digest.hexdigest()


def _said(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _known_revision(url: str, revision: Any) -> None:
    scripts = ScriptDirectory.from_config(alembic_config(url))
    try:
        known = isinstance(revision, str) and scripts.get_revision(revision) is not None
    except CommandError:
        known = False
    if not known:
        raise ArchiveError(
            f"the archive is from schema revision {revision!r}, which this version of intake "
            "does not know (a newer one?): import it with the version that exported it"
        )


def _require_empty_home(home: Path) -> None:
    for store in FILE_STORES:
        if next(RawStore(home / store).digests(), None) is not None:
            raise ArchiveError(f"{home / store} already holds files: import only into a new home")


def _require_empty_database(engine) -> None:
    with engine.connect() as connection:
        names = inspect(connection).get_table_names()
        for name in sorted(set(names) - {"alembic_version"}):
            rows = connection.execute(select(func.count()).select_from(table(name))).scalar_one()
            if rows:
                raise ArchiveError(
                    f"the database is not empty ({rows} rows in {name}): "
                    "import only into a new database"
                )
        connection.rollback()


def _schema_at(url: str, engine, revision: str) -> None:
    """The empty schema at `revision`: made, or moved up or down (no rows, nothing lost)."""
    with engine.connect() as connection:
        has_version = inspect(connection).has_table("alembic_version")
        current = (
            connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
            if has_version
            else None
        )
        connection.rollback()
    if current is None:
        upgrade(url, revision)
    elif current != revision:
        scripts = ScriptDirectory.from_config(alembic_config(url))
        ahead = any(r.revision == revision for r in scripts.iterate_revisions(current, "base"))
        move = command.downgrade if ahead else command.upgrade
        move(alembic_config(url), revision)


def _write_files(path: Path, home: Path, written: list[Path]) -> None:
    stores = {store: RawStore(home / store) for store in FILE_STORES}
    with _read_errors(path):
        for name, stream in _members(path):
            _write_file(home, stores, name, stream, written)
    # One flush for every file, before the rows naming them commit (not an fsync per file).
    os.sync()


def _write_file(
    home: Path, stores: dict[str, RawStore], name: str, stream: IO[bytes], written: list[Path]
) -> None:
    found = file_of(name)
    if found is not None:
        store, _digest = found
        # One message or file at a time: no bigger than the service accepts.
        written.append(stores[store].path_for(stores[store].put(stream.read(), sync=False)))
    elif name == SECRET_KEY_MEMBER:
        key = home / "secret.key"
        key.unlink(missing_ok=True)  # the new home's own key has signed nothing that is kept
        fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(stream.read())


def _load_tables(connection: Connection, path: Path, manifest: dict[str, Any]) -> None:
    schema = inspect(connection)
    names = set(schema.get_table_names())
    tables = manifest["tables"]
    loaded: set[str] = set()
    forward: list[tuple[str, str, list[dict[str, Any]]]] = []
    with _read_errors(path):
        for name, stream in _members(path):
            table_name = table_of(name)
            if table_name is None:
                continue
            if table_name not in names:
                raise ArchiveError(f"{path}: table {table_name} is not in the schema it names")
            deferred = _forward_keys(schema.get_foreign_keys(table_name), loaded)
            try:
                later = _insert_rows(connection, table_name, tables[table_name], stream, deferred)
            except (ValueError, KeyError, TypeError) as exc:
                # Checksums match, so the manifest itself was made wrong: refused, not a crash.
                raise ArchiveError(f"{path}: a row of {table_name} cannot be read: {exc}") from None
            forward += [(table_name, key, values) for key, values in later.items() if values]
            loaded.add(table_name)
    for table_name, key, values in forward:
        plain = table(table_name, column("id"), column(key))
        statement = plain.update().where(plain.c.id == bindparam("row_id"))
        statement = statement.values({key: bindparam("value")})
        connection.execute(statement, values)
    if connection.dialect.name == "postgresql":
        _reset_sequences(connection, names)


def _forward_keys(foreign_keys: list[dict[str, Any]], loaded: set[str]) -> set[str]:
    """Columns whose key points at a table not loaded yet (or at its own table)."""
    return {
        name
        for key in foreign_keys
        if key["referred_table"] not in loaded
        for name in key["constrained_columns"]
    }


def _insert_rows(
    connection: Connection,
    name: str,
    info: dict[str, Any],
    lines: IO[bytes],
    deferred: set[str],
) -> dict[str, list[dict[str, Any]]]:
    """Insert the rows with their forward keys empty; those keys' values, to set afterwards."""
    columns, kinds = info["columns"], info["kinds"]
    target = writable_table(name, columns, kinds)
    later: dict[str, list[dict[str, Any]]] = {c: [] for c in deferred}
    batch: list[dict[str, Any]] = []
    for line in lines:
        row = {c: decode(v, k) for c, v, k in zip(columns, json.loads(line), kinds, strict=True)}
        for key in deferred:
            if row.get(key) is not None:
                later[key].append({"row_id": row["id"], "value": row[key]})
                row[key] = None
        batch.append(row)
        if len(batch) == INSERT_BATCH:
            connection.execute(target.insert(), batch)
            batch = []
    if batch:
        connection.execute(target.insert(), batch)
    return later


def _reset_sequences(connection: Connection, names: set[str]) -> None:
    # Rows came in with their ids: the next id handed out must follow the largest.
    for name in sorted(names):
        if inspect(connection).get_pk_constraint(name)["constrained_columns"] != ["id"]:
            continue
        sequence = connection.execute(
            text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": name}
        ).scalar()
        if sequence:
            connection.execute(
                text(f"SELECT setval(:s, COALESCE((SELECT MAX(id) FROM {name}), 0) + 1, false)"),
                {"s": sequence},
            )
