"""The guides in docs/ kept in step with the service: every picture they show exists (and every
picture in docs/images/ is shown somewhere), every setting they name is one the service reads,
every `intake` command they give is one the CLI has, and every web path they name is a route.
The pictures themselves are made by scripts/docs-images from the real forms and pages."""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

import pytest

from intake.cli.main import build_parser
from intake.settings import PREFIX, SPECS
from portal import ROUTES

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
GUIDES = ("it-guide.md", "caseworker-guide.md", "professional-guide.md")
PAGES = [ROOT / "README.md", *(DOCS / name for name in (*GUIDES, "architecture.md"))]
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")
CODE = re.compile(r"`([^`\n]+)`")


def text_of(page: Path) -> str:
    return page.read_text(encoding="utf-8")


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def command_exists(words: list[str]) -> bool:
    """Whether `intake WORDS` names a command path the CLI has (its options are not checked:
    a guide may name `intake caseworker add` without the required ones)."""
    parser = build_parser()
    if words[:1] == ["--version"]:
        return True
    for word in words:
        choices = subcommands(parser)
        if not choices or word.startswith("-"):
            return True
        if word not in choices:
            return False
        parser = choices[word]
    return True


def commands_in(text: str) -> list[list[str]]:
    found = []
    for span in CODE.findall(text):
        for match in re.finditer(r"(?:^|\s)intake (?!intake )([a-z-][^|;]*)", span):
            try:
                found.append(shlex.split(match.group(1)))
            except ValueError:
                found.append(match.group(1).split())
    return found


def route_matches(path: str) -> bool:
    for route in ROUTES:
        pattern = re.sub(r"\\\{\w+\\\}", r"[^/]+", re.escape(route.path))
        if re.fullmatch(pattern, path):
            return True
    return False


@pytest.mark.parametrize("name", GUIDES)
def test_the_guides_exist_and_the_readme_links_them(name: str) -> None:
    assert (DOCS / name).is_file()
    assert f"(docs/{name})" in text_of(ROOT / "README.md")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_picture_shown_exists(page: Path) -> None:
    missing = [link for link in IMAGE.findall(text_of(page)) if not (page.parent / link).is_file()]
    assert missing == []


def test_every_picture_made_is_shown() -> None:
    shown = {
        (page.parent / link).resolve() for page in PAGES for link in IMAGE.findall(text_of(page))
    }
    made = set((DOCS / "images").glob("*.png"))
    assert made, "no pictures: run scripts/docs-images"
    assert {p.resolve() for p in made} - shown == set()
    # Small enough for a repository: a few hundred KB in all.
    assert sum(p.stat().st_size for p in made) < 800 * 1024


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_setting_named_exists(page: Path) -> None:
    # Switches for running the test suite by hand, not settings of the service.
    for_tests = {"INTAKE_FUZZ", "INTAKE_LONG_TESTS"}
    known = {PREFIX + spec.name.upper() for spec in SPECS} | for_tests
    named = set(re.findall(r"\bINTAKE_[A-Z_]+\b", text_of(page)))
    assert named - known == set()


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_command_given_exists(page: Path) -> None:
    commands = commands_in(text_of(page))
    unknown = [" ".join(words) for words in commands if not command_exists(words)]
    assert unknown == []


def test_the_guides_name_commands_the_check_can_fail_on() -> None:
    commands = [words for name in GUIDES for words in commands_in(text_of(DOCS / name))]
    assert ["caseworker", "add"] == commands_in("`intake caseworker add --email a@b`")[0][:2]
    assert not command_exists(["caseworker", "remove"]) and not command_exists(["deploy"])
    assert len(commands) >= 5


@pytest.mark.parametrize("name", GUIDES)
def test_every_web_path_named_is_a_route(name: str) -> None:
    paths = [s for s in CODE.findall(text_of(DOCS / name)) if re.fullmatch(r"/[a-z][\w./-]*", s)]
    assert [p for p in paths if not route_matches(p)] == []
