"""The service's parts, opened once from settings and passed to whatever needs them.

No global state: the CLI, `intake serve`, the demo and the tests each open their own `Services`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import store
from documents import PdfSandbox
from intake.receive.rawstore import RawStore
from intake.screening.checks import ScreenLimits
from intake.settings import Settings
from store import Database


@dataclass
class Services:
    settings: Settings
    db: Database
    raw: RawStore
    attachments: RawStore
    key: bytes
    sandbox: PdfSandbox
    screen_limits: ScreenLimits
    # Set by `intake serve` so that new mail wakes the workers at once.
    wake_pipeline: object | None = field(default=None)
    wake_sender: object | None = field(default=None)
    # Parts handed in by the caller (tests share one sandbox) are the caller's to close.
    owns_parts: bool = True

    @property
    def instance(self) -> str:
        return instance_marker(self.key)

    def now(self) -> datetime:
        return store.utcnow()

    def today(self) -> date:
        return datetime.now(ZoneInfo(self.settings.timezone)).date()

    def close(self) -> None:
        if self.owns_parts:
            self.sandbox.close()
            self.db.close()


def instance_marker(key: bytes) -> str:
    """A marker our outgoing mail carries, so that it is known when it comes back."""
    return hashlib.sha256(b"instance" + key).hexdigest()[:16]


def make_home(home: Path) -> Path:
    """INTAKE_HOME, made if missing and readable by the service's user only: it holds raw mail,
    attachments and the key that signs tokens."""
    home.mkdir(parents=True, exist_ok=True)
    home.chmod(0o700)
    return home


def open_services(
    settings: Settings,
    *,
    migrate: bool = True,
    database: Database | None = None,
    sandbox: PdfSandbox | None = None,
) -> Services:
    """Open the database (creating or upgrading it first), the raw store and the PDF sandbox;
    a `database` and `sandbox` given are used as they are, and left open by `close()`."""
    home = make_home(Path(settings.home))
    if migrate and database is None:
        store.upgrade(settings.database_url)
    key = settings.token_key()
    return Services(
        settings=settings,
        db=database or store.open_database(settings.database_url),
        raw=RawStore(home / "raw"),
        attachments=RawStore(home / "attachments"),
        key=key,
        sandbox=sandbox or PdfSandbox(),
        screen_limits=ScreenLimits(
            max_bytes=settings.max_message_bytes,
            max_attachment_bytes=settings.max_attachment_bytes,
            own_marker=instance_marker(key),
            intake_address=settings.address,
        ),
        owns_parts=database is None and sandbox is None,
    )
