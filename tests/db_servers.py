"""A PostgreSQL server for tests: the one named by INTAKE_TEST_POSTGRES_URL, else the project
machines' server on 127.0.0.1:5432 (database `test`), else a throwaway cluster made here.

The throwaway cluster is initdb'd into a temporary folder (as user `postgres` when we are root,
since PostgreSQL refuses to run as root), listens on a free high port on 127.0.0.1 only, and is
stopped and deleted when the test run ends. It takes about a second to start.
"""

from __future__ import annotations

import atexit
import functools
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

ENV_URL = "INTAKE_TEST_POSTGRES_URL"
PROJECT_SERVER_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SETUP_HINT = "run scripts/setup --test, which installs the Debian package postgresql"


@functools.cache
def postgres_url() -> str:
    """A URL for a server on which we may create and drop databases (a superuser's)."""
    if os.environ.get(ENV_URL):
        return os.environ[ENV_URL]
    if _answers(PROJECT_SERVER_URL):
        return PROJECT_SERVER_URL
    return _start_throwaway_cluster()


def with_database(url: str, name: str) -> str:
    """`url` pointing at database `name` instead."""
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _answers(url: str) -> bool:
    engine = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 2})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except OperationalError:
        return False
    finally:
        engine.dispose()


def _postgres_bin() -> Path:
    # Debian installs each major version side by side; take the newest.
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(Path(path).parts[-3]) if Path(path).parts[-3].isdigit() else 0,
    )
    if candidates:
        return Path(candidates[-1]).parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).resolve().parent
    raise RuntimeError(f"PostgreSQL's initdb was not found: {SETUP_HINT}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_throwaway_cluster() -> str:
    bin_dir = _postgres_bin()
    folder = Path(tempfile.mkdtemp(prefix="intake-pg-"))
    data = folder / "data"
    run_as: dict[str, int] = {}
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
        run_as = {"user": owner.pw_uid, "group": owner.pw_gid}

    def run(*args: str) -> None:
        subprocess.run(args, cwd=folder, check=True, capture_output=True, **run_as)

    port = _free_port()
    try:
        run(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
            "-E", "UTF8", "--no-sync")  # fmt: skip
        # Durability settings off: the cluster lives for one test run.
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={folder}"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        run(str(bin_dir / "pg_ctl"), "start", "-w", "-D", str(data),
            "-l", str(folder / "server.log"), "-o", options)  # fmt: skip
    except subprocess.CalledProcessError as exc:
        log = folder / "server.log"
        detail = exc.stderr.decode(errors="replace").strip()
        if log.exists():
            detail += "\n" + log.read_text(errors="replace")[-2000:]
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"could not start a throwaway PostgreSQL: {detail}") from None

    def stop() -> None:
        subprocess.run(
            [str(bin_dir / "pg_ctl"), "stop", "-D", str(data), "-m", "immediate", "-w"],
            cwd=folder, capture_output=True, **run_as,
        )  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)

    atexit.register(stop)
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
