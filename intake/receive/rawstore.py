"""Raw mail kept content-addressed on disk (`raw/ab/cdef...` by SHA-256), readable by us only.

The raw bytes are the source of truth: any message can be parsed and processed again from them.
A write is atomic (temporary file, fsync, rename), so a crash leaves either the whole file or
nothing, and writing the same message twice costs one file.

The retention purge (`intake.lifecycle`) removes a file only once no row needs it. Writing bytes
that are already stored touches the file, so a purge that began before that write leaves it be
(`discard(..., unless_touched_since=...)`): a file is never removed under a row just committed.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from pathlib import Path

# A stored file's name: two hex digits of folder, the other 62 as the name (no temporary files).
_STORED = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{62}$")


class RawStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, digest: str) -> Path:
        return self.root / digest[:2] / digest[2:]

    def put(self, data: bytes, *, sync: bool = True) -> str:
        """Store `data` durably and return its SHA-256 hex digest. `sync=False` leaves the
        flush to disk to the caller (an import of thousands of files syncs once, `os.sync()`)."""
        digest = hashlib.sha256(data).hexdigest()
        path = self.path_for(digest)
        if path.exists():
            try:
                os.utime(path)  # in use again: see `discard`
                return digest
            except FileNotFoundError:
                pass  # purged a moment ago: written again below
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                if sync:
                    os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        if sync:
            _fsync_dir(path.parent)
        return digest

    def get(self, digest: str) -> bytes:
        return self.path_for(digest).read_bytes()

    def discard(self, digest: str, *, unless_touched_since: float) -> bool:
        """Remove the file for `digest` unless it was written or touched at or after the given
        time (seconds since the epoch); True when a file was removed."""
        path = self.path_for(digest)
        try:
            if path.stat().st_mtime >= unless_touched_since:
                return False
            path.unlink()
        except FileNotFoundError:
            return False
        return True

    def digests(self) -> Iterator[tuple[str, float]]:
        """Every stored file's digest and modification time, in no particular order."""
        if not self.root.is_dir():
            return
        for folder in self.root.iterdir():
            if not folder.is_dir():
                continue
            for path in folder.iterdir():
                relative = f"{folder.name}/{path.name}"
                if _STORED.match(relative):
                    try:
                        yield folder.name + path.name, path.stat().st_mtime
                    except FileNotFoundError:
                        continue


def _fsync_dir(folder: Path) -> None:
    # The rename is durable only once the directory entry is on disk too.
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
