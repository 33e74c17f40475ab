"""The export archive's shape, shared by `export` and `restore`.

One gzip-compressed tar file, written readable by its owner only (0600): it holds every child's
data in the service, so keeping it encrypted and safe is the operator's job (`gpg -c`, an
encrypted volume). Members, in order:

    tables/NAME.jsonl          one JSON array per row, columns as the manifest lists them
    files/raw/ab/cdef...       raw mail, content-addressed as in $INTAKE_HOME/raw
    files/attachments/ab/...   attachments, likewise
    files/secret.key           the generated token key, when there is one (forms sent before the
                               export carry tokens signed with it)
    manifest.json              format, schema revision, counts, and each member's SHA-256

The manifest comes last so that the export can stream; an import reads the archive through once
to check every member against it before it writes anything.
"""

from __future__ import annotations

import re

FORMAT = "ehcp-intake-export"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SECRET_KEY_MEMBER = "files/secret.key"
FILE_STORES = ("raw", "attachments")
_TABLE_MEMBER = re.compile(r"^tables/([a-z_][a-z0-9_]*)\.jsonl$")
_FILE_MEMBER = re.compile(r"^files/(raw|attachments)/([0-9a-f]{2})/([0-9a-f]{62})$")


class ArchiveError(Exception):
    """An archive that cannot be imported, or cannot be written; the message is one line."""


def table_member(name: str) -> str:
    return f"tables/{name}.jsonl"


def file_member(store: str, digest: str) -> str:
    return f"files/{store}/{digest[:2]}/{digest[2:]}"


def table_of(member: str) -> str | None:
    found = _TABLE_MEMBER.match(member)
    return found.group(1) if found else None


def file_of(member: str) -> tuple[str, str] | None:
    """(store, digest) of a stored file's member name, else None."""
    found = _FILE_MEMBER.match(member)
    return (found.group(1), found.group(2) + found.group(3)) if found else None
