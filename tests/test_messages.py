"""Reason sentences: every code the code base can produce has one, and each reads as plain words.

The codes are found by reading the source of `documents/` and `intake/` with `ast` (rejections,
reasons, screening checks, token verdicts, reader outcomes), so a new reason without a sentence
in `templates/reasons.toml` fails here rather than in a professional's inbox.
"""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

from documents.check import NOT_OUR_FORM
from documents.forms.registration import REGISTRATION
from documents.messages import describe, question_label, rejection_texts
from documents.pdf.read.reader import ReadOutcome
from documents.schema import Field, FieldType, FormDefinition, Group, Rejection, step

DOCUMENTS_SOURCE = Path(__file__).resolve().parent.parent / "documents"
INTAKE_SOURCE = DOCUMENTS_SOURCE.parent / "intake"

# Calls whose argument at this position is a rejection code.
_CODE_ARGUMENT = {
    "Rejection": 0,
    "reject": 0,
    "at_least_one_answered": 3,
    "reason": 0,
    "Reason": 0,
    # Check(name, description, verdict, code, test): a screening check's reason code.
    "Check": 3,
}

# Every placeholder a sentence may use; describe() fills each of them from a rejection.
KNOWN_PLACEHOLDERS = {
    "outcome",
    "file",
    "position",
    "detail",
    "reference",
    "label",
    "step",
    "row",
    "code",
    "limit",
    "length",
    "minimum",
    "maximum",
    "decimals",
    "count",
    "months",
    "age",
    "value",
    "other",
    "fields",
    "area",
    "organisation_type",
    # Advice record checks (intake.cases.advice_records).
    "status",
    "expected",
    "sent_on",
    "due_on",
    # Registration (intake.accounts.registration): the address registered, the one we wrote to.
    "address",
    "asked",
}


def _string(node: ast.AST | None) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    # reason(f"token-{token.reason}"): a family of codes, one per token verdict.
    if isinstance(node, ast.JoinedStr) and _joined_prefix(node) == "token-":
        return [f"token-{verdict}" for verdict in token_verdicts()]
    if isinstance(node, ast.IfExp):
        return _string(node.body) + _string(node.orelse)
    return []


def _joined_prefix(node: ast.JoinedStr) -> str:
    first = node.values[0] if node.values else None
    return first.value if isinstance(first, ast.Constant) else ""


def token_verdicts() -> set[str]:
    """The reasons a token is not valid: TokenCheck(False, "reason", ...) in documents/."""
    verdicts = set()
    for path in DOCUMENTS_SOURCE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and _callee_name(node) == "TokenCheck"
                and len(node.args) > 1
                and isinstance(node.args[0], ast.Constant)
                and node.args[0].value is False
            ):
                verdicts.update(_string(node.args[1]))
    return verdicts


def _callee_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def codes_in_source(tree: ast.AST) -> set[str]:
    """Rejection codes written as literals in one module."""
    codes: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            position = _CODE_ARGUMENT.get(_callee_name(node) or "")
            if position is not None and len(node.args) > position:
                codes.update(_string(node.args[position]))
            for keyword in node.keywords:
                if keyword.arg == "code":
                    codes.update(_string(keyword.value))
        # `code = "not-ticked" if ... else "required"` before a Rejection(code, ...)
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "code" for t in node.targets
        ):
            codes.update(_string(node.value))
        # _PARSERS: FieldType -> (parser, code)
        elif isinstance(node, ast.AnnAssign | ast.Assign) and _assigns_parsers(node):
            for entry in node.value.values:
                if isinstance(entry, ast.Tuple) and len(entry.elts) == 2:
                    codes.update(_string(entry.elts[1]))
    return codes


def _assigns_parsers(node: ast.AnnAssign | ast.Assign) -> bool:
    targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
    named = any(isinstance(t, ast.Name) and t.id == "_PARSERS" for t in targets)
    return named and isinstance(node.value, ast.Dict)


def rule_names_in_source(tree: ast.AST) -> tuple[set[str], set[str]]:
    """The names given to required_if rules, and every string literal (a rule's name may pass
    through a helper of the form's own before it reaches a rule)."""
    required_if: set[str] = set()
    literals: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args and _callee_name(node) == "required_if":
            required_if.update(_string(node.args[0]))
        literals.update(_string(node))
    return required_if, literals


def _parsed_sources() -> list[ast.AST]:
    return [
        ast.parse(path.read_text(encoding="utf-8"), str(path))
        for source in (DOCUMENTS_SOURCE, INTAKE_SOURCE)
        for path in sorted(source.rglob("*.py"))
    ]


def all_codes() -> set[str]:
    codes: set[str] = set()
    for tree in _parsed_sources():
        codes |= codes_in_source(tree)
    return codes


ALL_CODES = sorted(all_codes())


def test_the_source_scan_finds_the_codes_it_should() -> None:
    # If the scan broke, the coverage test below would pass on nothing.
    expected = {
        "required",
        "not-ticked",
        "required-in-row",
        "too-long",
        "not-a-choice",
        "date-invalid",
        "file-type-not-allowed",
        "too-few-rows",
        "required-because",
        "organisation-id-invalid",
    }
    assert expected <= set(ALL_CODES)


def test_the_scan_reads_each_kind_of_code_literal() -> None:
    source = """
_PARSERS: dict = {T.DATE: (parse, "a-parser-code")}
code = "one-code" if ticked else "another-code"
rejections.append(Rejection("a-rejection", 1, "x"))
problems.append(reject("a-local-reject", limit=3))
rules = (at_least_one_answered("r", 4, ("a", "b"), "a-rule-code", "desc"),)
"""
    assert codes_in_source(ast.parse(source)) == {
        "a-parser-code",
        "one-code",
        "another-code",
        "a-rejection",
        "a-local-reject",
        "a-rule-code",
    }


@pytest.mark.parametrize("code", ALL_CODES)
def test_every_code_in_the_source_has_a_sentence(code: str) -> None:
    assert code in rejection_texts().by_code, f"add {code} to templates/reasons.toml"


def test_the_scan_finds_reasons_screening_and_token_codes() -> None:
    assert {"documents-added", "nesting-too-deep", "auto-submitted", "token-expired"} <= set(
        ALL_CODES
    )
    assert {"missing", "malformed", "bad-signature", "expired", "wrong-form"} <= token_verdicts()


@pytest.mark.parametrize(
    "outcome", [*(o.value for o in ReadOutcome if o.value != "ok"), NOT_OUR_FORM]
)
def test_every_unreadable_pdf_outcome_has_its_own_sentence(outcome: str) -> None:
    assert outcome in rejection_texts().by_unreadable_outcome
    params = {"file": "EP-advice-Gruffydd-Nowak-Pryce.pdf", "position": 2, "outcome": outcome}
    sentence = describe(Rejection("pdf-unreadable", None, None, params))
    # By its place in the email: a file name is the sender's words and may name the child.
    assert "Attachment 2 " in sentence and "Gruffydd" not in sentence


def test_no_sentence_for_a_person_quotes_what_a_check_measured() -> None:
    # `detail` is the technical finding ("nested 12 deep, limit 10"): it stays on the row.
    texts = rejection_texts()
    for sentence in [*texts.by_code.values(), *texts.by_unreadable_outcome.values()]:
        assert "{detail}" not in sentence, sentence


def _all_sentences() -> list[str]:
    texts = rejection_texts()
    return [*texts.by_code.values(), *texts.by_rule.values(), texts.unknown]


@pytest.mark.parametrize("sentence", _all_sentences())
def test_sentences_use_only_known_placeholders(sentence: str) -> None:
    used = {name for _, name, _, _ in string.Formatter().parse(sentence) if name is not None}
    assert used <= KNOWN_PLACEHOLDERS, used - KNOWN_PLACEHOLDERS


# A small form with a repeating group, so that labels of rows and groups can be checked.
SAMPLE_FORM = FormDefinition(
    kind="sample",
    version=1,
    title="Sample",
    intro="",
    steps=(
        step(
            1,
            "One",
            "",
            Field("referrer_name", "Your full name", FieldType.TEXT, required=True),
            Field("signed_name", "Signed name", FieldType.TEXT),
            Group("documents", "Documents", (Field("file", "File name", FieldType.FILE),), rows=3),
        ),
    ),
)

SAMPLE_PARAMS = {
    "limit": 4000,
    "length": 4001,
    "minimum": 2,
    "maximum": 25,
    "decimals": 1,
    "count": 2,
    "months": 6,
    "age": 31,
    "row": 2,
    "value": "Wizard",
    "file": "ep-report.pdf",
    "reference": "EHC-2026-000123",
    "detail": "it is encrypted with a password",
    "other": "referrer_name",
    "fields": ["referrer_name", "signed_name"],
    "area": "SEMH",
    "organisation_type": "NHS service",
    "rule": "role-other-required",
    "outcome": "Outcome 1",
}


@pytest.mark.parametrize("code", sorted(set(ALL_CODES) | set(rejection_texts().by_code)))
def test_describe_fills_every_placeholder(code: str) -> None:
    for field in ("signed_name", "documents[2].file", "documents", None):
        sentence = describe(Rejection(code, 1, field, SAMPLE_PARAMS), SAMPLE_FORM)
        assert "{" not in sentence and "}" not in sentence, sentence
        assert sentence.endswith(".") and sentence.lstrip("“")[0].isupper(), sentence
        # Only the general sentence for an unknown code shows the code itself.
        assert "reference:" not in sentence, sentence


@pytest.mark.parametrize("rule", sorted(rejection_texts().by_rule))
def test_required_because_uses_the_rules_own_sentence(rule: str) -> None:
    specific = describe(
        Rejection("required-because", 1, "signed_name", {"rule": rule}), SAMPLE_FORM
    )
    general = describe(
        Rejection("required-because", 1, "signed_name", {"rule": "unheard-of"}), SAMPLE_FORM
    )
    assert specific != general
    assert "“Signed name”" in specific and "“Signed name”" in general


def test_every_required_if_rule_has_its_own_sentence_and_every_sentence_a_rule() -> None:
    required_if: set[str] = set()
    literals: set[str] = set()
    for tree in _parsed_sources():
        found_required_if, found_literals = rule_names_in_source(tree)
        required_if |= found_required_if
        literals |= found_literals
    assert "role-other-required" in required_if  # the scan works
    sentences = set(rejection_texts().by_rule)
    assert required_if <= sentences, f"add to [because]: {sorted(required_if - sentences)}"
    assert sentences <= literals, f"[because] names no such rule: {sorted(sentences - literals)}"


def test_label_of_a_field() -> None:
    sentence = describe(Rejection("required", 1, "name"), REGISTRATION)
    assert sentence == "Please answer “Your full name”: it is required."


def test_label_of_a_row_field_names_its_group_and_row() -> None:
    assert question_label("documents[2].file", SAMPLE_FORM) == "Documents, row 2: File name"
    sentence = describe(Rejection("file-type-not-allowed", 1, "documents[2].file"), SAMPLE_FORM)
    assert "“Documents, row 2: File name”" in sentence


def test_label_without_a_form_is_the_name_in_words() -> None:
    assert question_label("work_phone") == "Work phone"
    assert question_label("documents[3].file") == "Documents, row 3: File"
    assert "“Work phone”" in describe(Rejection("phone-invalid", 1, "work_phone"))


def test_other_names_the_other_question_by_its_label() -> None:
    rejection = Rejection("name-mismatch", 1, "signed_name", {"other": "referrer_name"})
    assert describe(rejection, SAMPLE_FORM) == (
        "The name in “Signed name” does not match “Your full name”; please sign with the same name."
    )


def test_numbers_read_naturally() -> None:
    too_long = describe(Rejection("too-long", 1, "signed_name", {"limit": 4000, "length": 4001}))
    assert "4,001" in too_long and "4,000" in too_long
    year = describe(Rejection("year-in-future", 5, "x", {"row": 1, "maximum": 2025}))
    assert "2025" in year and "2,025" not in year
    in_range = describe(
        Rejection("number-out-of-range", 1, "x", {"minimum": 0.0, "maximum": 100.0})
    )
    assert "between 0 and 100" in in_range


def test_one_sided_range_does_not_say_between() -> None:
    at_most = describe(Rejection("number-out-of-range", 1, "x", {"minimum": None, "maximum": 99}))
    at_least = describe(Rejection("number-out-of-range", 1, "x", {"minimum": 1, "maximum": None}))
    assert "between" not in at_most and "99" in at_most
    assert "between" not in at_least and "1" in at_least


def test_needs_without_a_minimum_length_do_not_mention_one() -> None:
    params = {"fields": ["a", "b"], "minimum": 1}
    assert "characters" not in describe(Rejection("needs-not-described", 5, "a", params))
    params = {"fields": ["a", "b"], "minimum": 50}
    assert "50 characters" in describe(Rejection("needs-not-described", 4, "a", params))


def test_a_long_typed_value_is_shortened() -> None:
    sentence = describe(Rejection("not-a-choice", 1, "role", {"value": "x" * 500}), REGISTRATION)
    assert len(sentence) < 200 and "…" in sentence


def test_unknown_code_gives_a_general_sentence_with_the_code() -> None:
    sentence = describe(Rejection("no-such-code", 1, "name", {"whatever": 1}), REGISTRATION)
    assert "no-such-code" in sentence and "“Your full name”" in sentence
    assert "{" not in sentence


def test_missing_placeholders_do_not_raise() -> None:
    sentence = describe(Rejection("too-long", 1, "name"), REGISTRATION)
    assert "{" not in sentence and "“Your full name”" in sentence


def test_problem_with_the_whole_form() -> None:
    sentence = describe(Rejection("no-such-code"))
    assert "the form" in sentence and "{" not in sentence


def test_unknown_field_name_does_not_raise() -> None:
    assert "“Not a field”" in describe(Rejection("required", 1, "not_a_field"), REGISTRATION)
