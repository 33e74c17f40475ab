"""Settings, read once at start: environment (`INTAKE_*`), then `intake.toml`, then defaults.

A bad value stops the program with the setting's name. Tests pass a mapping instead of patching
the environment: `load_settings(environ={...}, toml_path=None)`.
"""

from __future__ import annotations

import os
import re
import secrets
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PREFIX = "INTAKE_"


class SettingsError(Exception):
    """A setting has a value that cannot be used; the message names the setting."""


def _host_port(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("expected HOST:PORT, for example 127.0.0.1:8025")
    return host, int(port)


def _url(*schemes: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in schemes or not (parts.netloc or parts.path):
            raise ValueError(f"expected a URL starting {' or '.join(s + '://' for s in schemes)}")
        return value

    return check


def _database_url(value: str) -> str:
    if not value.startswith(("sqlite:///", "postgresql+psycopg://", "postgresql://")):
        raise ValueError("expected sqlite:///PATH or postgresql+psycopg://USER@HOST/DB")
    return value


def _address(value: str) -> str:
    local, at, domain = value.partition("@")
    if not local or not at or not domain or " " in value:
        raise ValueError("expected an email address such as intake@send.example.gov.uk")
    return value


def _positive_int(value: str) -> int:
    number = int(value)
    if number <= 0:
        raise ValueError("expected a whole number above 0")
    return number


def _positive_seconds(value: str) -> float:
    number = float(value)
    if not 0 < number <= 3600:
        raise ValueError("expected a number of seconds above 0, at most 3600, such as 2 or 0.5")
    return number


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("expected a time zone name such as Europe/London") from None
    return value


def _clock_time(value: str) -> tuple[int, int]:
    hour, sep, minute = value.partition(":")
    if not (sep and hour.isdigit() and minute.isdigit() and len(minute) == 2):
        raise ValueError("expected a 24-hour time HH:MM, for example 07:00")
    if not (0 <= int(hour) <= 23 and 0 <= int(minute) <= 59):
        raise ValueError("expected a 24-hour time HH:MM, for example 07:00")
    return int(hour), int(minute)


def _dates(value: str) -> frozenset[date]:
    days = set()
    for item in value.replace(",", " ").split():
        try:
            days.add(date.fromisoformat(item))
        except ValueError:
            expected = "expected dates as YYYY-MM-DD, separated by commas"
            raise ValueError(f"{item!r} is not a date: {expected}") from None
    return frozenset(days)


def _one_of(*choices: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        for choice in choices:
            if value.strip().lower() == choice.lower():
                return choice
        raise ValueError(f"expected one of {', '.join(choices)}")

    return check


_DOMAIN = re.compile(r"^(\*\.)?([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9-]{1,63}$")


def _domains(value: str) -> tuple[str, ...]:
    domains = []
    for item in value.replace(",", " ").split():
        domain = item.strip().lower().rstrip(".")
        if not _DOMAIN.match(domain) or "." not in domain.removeprefix("*."):
            expected = "expected domains such as nhs.net or *.gov.uk, separated by commas"
            raise ValueError(f"{item!r} is not a domain: {expected}")
        domains.append(domain)
    return tuple(dict.fromkeys(domains))


def _bearer_token(value: str) -> str:
    # Sent in an Authorization header: visible ASCII only, and long enough not to be guessed.
    if len(value) < 24 or not all("!" <= ch <= "~" for ch in value):
        raise ValueError("expected at least 24 characters, letters, digits or punctuation only")
    return value


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# How a form's sender is proven (docs/architecture.md, "Trust"): `none` trusts the From: address
# and is unsafe outside tests and demos.
SENDER_VERIFICATIONS = ("dmarc-or-code", "code", "none")
LOG_FORMATS = ("text", "json")


@dataclass(frozen=True)
class SettingSpec:
    name: str
    cast: Callable[[str], Any]
    default: str | None
    help: str


SPECS: tuple[SettingSpec, ...] = (
    SettingSpec("home", str, "./var", "folder for the database, raw mail and attachments"),
    SettingSpec(
        "database_url", _database_url, None, "defaults to SQLite at $INTAKE_HOME/intake.db"
    ),
    SettingSpec("smtp_listen", _host_port, "127.0.0.1:8025", "where the SMTP listener binds"),
    SettingSpec("web_listen", _host_port, "127.0.0.1:8000", "where the web dashboard binds"),
    SettingSpec("smtp_url", _url("smtp", "smtps"), None, "outbound relay; unset: .eml files"),
    SettingSpec(
        "imap_url", _url("imap", "imaps"), None, "mailbox to watch, e.g. imap://u:p@h/INBOX"
    ),
    SettingSpec(
        "address", _address, "intake@localhost", "the intake address professionals reply to"
    ),
    SettingSpec("base_url", _url("http", "https"), "http://127.0.0.1:8000", "for links in email"),
    SettingSpec("secret_key", str, None, "signs form tokens; unset: generated under INTAKE_HOME"),
    SettingSpec("trusted_authserv", str, None, "authserv-id whose Authentication-Results we trust"),
    SettingSpec(
        "trusted_domains", _domains, "", "mail domains PDFs with a child's data may go to plain"
    ),
    SettingSpec(
        "sender_verification",
        _one_of(*SENDER_VERIFICATIONS),
        "dmarc-or-code",
        "how a sender is proven: a DMARC pass or a code, always a code, or none (unsafe)",
    ),
    SettingSpec(
        "replies_per_reason_per_day",
        _positive_int,
        "5",
        "automatic replies to one address for one reason in a day; more are not sent",
    ),
    SettingSpec("max_message_bytes", _positive_int, str(25 * 1024 * 1024), "largest message taken"),
    SettingSpec(
        "max_attachment_bytes", _positive_int, str(10 * 1024 * 1024), "largest attached file taken"
    ),
    SettingSpec(
        "service_name", str, "SEND service", "the council service's name, signed on emails"
    ),
    SettingSpec("timezone", _zone, "Europe/London", "for due dates and reminder times"),
    SettingSpec(
        "reminder_time", _clock_time, "07:00", "daily reminder run, working days, local time"
    ),
    SettingSpec(
        "closed_days", _dates, "", "days with no reminders beyond weekends and bank holidays"
    ),
    SettingSpec(
        "retain_mail_days",
        _positive_int,
        "90",
        "days raw mail (and files of mail that joined no case) are kept once processed",
    ),
    SettingSpec(
        "retain_cases_years",
        _positive_int,
        "31",
        "years after the child's date of birth a case and its files are kept",
    ),
    SettingSpec("purge_time", _clock_time, "02:30", "daily retention purge, local time"),
    SettingSpec("log_level", _one_of(*LOG_LEVELS), "INFO", "the least severe log lines written"),
    SettingSpec("log_format", _one_of(*LOG_FORMATS), "text", "log lines as text or one JSON each"),
    SettingSpec(
        "leader_retry_seconds",
        _positive_seconds,
        "2",
        "on PostgreSQL, how often a process without the IMAP watcher or scheduler tries to take it",
    ),
    SettingSpec(
        "metrics_token",
        _bearer_token,
        None,
        "bearer token that may read /metrics; unset: signed-in caseworkers only",
    ),
)


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    smtp_listen: tuple[str, int]
    web_listen: tuple[str, int]
    smtp_url: str | None
    imap_url: str | None
    address: str
    base_url: str
    secret_key: str | None
    trusted_authserv: str | None
    # Lower case; "*.gov.uk" stands for any subdomain of gov.uk.
    trusted_domains: tuple[str, ...]
    sender_verification: str
    replies_per_reason_per_day: int
    max_message_bytes: int
    max_attachment_bytes: int
    service_name: str
    timezone: str
    reminder_time: tuple[int, int]
    closed_days: frozenset[date]
    retain_mail_days: int
    retain_cases_years: int
    purge_time: tuple[int, int]
    log_level: str
    log_format: str
    leader_retry_seconds: float
    metrics_token: str | None = None

    def token_key(self) -> bytes:
        """The key that signs form tokens: the setting, else one kept under the home folder."""
        if self.secret_key:
            return self.secret_key.encode()
        return _stored_key(self.home / "secret.key")


def load_settings(
    environ: Mapping[str, str] | None = None, toml_path: Path | None = Path("intake.toml")
) -> Settings:
    """Settings from the environment, then the TOML file (if it exists), then defaults."""
    environ = os.environ if environ is None else environ
    from_file = _read_toml(toml_path) if toml_path is not None else {}
    values: dict[str, Any] = {}
    for spec in SPECS:
        env_name = PREFIX + spec.name.upper()
        if env_name in environ and environ[env_name] != "":
            raw, source = environ[env_name], env_name
        elif spec.name in from_file:
            raw, source = str(from_file[spec.name]), f"{spec.name} in {toml_path}"
        else:
            raw, source = spec.default, f"default of {env_name}"
        if raw is None:
            values[spec.name] = None
            continue
        try:
            values[spec.name] = spec.cast(raw)
        except ValueError as exc:
            raise SettingsError(f"{source}: {raw!r} is not valid: {exc}") from None
    unknown = sorted(set(from_file) - {spec.name for spec in SPECS})
    if unknown:
        raise SettingsError(f"{toml_path}: unknown setting(s) {', '.join(unknown)}")
    values["home"] = Path(values["home"])
    if values["database_url"] is None:
        values["database_url"] = f"sqlite:///{values['home'] / 'intake.db'}"
    return Settings(**values)


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        raise SettingsError(f"{path}: cannot be read: {exc}") from None


def _stored_key(path: Path) -> bytes:
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode()
    # O_EXCL: two processes starting at once must not end up signing with different keys.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as out:
        out.write(key)
    return key
