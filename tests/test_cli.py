"""The `intake` command as a user or script meets it: output, JSON shapes and exit statuses.

Each test runs the real command in a subprocess with its own INTAKE_HOME, as a council's IT team
or a script would.
"""

from __future__ import annotations

import json
import os
import signal
import smtplib
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from conftest import SECRET_KEY, free_port

from documents import FORMS, get_form, issue_token, render_form

INTAKE = [sys.executable, "-m", "intake.cli.main"]
REPO = Path(__file__).resolve().parent.parent


def run(tmp_path: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120):
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")},
        "INTAKE_HOME": str(tmp_path / "home"),
        "INTAKE_SECRET_KEY": SECRET_KEY.decode(),
        "INTAKE_SMTP_LISTEN": f"127.0.0.1:{free_port()}",
        "PYTHONPATH": str(REPO),
        **(env or {}),
    }
    return subprocess.run(
        [*INTAKE, *args],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def initialised_home(tmp_path: Path, sandbox):
    """`intake init` run for the home `run` gives the command, and the service's parts opened
    on it, so a test can lay records down for the commands it then runs. The caller closes them."""
    from intake.services import open_services
    from intake.settings import load_settings

    initialised = run(tmp_path, "init")
    assert initialised.returncode == 0, initialised.stderr
    environ = {"INTAKE_HOME": str(tmp_path / "home"), "INTAKE_SECRET_KEY": SECRET_KEY.decode()}
    return open_services(load_settings(environ=environ, toml_path=None), sandbox=sandbox)


@pytest.mark.parametrize("kind", sorted(FORMS))
def test_schema_lists_every_field_with_its_pdf_name(tmp_path: Path, kind: str) -> None:
    result = run(tmp_path, "forms", "schema", kind, "--json")
    assert result.returncode == 0, result.stderr
    schema = json.loads(result.stdout)
    names = {f["name"]: f for s in schema["steps"] for f in s["fields"]}
    assert set(names) == {f.name for f in get_form(kind).fields()}
    assert all(f["pdf_name"] and f["type"] and "required" in f for f in names.values())


@pytest.mark.parametrize("kind", sorted(FORMS))
def test_example_answers_use_the_schema_names(tmp_path: Path, kind: str) -> None:
    result = run(tmp_path, "forms", "example", kind, "--json")
    assert result.returncode == 0, result.stderr
    example = json.loads(result.stdout)
    assert example and set(example) <= {f.name for f in get_form(kind).fields()}


def test_render_then_check_a_filled_form(tmp_path: Path) -> None:
    out = tmp_path / "form.pdf"
    result = run(tmp_path, "forms", "render", "request", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b"%PDF")

    form = get_form("request")
    from datetime import date

    token = issue_token(SECRET_KEY, "request", 0, today=date.today())
    filled = tmp_path / "filled.pdf"
    filled.write_bytes(render_form(form, values=form.example, token=token))
    result = run(tmp_path, "forms", "check", str(filled), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["form"] == "request"
    assert report["token"]["valid"] and report["token"]["specimen"]
    assert [s["step"] for s in report["steps"]] == list(range(1, 9))
    assert all(s["ok"] for s in report["steps"])
    assert report["fields"]["postcode"] == form.example["postcode"]
    assert {name: report["fields"][name] for name in form.example} == dict(form.example)


def test_check_reports_each_problem_and_exits_1(tmp_path: Path) -> None:
    form = get_form("request")
    from datetime import date

    token = issue_token(SECRET_KEY, "request", 0, today=date.today())
    filled = tmp_path / "filled.pdf"
    answers = {**form.example, "postcode": "LE1 6Z", "signed_name": None}
    filled.write_bytes(render_form(form, values=answers, token=token))
    result = run(tmp_path, "forms", "check", str(filled), "--json")
    assert result.returncode == 1
    assert result.stderr.strip() == "intake: 2 problems in the request form"
    errors = [
        (s["step"], e["field"], e["code"])
        for s in json.loads(result.stdout)["steps"]
        for e in s["errors"]
    ]
    assert errors == [(2, "postcode", "postcode-invalid"), (8, "signed_name", "required")]


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"", "empty"), (b"hello, not a pdf", "not a PDF"), (b"%PDF-1.7\n1 0 obj <<", "")],
)
def test_check_of_a_bad_file_gives_a_one_line_reason(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(content)
    result = run(tmp_path, "forms", "check", str(bad), "--json")
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert reason in result.stderr
    assert json.loads(result.stdout)["form"] is None


def test_missing_file_and_usage_errors(tmp_path: Path) -> None:
    missing = run(tmp_path, "forms", "check", str(tmp_path / "nope.pdf"))
    assert missing.returncode == 1 and "cannot read" in missing.stderr
    usage = run(tmp_path, "forms", "schema", "nonsense")
    assert usage.returncode == 2
    bad_setting = run(tmp_path, "forms", "schema", "request", env={"INTAKE_SMTP_LISTEN": "x"})
    assert bad_setting.returncode == 1 and "INTAKE_SMTP_LISTEN" in bad_setting.stderr


def test_professional_add_list_and_refusals(tmp_path: Path) -> None:
    added = run(
        tmp_path,
        "professional",
        "add",
        "--email",
        "A.Senco@School.example",
        "--name",
        "A Senco",
        "--role",
        "SENCO",
        "--organisation",
        "A School",
        "--activate",
    )
    assert added.returncode == 0, added.stderr
    again = run(
        tmp_path,
        "professional",
        "add",
        "--email",
        "a.senco@school.example",
        "--name",
        "A Senco",
        "--role",
        "SENCO",
        "--organisation",
        "A School",
    )
    assert again.returncode == 1 and "already an account" in again.stderr
    bad_role = run(
        tmp_path,
        "professional",
        "add",
        "--email",
        "b@school.example",
        "--name",
        "B",
        "--role",
        "Wizard",
        "--organisation",
        "A School",
    )
    assert bad_role.returncode == 2 and "invalid choice: 'Wizard'" in bad_role.stderr
    listed = run(tmp_path, "professional", "list", "--json")
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(r["email"], r["active"]) for r in rows] == [("A.Senco@school.example", True)]


def test_ingest_prints_one_outcome_per_message_and_refuses_missing_paths(tmp_path: Path) -> None:
    maildir = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    (maildir / "new" / "1.eml").write_bytes(
        b"From: stranger@elsewhere.example\r\nTo: intake@localhost\r\nSubject: hello\r\n"
        b"Message-ID: <one@elsewhere.example>\r\n\r\nCan I ask for an assessment?\r\n"
    )
    (maildir / "cur" / "2.eml").write_bytes(
        b"From: robot@elsewhere.example\r\nTo: intake@localhost\r\nSubject: Out of office\r\n"
        b"Auto-Submitted: auto-replied\r\nMessage-ID: <two@elsewhere.example>\r\n\r\nAway.\r\n"
    )
    result = run(tmp_path, "ingest", str(maildir), "--json")
    assert result.returncode == 0, result.stderr
    outcomes = {
        json.loads(line)["message_id"]: json.loads(line) for line in result.stdout.splitlines()
    }
    assert outcomes["one@elsewhere.example"]["status"] == "rejected"
    assert outcomes["one@elsewhere.example"]["reasons"][0]["code"] == "unknown-sender"
    assert outcomes["two@elsewhere.example"]["status"] == "ignored"
    sent = list((tmp_path / "home" / "outbox-sent").glob("*.eml"))
    assert len(sent) == 1, "only the person gets an answer, never the robot"

    missing = run(tmp_path, "ingest", str(tmp_path / "absent"))
    assert missing.returncode == 1 and "no such file" in missing.stderr


def test_ingest_and_queue_show_a_form_awaiting_its_senders_code(
    tmp_path: Path, pdf_sandbox
) -> None:
    # No Authentication-Results header and no trusted server: by default the form waits.
    from mail_factory import form_reply

    from documents.forms.request_example import REQUEST_EXAMPLE
    from intake.cases.accounts import add_professional

    services = initialised_home(tmp_path, pdf_sandbox)
    try:
        senco = add_professional(
            services, email="a.senco@school.example", name="A Senco", role="SENCO",
            organisation="School", activate=True,
        )  # fmt: skip
        token = issue_token(services.key, "request", senco.id, today=services.today())
    finally:
        services.close()
    pdf = render_form(get_form("request"), values=REQUEST_EXAMPLE, token=token)
    mail = tmp_path / "form.eml"
    mail.write_bytes(form_reply(pdf, sender="a.senco@school.example", dmarc=None))

    ingested = run(tmp_path, "ingest", str(mail), "--json")
    queued = run(tmp_path, "queue", "--json")

    assert ingested.returncode == 0, ingested.stderr
    assert json.loads(ingested.stdout)["status"] == "awaiting_verification"
    rows = [json.loads(line) for line in queued.stdout.splitlines()]
    assert [r["status"] for r in rows if r["type"] == "message"] == ["awaiting_verification"]


def test_demo_tells_the_story_and_leaves_its_files(tmp_path: Path) -> None:
    result = run(tmp_path, "demo", "--out", str(tmp_path / "demo"), timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 problems to fix" in result.stdout
    assert "Received: EHC-" in result.stdout
    assert "Received: advice ADV-" in result.stdout
    assert "Advice received on this case so far: 1 of 1." in result.stdout
    assert "Reminder: advice ADV-" in result.stdout
    assert "finds all 1" in result.stdout
    # The narration is the output: the service's routine log lines do not bury it.
    assert " INFO " not in result.stderr, result.stderr
    files = {p.name for p in (tmp_path / "demo").iterdir()}
    assert {
        "2-problems-email.eml",
        "3-confirmation-email.eml",
        "3-receipt.pdf",
        "4-advice-form.pdf",
        "5-advice-confirmation.eml",
        "6-reminder-email.eml",
    } <= files


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_starts_and_stops_cleanly(tmp_path: Path, sig: int) -> None:
    port, web_port = free_port(), free_port()
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")},
        "INTAKE_HOME": str(tmp_path / "home"),
        "INTAKE_SECRET_KEY": SECRET_KEY.decode(),
        "INTAKE_SMTP_LISTEN": f"127.0.0.1:{port}",
        "INTAKE_WEB_LISTEN": f"127.0.0.1:{web_port}",
        "PYTHONPATH": str(REPO),
    }
    server = subprocess.Popen(
        [*INTAKE, "serve"], cwd=tmp_path, env=environment, stderr=subprocess.PIPE, text=True
    )
    try:
        lines = []
        while not any("intake: serving" in line for line in lines) and len(lines) < 50:
            lines.append(server.stderr.readline())
        assert any("SMTP listener on 127.0.0.1" in line for line in lines), lines
        assert any("reminders on working days at 07:00 Europe/London" in x for x in lines), lines
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            assert smtp.noop()[0] == 250
        health = httpx.get(f"http://127.0.0.1:{web_port}/healthz", timeout=10)
        assert health.json()["checks"]["database"]["ok"] is True
        server.send_signal(sig)
        assert server.wait(timeout=30) == 0
        assert "stopping" in server.stderr.read()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
