"""/healthz over HTTP against a real uvicorn server: the database, the mailbox (a real Dovecot:
connect, log in, select the folder, log out) and the relay (a real aiosmtpd sink: EHLO, NOOP,
QUIT; with no relay set, the outbox folder), each up, refused, stopped or silent. A part not
configured is no failure; a configured part that fails makes it 503, logged (never with a
password) and not shown."""

from __future__ import annotations

import logging
import socket
from dataclasses import replace

import pytest
from mail_servers import (
    Dovecot,
    RelaySink,
    dovecot_server,  # noqa: F401 (a fixture, asked for by name)
    free_port,
)
from web_client import Visitor, served

WRONG_PASSWORD = "not-the-secret-7Qx"


@pytest.fixture
def imap_server(request) -> Dovecot:
    """The session's Dovecot (mail_servers.dovecot_server); a new user is an empty mailbox."""
    return request.getfixturevalue("dovecot_server")


@pytest.fixture
def relay():
    sink = RelaySink()
    sink.start()
    yield sink
    sink.stop()


def health_of(services, **settings) -> tuple[int, dict]:
    changed = replace(services, settings=replace(services.settings, **settings))
    with served(changed) as site:
        visitor = Visitor(site)
        try:
            answer = visitor.get("/healthz")
        finally:
            visitor.close()
    assert answer.headers["cache-control"] == "no-store"
    return answer.status_code, answer.json()


def test_with_nothing_configured_the_mailbox_is_no_failure_and_the_outbox_folder_is_checked(
    services,
) -> None:
    status, body = health_of(services, imap_url=None, smtp_url=None)
    assert status == 200 and body["ok"] is True
    assert body["checks"]["mailbox"]["ok"] is True
    assert body["checks"]["mailbox"]["note"] == "not configured"
    assert body["checks"]["relay"] == {
        **body["checks"]["relay"],
        "ok": True,
        "note": "outbox folder",
    }
    assert body["checks"]["database"]["ok"] is True


def test_a_reachable_mailbox_and_relay_are_healthy(services, imap_server, relay) -> None:
    status, body = health_of(
        services, imap_url=imap_server.url(imap_server.new_user()), smtp_url=relay.url
    )
    assert status == 200, body
    assert set(body["checks"]) == {"database", "mailbox", "relay"}
    assert all(c["ok"] and "note" not in c for c in body["checks"].values())
    assert relay.messages == []  # NOOP, never a message


def test_a_refused_login_or_missing_folder_fails_and_the_password_is_not_logged(
    services, imap_server, caplog
) -> None:
    caplog.set_level(logging.WARNING, logger="intake.web")
    # Dovecot takes any user with its one password: a wrong one is refused.
    wrong = imap_server.url(imap_server.new_user()).replace(":secret@", f":{WRONG_PASSWORD}@")
    status, body = health_of(services, imap_url=wrong)
    assert status == 503 and body["ok"] is False
    assert body["checks"]["mailbox"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True
    assert "health check mailbox failed" in caplog.text
    assert WRONG_PASSWORD not in caplog.text and WRONG_PASSWORD not in str(body)

    status, body = health_of(
        services, imap_url=imap_server.url(imap_server.new_user(), "No-Such-Box")
    )
    assert status == 503 and body["checks"]["mailbox"]["ok"] is False


def test_closed_ports_fail_both(services, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="intake.web")
    closed_imap, closed_smtp = free_port(), free_port()
    status, body = health_of(
        services,
        imap_url=f"imap://intake:{WRONG_PASSWORD}@127.0.0.1:{closed_imap}/INBOX",
        smtp_url=f"smtp://relay:{WRONG_PASSWORD}@127.0.0.1:{closed_smtp}",
    )
    assert status == 503
    assert body["checks"]["mailbox"]["ok"] is False and body["checks"]["relay"]["ok"] is False
    assert "health check relay failed" in caplog.text
    assert WRONG_PASSWORD not in caplog.text


def test_a_stopped_relay_and_a_stopped_mailbox_fail(services) -> None:
    server, relay = Dovecot(), RelaySink()
    server.start()
    relay.start()
    url = server.url(server.new_user())
    assert health_of(services, imap_url=url, smtp_url=relay.url)[0] == 200
    server.remove()
    relay.stop()
    status, body = health_of(services, imap_url=url, smtp_url=relay.url)
    assert status == 503
    assert body["checks"]["mailbox"]["ok"] is False and body["checks"]["relay"]["ok"] is False


def test_servers_that_accept_and_never_speak_fail_without_hanging_the_endpoint(services) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        status, body = health_of(
            services,
            imap_url=f"imap://intake:secret@127.0.0.1:{port}/INBOX",
            smtp_url=f"smtp://127.0.0.1:{port}",
        )
    # It answered at all (the client waits 30 s): the checks' own timeouts ended them.
    assert status == 503
    assert body["checks"]["mailbox"]["ok"] is False and body["checks"]["relay"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


def test_an_outbox_folder_that_cannot_be_written_fails(services, tmp_path) -> None:
    home = tmp_path / "home-with-a-file"
    home.mkdir()
    (home / "outbox-sent").write_text("a file where the folder should be")
    status, body = health_of(services, home=str(home), smtp_url=None)
    assert status == 503 and body["checks"]["relay"]["ok"] is False


@pytest.mark.parametrize("part", ["mailbox", "relay"])
def test_each_part_is_a_named_check(part) -> None:
    from portal.health import CHECKS

    assert part in CHECKS
