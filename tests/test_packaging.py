"""What pyproject.toml declares: the licence as an SPDX expression with its text beside it, and
every package a test would skip without in the `test` extra, so that no check is skipped for want
of an install."""

from __future__ import annotations

import ast
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_the_licence_is_an_spdx_expression_with_its_text_in_the_package() -> None:
    assert PROJECT["license"] == "AGPL-3.0-or-later"
    licence_files = [path for pattern in PROJECT["license-files"] for path in REPO.glob(pattern)]
    assert licence_files == [REPO / "LICENSE"]
    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert text.split()[:4] == ["GNU", "AFFERO", "GENERAL", "PUBLIC"]
    assert "Version 3, 19 November 2007" in text and "END OF TERMS AND CONDITIONS" in text


def modules_tests_skip_without() -> set[str]:
    """The top-level modules named in `pytest.importorskip("...")` calls, other than ours."""
    modules = set()
    for test_file in (REPO / "tests").glob("*.py"):
        for node in ast.walk(ast.parse(test_file.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", None) == "importorskip"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                modules.add(node.args[0].value.partition(".")[0])
    return {module for module in modules if not (REPO / module).is_dir()}


def test_every_package_a_test_skips_without_is_in_the_test_extra() -> None:
    declared = {
        canonicalize_name(Requirement(line).name)
        for line in PROJECT["dependencies"] + PROJECT["optional-dependencies"]["test"]
    }
    installed = packages_distributions()
    skipped_without = modules_tests_skip_without()
    assert "stdnum" in skipped_without  # the scan finds what it is there to find
    for module in sorted(skipped_without):
        distributions = installed.get(module)
        assert distributions, f"{module} is not installed: `pip install -e .[test]`"
        assert {canonicalize_name(name) for name in distributions} & declared, (
            f"{module} (from {', '.join(distributions)}) is not in the test extra"
        )
