"""Real mail servers for tests: a throwaway Dovecot (IMAP, LMTP) and an aiosmtpd relay sink.

Both run on 127.0.0.1 with free high ports and are stopped by the fixtures that start them.
Dovecot accepts any user name with the password `secret`, so each test can take a fresh, empty
mailbox by naming a new user instead of emptying a shared one.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from imapclient import IMAPClient

PASSWORD = "secret"
# Dovecot 2.3's own list less MOVE: a server that cannot move makes the watcher copy and expunge.
CAPABILITY_WITHOUT_MOVE = (
    "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES "
    "THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN "
    "NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES "
    "WITHIN CONTEXT=SEARCH LIST-STATUS BINARY SPECIAL-USE"
)

DOVECOT_CONF = """\
protocols = imap lmtp
listen = 127.0.0.1
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
info_log_path = {dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{dir}/mail/%n/Maildir
mail_uid = nobody
mail_gid = nogroup
first_valid_uid = 1
mail_plugins = $mail_plugins mail_log notify
{capability}
# Every test's own IMAP sessions plus the watcher's, with room to spare.
mail_max_userip_connections = 100

passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = home={dir}/mail/%n
}}

plugin {{
  # The no-MOVE test reads these lines to see how a message left the INBOX.
  mail_log_events = copy expunge flag_change
  mail_log_fields = uid box flags
}}

service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service lmtp {{
  unix_listener lmtp {{
    mode = 0666
  }}
}}
protocol lmtp {{
  # The same user names as IMAP log in with: deliver to "name@anything".
  auth_username_format = %n
}}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def dovecot_binary() -> str:
    found = shutil.which("dovecot") or "/usr/sbin/dovecot"
    if not os.path.exists(found):
        pytest.skip("Dovecot is not installed (scripts/setup --test installs it)")
    return found


class Dovecot:
    """A Dovecot master process serving IMAP on a free port and LMTP on a unix socket."""

    host = "127.0.0.1"

    def __init__(self, *, capability: str | None = None) -> None:
        self.binary = dovecot_binary()
        self.dir = Path(tempfile.mkdtemp(prefix="dovecot-"))
        # Mail processes run as nobody and must reach the maildirs under this folder.
        self.dir.chmod(0o755)
        mail = self.dir / "mail"
        mail.mkdir()
        nobody = pwd.getpwnam("nobody")
        os.chown(mail, nobody.pw_uid, nobody.pw_gid)
        self.port = free_port()
        self.config = self.dir / "dovecot.conf"
        self.config.write_text(
            DOVECOT_CONF.format(
                dir=self.dir,
                password=PASSWORD,
                imap_port=self.port,
                capability=f"imap_capability = {capability}" if capability else "",
            )
        )
        self._users = itertools.count(1)
        self._master: subprocess.Popen[bytes] | None = None

    @property
    def lmtp_socket(self) -> Path:
        return self.dir / "run" / "lmtp"

    @property
    def log_path(self) -> Path:
        return self.dir / "dovecot.log"

    def url(self, user: str = "intake", folder: str = "INBOX") -> str:
        return f"imap://{user}:{PASSWORD}@{self.host}:{self.port}/{folder}"

    def new_user(self) -> str:
        """A user name no test has used yet on this server: an empty mailbox."""
        return f"user{next(self._users)}"

    def start(self) -> None:
        # -F keeps the master in the foreground as our child, so stop() can reap it at once
        # (a daemonised master lingers as a zombie until init gets round to it).
        self._master = subprocess.Popen(
            [self.binary, "-F", "-c", str(self.config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # Its own process group, so stop() can end the IMAP sessions too.
            start_new_session=True,
        )
        self._wait_listening()

    def stop(self) -> None:
        """Stop the master and every process it started, open IMAP sessions included."""
        if self._master is None:
            return
        master, self._master = self._master, None
        master.terminate()
        try:
            master.wait(timeout=10)
        except subprocess.TimeoutExpired:
            master.kill()
            master.wait()
        # An IMAP process in IDLE can outlive its master; a real restart drops it, so do we.
        try:
            os.killpg(master.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def kick(self, user: str) -> None:
        """Disconnect every session of a user, as a crash or network loss would."""
        subprocess.run(
            ["doveadm", "-c", str(self.config), "kick", user],
            check=True,
            capture_output=True,
            timeout=30,
        )

    def log_lines(self) -> list[str]:
        return self.log_path.read_text(errors="replace").splitlines()

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _wait_listening(self) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._master is not None and self._master.poll() is not None:
                raise RuntimeError(f"Dovecot exited at start; see {self.log_path}")
            try:
                socket.create_connection((self.host, self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"Dovecot did not listen on {self.port}; see {self.log_path}")


@dataclass
class SinkMessage:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    # When the sink answered (time.monotonic()): a crash test compares it with its kills.
    at: float = field(default_factory=time.monotonic)


@dataclass
class _Failure:
    reply: str
    remaining: int


@dataclass
class RelaySink:
    """An SMTP relay in a thread that keeps what it receives and can be told to refuse."""

    host: str = "127.0.0.1"
    port: int = field(default_factory=free_port)
    messages: list[SinkMessage] = field(default_factory=list)
    refused: list[SinkMessage] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._changed = threading.Condition()
        self._failure: _Failure | None = None
        self._controller = Controller(self, hostname=self.host, port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def fail_with(self, code: int, text: str, count: int = 1) -> None:
        """Answer the next `count` messages with this reply: 4xx temporary, 5xx permanent."""
        if not 400 <= code < 600:
            raise ValueError("a failure reply is 4xx or 5xx")
        with self._changed:
            self._failure = _Failure(f"{code} {text}", count)

    def recover(self) -> None:
        """Accept again from now on, whatever `fail_with` said."""
        with self._changed:
            self._failure = None

    def wait_for(self, count: int, timeout: float = 5.0) -> list[SinkMessage]:
        """The first `count` accepted messages, waiting up to `timeout` seconds for them."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.messages) >= count, timeout):
                raise TimeoutError(f"relay sink got {len(self.messages)} of {count} messages")
            return list(self.messages[:count])

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        message = SinkMessage(
            envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content
        )
        with self._changed:
            failure = self._failure
            if failure is not None:
                failure.remaining -= 1
                if failure.remaining <= 0:
                    self._failure = None
                self.refused.append(message)
                self._changed.notify_all()
                return failure.reply
            self.messages.append(message)
            self._changed.notify_all()
        return "250 2.0.0 OK"


@pytest.fixture(scope="session")
def dovecot_server() -> Iterator[Dovecot]:
    server = Dovecot()
    server.start()
    try:
        yield server
    finally:
        server.remove()


@pytest.fixture
def dovecot(dovecot_server: Dovecot) -> Dovecot:
    """The session's Dovecot; call `new_user()` for an empty mailbox of this test's own."""
    return dovecot_server


@pytest.fixture
def relay_sink(request: pytest.FixtureRequest) -> Iterator[RelaySink]:
    """A relay sink for one test, which fails if any message it got names a test child."""
    from child_data_guard import fail_on_leaks, leaks_in_messages

    sink = RelaySink()
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()
    received = [(", ".join(m.rcpt_tos), m.data) for m in [*sink.messages, *sink.refused]]
    fail_on_leaks(leaks_in_messages(received), request)


# --- helpers for tests that run the service against these servers ---------------------------------

# A generous bound for conditions to come true; never a performance target.
WAIT_SECONDS = 20


def wait_until(condition: Callable[[], object], what: str, timeout: float = WAIT_SECONDS):
    """The condition's first true value, or a failure naming what never happened."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"within {timeout}s: {what}")
        time.sleep(0.05)


@dataclass
class Mailbox:
    """One test's own, empty mailbox on the session's Dovecot."""

    server: Dovecot
    user: str

    @property
    def url(self) -> str:
        return self.server.url(self.user)

    def client(self) -> IMAPClient:
        client = IMAPClient(self.server.host, self.server.port, ssl=False, timeout=10)
        client.login(self.user, PASSWORD)
        return client

    def append(self, raw: bytes) -> None:
        with self.client() as client:
            client.append("INBOX", raw)

    def contents(self, folder: str) -> list[bytes]:
        with self.client() as client:
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            fetched = client.fetch(client.search(), ["BODY.PEEK[]"])
            return [fetched[uid][b"BODY[]"] for uid in sorted(fetched)]
