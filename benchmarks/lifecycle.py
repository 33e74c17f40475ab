"""Measure the retention purge, `intake export` and `intake import` on SQLite, each beside the
floor of the same work done bare.

Run `.venv/bin/python benchmarks/lifecycle.py [--messages N] [--json]` (default 20,000).
A temporary INTAKE_HOME is seeded once with N finished messages (raw mail of 4 KB each, stored
content-addressed as capture stores it), processed 100 days ago, so every one is due:

- purge: `purge()` (plan, tombstone rows in batches, delete files, sweep, audit) beside the
  floor: one UPDATE of the same rows and an unlink of each file;
- export: `export_service()` beside the floor: a gzip tar of the same home (database file and
  raw mail) by `tarfile`, with no reading of rows;
- import: `import_service()` into a new home and database beside the floor: extracting that tar.

Each is measured once on a fresh copy of the seeded home (they change it); the figures are
wall-clock seconds on this machine, and the ratio to the floor.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import sys
import tarfile
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from sqlalchemy import insert, update  # noqa: E402

from intake.lifecycle import export_service, import_service, purge  # noqa: E402
from intake.services import open_services  # noqa: E402
from intake.settings import load_settings  # noqa: E402
from store import InboundMessage, InboundStatus, Transport, utcnow  # noqa: E402

RAW_BYTES = 4096


def settings_for(home: Path):
    environ = {"INTAKE_HOME": str(home), "INTAKE_SECRET_KEY": "benchmark key"}
    return load_settings(environ=environ, toml_path=None)


def seed(home: Path, messages: int) -> None:
    services = open_services(settings_for(home))
    try:
        processed = utcnow() - timedelta(days=100)
        rows = []
        for n in range(messages):
            raw = (
                b"Message-ID: <%d@bench.example>\r\n\r\n" % n
                + os.urandom(RAW_BYTES // 2).hex()[: RAW_BYTES - 40].encode()
            )
            rows.append(
                {
                    "transport": Transport.FILE,
                    "message_key": f"<{n}@bench.example>",
                    "raw_sha256": services.raw.put(raw, sync=False),
                    "size": len(raw),
                    "from_address": "someone@school.example.org",
                    "subject": "A form",
                    "status": InboundStatus.REJECTED,
                    "received_at": processed,
                    "processed_at": processed,
                    "envelope_to": [],
                    "reasons": [],
                    "decisions": [],
                }
            )
        with services.db.session() as session:
            session.execute(insert(InboundMessage), rows)
        os.sync()
    finally:
        services.close()


def fresh_copy(seeded: Path, work: Path, name: str) -> Path:
    home = work / name
    shutil.copytree(seeded, home)
    return home


def timed(run) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def measure_purge(home: Path) -> float:
    services = open_services(settings_for(home))
    try:
        return timed(lambda: purge(services))
    finally:
        services.close()


def floor_purge(home: Path) -> float:
    services = open_services(settings_for(home))
    try:

        def bare() -> None:
            with services.db.session() as session:
                digests = session.scalars(
                    update(InboundMessage)
                    .values(purged_at=utcnow(), subject=None)
                    .returning(InboundMessage.raw_sha256)
                ).all()
            for digest in digests:
                services.raw.path_for(digest).unlink()

        return timed(bare)
    finally:
        services.close()


def floor_tar(home: Path, out: Path) -> float:
    def bare() -> None:
        with tarfile.open(out, "w:gz") as tar:
            tar.add(home, arcname="home")

    return timed(bare)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        seeded = work / "seeded"
        seeding = timed(lambda: seed(seeded, args.messages))
        archive, bare_tar = work / "export.tar.gz", work / "bare.tar.gz"
        export_home = fresh_copy(seeded, work, "export")
        figures = {
            "messages": args.messages,
            "seed_s": seeding,
            "purge_s": measure_purge(fresh_copy(seeded, work, "purge")),
            "purge_floor_s": floor_purge(fresh_copy(seeded, work, "purge-floor")),
            "export_s": timed(lambda: export_service(settings_for(export_home), archive)),
            "export_floor_s": floor_tar(fresh_copy(seeded, work, "tar"), bare_tar),
        }
        target = dataclasses.replace(settings_for(work / "imported"))
        figures["import_s"] = timed(lambda: import_service(target, archive))
        figures["import_floor_s"] = timed(
            lambda: tarfile.open(bare_tar, "r:gz").extractall(work / "untarred", filter="data")
        )
        figures["archive_mb"] = archive.stat().st_size / 1e6
    if args.json:
        print(json.dumps(figures))
        return
    n = figures["messages"]
    print(f"{n} finished messages of {RAW_BYTES} bytes, all due (seeded in {seeding:.1f} s)")
    for what in ("purge", "export", "import"):
        got, floor = figures[f"{what}_s"], figures[f"{what}_floor_s"]
        print(
            f"{what:7} {got:7.2f} s  ({n / got:8.0f} messages/s)   floor {floor:7.2f} s   "
            f"x{got / floor:.1f}"
        )
    print(f"archive {figures['archive_mb']:.1f} MB")


if __name__ == "__main__":
    main()
