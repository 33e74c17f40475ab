"""What `intake init` leaves under INTAKE_HOME is readable by the service's user alone."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from conftest import SECRET_KEY
from sqlalchemy import text

from store import open_database

REPO = Path(__file__).resolve().parent.parent


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def run_init(tmp_path: Path) -> subprocess.CompletedProcess:
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")},
        "INTAKE_HOME": str(tmp_path / "home"),
        "INTAKE_SECRET_KEY": SECRET_KEY.decode(),
        "PYTHONPATH": str(REPO),
    }
    return subprocess.run(
        [sys.executable, "-m", "intake.cli.main", "init"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_init_creates_the_sqlite_database_and_its_wal_files_private(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)  # the usual umask, which leaves new files world-readable
    try:
        initialised = run_init(tmp_path)
    finally:
        os.umask(old_umask)
    assert initialised.returncode == 0, initialised.stderr
    database_file = tmp_path / "home" / "intake.db"
    assert mode_of(database_file) == 0o600
    assert mode_of(tmp_path / "home") == 0o700  # INTAKE_HOME, as every other command makes it

    # The -wal and -shm files exist only while a connection is open; SQLite gives them the
    # database file's mode when it creates them.
    database = open_database(f"sqlite:///{database_file}")
    try:
        with database.session() as session:
            session.execute(text("CREATE TABLE scratch (n INTEGER)"))
            for suffix in ("-wal", "-shm"):
                companion = database_file.with_name(database_file.name + suffix)
                assert mode_of(companion) == 0o600, suffix
    finally:
        database.close()


def test_an_existing_world_readable_database_is_made_private(tmp_path: Path) -> None:
    (tmp_path / "home").mkdir()
    database_file = tmp_path / "home" / "intake.db"
    database_file.touch(mode=0o644)
    database_file.chmod(0o644)
    initialised = run_init(tmp_path)
    assert initialised.returncode == 0, initialised.stderr
    assert mode_of(database_file) == 0o600
