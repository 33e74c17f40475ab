"""The deployment files kept in step with the code: every `INTAKE_` setting that the Dockerfile,
docker-compose.yml and deploy/env.example name is one intake/settings.py reads, every `intake`
command they run is one the CLI has, the compose file holds together (`docker compose config`
or `docker-compose config`, where installed), and the image runs as a user of its own with a
health check on /healthz."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from intake.cli.main import build_parser
from intake.settings import PREFIX, SPECS

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / "deploy" / "env.example"
SETTING = re.compile(r"\bINTAKE_[A-Z_]+\b")
KNOWN_SETTINGS = {PREFIX + spec.name.upper() for spec in SPECS}


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text(encoding="utf-8"))
    rows = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instruction, _, rest = line.partition(" ")
            rows.append((instruction.upper(), rest.strip()))
    return rows


def is_command(words: list[str]) -> bool:
    """Whether `intake WORDS...` parses (a subcommand and its arguments), without running it."""
    if words == ["--version"]:
        return True
    try:
        build_parser().parse_args(words)
    except SystemExit:
        return False
    return True


def test_every_setting_named_exists() -> None:
    named = set()
    for path in (DOCKERFILE, COMPOSE, ENV_EXAMPLE):
        # Compose's own variables (`${INTAKE_SMTP_URL:?...}`) are the settings' names too.
        named |= {(path.name, name) for name in SETTING.findall(path.read_text(encoding="utf-8"))}
    unknown = {(where, name) for where, name in named if name not in KNOWN_SETTINGS}
    assert unknown == set()
    assert len(named) > 10  # the pattern finds them: an empty set above proves something


def test_the_compose_service_sets_only_real_settings_and_runs_a_real_command() -> None:
    services = compose()["services"]
    assert set(services) == {"intake", "postgres", "dovecot"}
    intake = services["intake"]
    settings = {k for k in intake["environment"] if k.startswith(PREFIX)}
    assert settings <= KNOWN_SETTINGS and "INTAKE_DATABASE_URL" in settings
    assert intake["environment"]["INTAKE_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert intake["volumes"] == ["intake-home:/var/lib/intake"]
    assert services["postgres"]["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    assert intake["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_the_image_runs_intake_serve_as_its_own_user_with_a_health_check() -> None:
    rows = dockerfile_instructions()
    assert rows[0] == ("FROM", "python:3.11-slim-bookworm")
    (entrypoint,) = [args for name, args in rows if name == "ENTRYPOINT"]
    (command,) = [args for name, args in rows if name == "CMD"]
    assert entrypoint == '["intake"]'
    assert is_command(yaml.safe_load(command)) and yaml.safe_load(command) == ["serve"]
    users = [args for name, args in rows if name == "USER"]
    assert users == ["intake"]
    # The user is set before the program runs, never root.
    user_at = next(i for i, (name, _) in enumerate(rows) if name == "USER")
    assert user_at < next(i for i, (name, _) in enumerate(rows) if name == "CMD")
    (health,) = [args for name, args in rows if name == "HEALTHCHECK"]
    assert "/healthz" in health and "8000" in health
    env = " ".join(args for name, args in rows if name == "ENV")
    assert "INTAKE_HOME=/var/lib/intake" in env and "INTAKE_WEB_LISTEN=0.0.0.0:8000" in env
    assert ("VOLUME", '["/var/lib/intake"]') in rows


def test_the_commands_the_guides_give_for_the_containers_exist() -> None:
    # `docker compose exec intake intake ...` lines in the IT guide and the compose file.
    texts = [COMPOSE.read_text(encoding="utf-8"), (ROOT / "docs" / "it-guide.md").read_text()]
    found = [
        shlex.split(line)
        for text in texts
        for line in re.findall(r"exec intake intake ([a-z-][^`\n|]*)", text)
    ]
    assert found, "no `exec intake intake` lines found"
    assert [words for words in found if not is_command(words)] == []


def test_the_mailbox_image_writes_its_user_and_runs_dovecot() -> None:
    start = (ROOT / "deploy" / "dovecot" / "start-dovecot").read_text(encoding="utf-8")
    assert "MAILBOX_USER:?" in start and "MAILBOX_PASSWORD:?" in start
    config = (ROOT / "deploy" / "dovecot" / "dovecot.conf").read_text(encoding="utf-8")
    assert "protocols = imap lmtp" in config and "mail_uid = vmail" in config
    dovecot = compose()["services"]["dovecot"]
    assert set(dovecot["environment"]) == {"MAILBOX_USER", "MAILBOX_PASSWORD"}
    imap_url = compose()["services"]["intake"]["environment"]["INTAKE_IMAP_URL"]
    assert imap_url.startswith("imap://${MAILBOX_USER:-intake}:") and "@dovecot:143/" in imap_url


def compose_command() -> list[str] | None:
    docker = shutil.which("docker")
    if docker:
        plugin = subprocess.run([docker, "compose", "version"], capture_output=True, timeout=30)
        if plugin.returncode == 0:
            return [docker, "compose"]
    found = shutil.which("docker-compose")
    return [found] if found else None


def test_compose_config_accepts_the_file_and_names_what_is_missing(tmp_path: Path) -> None:
    command = compose_command()
    if command is None:
        pytest.skip("neither `docker compose` nor docker-compose is installed")
    env_file = tmp_path / "env"
    env_file.write_text(
        ENV_EXAMPLE.read_text(encoding="utf-8").replace(
            "INTAKE_SECRET_KEY=\n", "INTAKE_SECRET_KEY=" + "ab" * 32 + "\n"
        )
    )
    run = [*command, "--project-directory", str(ROOT), "-f", str(COMPOSE)]
    checked = subprocess.run(
        [*run, "--env-file", str(env_file), "config"], capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0, checked.stderr
    resolved = yaml.safe_load(checked.stdout)
    assert resolved["services"]["intake"]["environment"]["INTAKE_SECRET_KEY"] == "ab" * 32
    # Without the secrets, it refuses and says which.
    empty = tmp_path / "empty-env"
    empty.write_text("")
    refused = subprocess.run(
        [*run, "--env-file", str(empty), "config"], capture_output=True, text=True, timeout=60
    )
    assert refused.returncode != 0 and "in .env" in refused.stderr
