"""Settings: environment over intake.toml over defaults; a bad value names its setting."""

from __future__ import annotations

import stat
from datetime import date
from pathlib import Path

import pytest

from intake.settings import SettingsError, load_settings


def test_defaults_run_on_one_machine(tmp_path: Path) -> None:
    settings = load_settings(environ={}, toml_path=tmp_path / "absent.toml")
    assert settings.home == Path("./var")
    assert settings.database_url == "sqlite:///var/intake.db"
    assert settings.smtp_listen == ("127.0.0.1", 8025)
    assert settings.web_listen == ("127.0.0.1", 8000)
    assert settings.smtp_url is None and settings.imap_url is None


def test_environment_wins_over_file_over_default(tmp_path: Path) -> None:
    toml = tmp_path / "intake.toml"
    toml.write_text('address = "from-file@council.example"\nsmtp_listen = "0.0.0.0:2525"\n')
    settings = load_settings(environ={"INTAKE_ADDRESS": "env@council.example"}, toml_path=toml)
    assert settings.address == "env@council.example"
    assert settings.smtp_listen == ("0.0.0.0", 2525)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("INTAKE_SMTP_LISTEN", "localhost"),
        ("INTAKE_SMTP_LISTEN", "127.0.0.1:99999"),
        ("INTAKE_DATABASE_URL", "mysql://x"),
        ("INTAKE_IMAP_URL", "http://mail.example"),
        ("INTAKE_ADDRESS", "not an address"),
        ("INTAKE_MAX_MESSAGE_BYTES", "-5"),
        ("INTAKE_MAX_MESSAGE_BYTES", "lots"),
        ("INTAKE_TIMEZONE", "Mars/Olympus"),
        ("INTAKE_REMINDER_TIME", "7am"),
        ("INTAKE_REMINDER_TIME", "24:00"),
        ("INTAKE_REMINDER_TIME", "07:7"),
        ("INTAKE_CLOSED_DAYS", "2026-12-24, Christmas Eve"),
        ("INTAKE_CLOSED_DAYS", "2026-02-30"),
        ("INTAKE_LOG_LEVEL", "LOUD"),
        ("INTAKE_LOG_FORMAT", "xml"),
        ("INTAKE_METRICS_TOKEN", "short"),
        ("INTAKE_METRICS_TOKEN", "a token with spaces in it, long enough"),
        ("INTAKE_RETAIN_MAIL_DAYS", "0"),
        ("INTAKE_RETAIN_MAIL_DAYS", "three months"),
        ("INTAKE_RETAIN_CASES_YEARS", "-31"),
        ("INTAKE_PURGE_TIME", "2.30"),
    ],
)
def test_bad_value_names_the_setting(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings(environ={name: value}, toml_path=None)


def test_retention_defaults_to_90_days_of_mail_and_date_of_birth_plus_31_years() -> None:
    settings = load_settings(environ={}, toml_path=None)
    assert (settings.retain_mail_days, settings.retain_cases_years) == (90, 31)
    assert settings.purge_time == (2, 30)
    given = load_settings(environ={"INTAKE_RETAIN_CASES_YEARS": "45"}, toml_path=None)
    assert given.retain_cases_years == 45


def test_reminder_time_is_read_as_hour_and_minute() -> None:
    assert load_settings(environ={}, toml_path=None).reminder_time == (7, 0)
    given = load_settings(environ={"INTAKE_REMINDER_TIME": "16:45"}, toml_path=None)
    assert given.reminder_time == (16, 45)


def test_bad_value_in_file_names_the_file_and_key(tmp_path: Path) -> None:
    toml = tmp_path / "intake.toml"
    toml.write_text('web_listen = "nowhere"\n')
    with pytest.raises(SettingsError, match="web_listen in .*intake.toml"):
        load_settings(environ={}, toml_path=toml)


def test_unknown_key_in_file_is_refused(tmp_path: Path) -> None:
    toml = tmp_path / "intake.toml"
    toml.write_text('adress = "typo@council.example"\n')
    with pytest.raises(SettingsError, match="unknown setting.*adress"):
        load_settings(environ={}, toml_path=toml)


def test_broken_toml_is_reported(tmp_path: Path) -> None:
    toml = tmp_path / "intake.toml"
    toml.write_text("address = \n")
    with pytest.raises(SettingsError, match="cannot be read"):
        load_settings(environ={}, toml_path=toml)


def test_token_key_is_generated_once_and_private(tmp_path: Path) -> None:
    settings = load_settings(environ={"INTAKE_HOME": str(tmp_path)}, toml_path=None)
    first = settings.token_key()
    assert first == settings.token_key()
    assert len(first) == 64
    mode = stat.S_IMODE((tmp_path / "secret.key").stat().st_mode)
    assert mode == 0o600


def test_secret_key_setting_is_used(tmp_path: Path) -> None:
    settings = load_settings(
        environ={"INTAKE_HOME": str(tmp_path), "INTAKE_SECRET_KEY": "s3cret"}, toml_path=None
    )
    assert settings.token_key() == b"s3cret"
    assert not (tmp_path / "secret.key").exists()


def test_closed_days_are_read_as_dates(tmp_path: Path) -> None:
    assert load_settings(environ={}, toml_path=None).closed_days == frozenset()
    given = load_settings(
        environ={"INTAKE_CLOSED_DAYS": "2026-12-24, 2026-12-31 2027-05-07"}, toml_path=None
    )
    assert given.closed_days == {date(2026, 12, 24), date(2026, 12, 31), date(2027, 5, 7)}
    (tmp_path / "intake.toml").write_text('closed_days = "2027-05-07"\n')
    from_file = load_settings(environ={}, toml_path=tmp_path / "intake.toml")
    assert from_file.closed_days == {date(2027, 5, 7)}


def test_log_level_and_format_default_to_info_text_and_ignore_case() -> None:
    defaults = load_settings(environ={}, toml_path=None)
    assert (defaults.log_level, defaults.log_format) == ("INFO", "text")
    given = load_settings(
        environ={"INTAKE_LOG_LEVEL": "debug", "INTAKE_LOG_FORMAT": "JSON"}, toml_path=None
    )
    assert (given.log_level, given.log_format) == ("DEBUG", "json")
