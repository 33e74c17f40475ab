"""Fixtures any test may use: a fixed today, a signing key and one PDF reading sandbox per run.

The sandbox is a persistent worker process, so it is made once per session and closed at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING

import pytest

# The database fixtures (SQLite and PostgreSQL) live in their own plugin module; the check that no
# email names a test child in another; headless Chromium for the browser tests in a third.
pytest_plugins = ["db_fixtures", "child_data_guard", "chromium", "pytester"]

if TYPE_CHECKING:
    from documents.pdf.read.reader import PdfSandbox

# A fixed date, after every date in the forms' examples, so tokens and "not in the future"
# rules give the same answer every day.
TODAY = date(2025, 12, 1)
SECRET_KEY = b"ehcp-intake test key, never used outside tests"
# The school SENCO the pipeline tests send forms as (the `senco` fixture's account).
SENCO = "h.michalowska@glanwy.sch.uk"


@pytest.fixture(scope="session")
def today() -> date:
    return TODAY


@pytest.fixture(scope="session")
def secret_key() -> bytes:
    return SECRET_KEY


@pytest.fixture(scope="session")
def pdf_sandbox() -> Iterator[PdfSandbox]:
    # Imported here so that a broken reader fails only the tests that read PDFs.
    from documents.pdf.read.reader import PdfSandbox

    sandbox = PdfSandbox()
    try:
        yield sandbox
    finally:
        sandbox.close()


INTAKE_ADDRESS = "intake@send.example.gov.uk"
# The test professionals' mail domains, trusted with PDFs holding a child's data so that tests of
# other things see them attached; tests of what may travel (test_child_documents.py) set their own.
TRUSTED_DOMAINS = "*.sch.uk, *.gov.uk, *.example.org, *.example.net, *.example.uk"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def service_settings(database, tmp_path):
    """Settings for a service on the test's own database (SQLite and PostgreSQL) and folder."""
    from mail_factory import TRUSTED_AUTHSERV

    from intake.settings import load_settings

    return load_settings(
        environ={
            "INTAKE_HOME": str(tmp_path / "home"),
            "INTAKE_DATABASE_URL": database.url,
            "INTAKE_SECRET_KEY": SECRET_KEY.decode(),
            "INTAKE_ADDRESS": INTAKE_ADDRESS,
            "INTAKE_SMTP_LISTEN": f"127.0.0.1:{free_port()}",
            "INTAKE_TRUSTED_DOMAINS": TRUSTED_DOMAINS,
            # Mail from tests/mail_factory.py carries this server's DMARC pass by default.
            "INTAKE_TRUSTED_AUTHSERV": TRUSTED_AUTHSERV,
        },
        toml_path=None,
    )


@pytest.fixture
def services(service_settings, database, pdf_sandbox, request):
    """The service's parts on a fresh database, sharing the session's PDF sandbox. The test fails
    if any email it queued names a test child (`child_data_guard`)."""
    from child_data_guard import fail_on_leaks, leaks_in_outbox

    from intake.services import open_services

    opened = open_services(service_settings, database=database, sandbox=pdf_sandbox)
    try:
        yield opened
        fail_on_leaks(leaks_in_outbox(opened), request)
    finally:
        opened.close()


@pytest.fixture
def senco(services):
    """An activated SENCO account, the sender of most forms in the pipeline tests."""
    from intake.cases.accounts import add_professional

    return add_professional(
        services,
        email=SENCO,
        name="Hélène Michałowska",
        role="SENCO",
        organisation="Glan Ŵy Primary School",
        organisation_type="Maintained school",
        activate=True,
    )
