"""Signed form tokens: what goes in comes out, and nothing altered, expired or forged verifies."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from documents.tokens import (
    DEFAULT_LIFETIME,
    TOKEN_LENGTH,
    issue_token,
    verify_token,
)

KEY = b"ehcp-intake test key, never used outside tests"
ISSUED = date(2025, 3, 14)
BASE32 = "abcdefghijklmnopqrstuvwxyz234567"


@pytest.fixture(scope="module")
def token() -> str:
    return issue_token(KEY, "advice", 4242, 987654, today=ISSUED)


def test_round_trip(token: str) -> None:
    check = verify_token(KEY, token, today=ISSUED)
    assert check.valid and check.reason is None
    assert (check.kind, check.professional_id, check.subject_id) == ("advice", 4242, 987654)
    assert check.expires == ISSUED + DEFAULT_LIFETIME
    assert not check.specimen
    assert check.as_dict()["expires"] == (ISSUED + DEFAULT_LIFETIME).isoformat()


@pytest.mark.parametrize("kind", ["request", "advice", "registration"])
def test_every_kind_round_trips(kind: str) -> None:
    assert verify_token(KEY, issue_token(KEY, kind, 1, 2, today=ISSUED), today=ISSUED).kind == kind


def test_largest_ids_round_trip() -> None:
    check = verify_token(
        KEY, issue_token(KEY, "request", 2**32 - 1, 2**32 - 1, today=ISSUED), today=ISSUED
    )
    assert (check.professional_id, check.subject_id) == (2**32 - 1, 2**32 - 1)


def test_specimen_is_valid_but_issued_to_nobody() -> None:
    check = verify_token(KEY, issue_token(KEY, "request", today=ISSUED), today=ISSUED)
    assert check.valid and check.specimen and check.professional_id == 0
    assert check.as_dict()["specimen"] is True


def test_every_single_character_change_is_refused(token: str) -> None:
    for position in range(len(token)):
        for replacement in BASE32:
            if replacement == token[position]:
                continue
            tampered = token[:position] + replacement + token[position + 1 :]
            check = verify_token(KEY, tampered, today=ISSUED)
            assert not check.valid, (position, replacement)
            assert check.reason in ("bad-signature", "malformed")


def test_wrong_key_is_refused(token: str) -> None:
    check = verify_token(b"another council's key", token, today=ISSUED)
    assert (check.valid, check.reason) == (False, "bad-signature")
    assert check.professional_id is None


def test_valid_on_its_last_day_and_expired_the_day_after(token: str) -> None:
    last_day = ISSUED + DEFAULT_LIFETIME
    assert verify_token(KEY, token, today=last_day - timedelta(days=1)).valid
    assert verify_token(KEY, token, today=last_day).valid
    expired = verify_token(KEY, token, today=last_day + timedelta(days=1))
    assert (expired.valid, expired.reason) == (False, "expired")
    # Who it was for is still told, so the reply can offer a fresh form.
    assert expired.professional_id == 4242


def test_lifetime_is_honoured() -> None:
    short = issue_token(KEY, "request", 1, 1, today=ISSUED, lifetime=timedelta(days=7))
    assert verify_token(KEY, short, today=ISSUED + timedelta(days=7)).valid
    assert not verify_token(KEY, short, today=ISSUED + timedelta(days=8)).valid


@pytest.mark.parametrize("cut", [1, 8])
def test_wrong_length_is_malformed(token: str, cut: int) -> None:
    assert verify_token(KEY, token[:-cut], today=ISSUED).reason == "malformed"
    assert verify_token(KEY, token + "a" * cut, today=ISSUED).reason == "malformed"


@pytest.mark.parametrize(
    ("garbage", "reason"),
    [
        (None, "missing"),
        ("", "missing"),
        ("   ", "missing"),
        ("not a token", "malformed"),
        ("!" * TOKEN_LENGTH, "malformed"),
        ("0" * TOKEN_LENGTH, "malformed"),  # 0, 1, 8 and 9 are not base32
        ("\u00e9" * TOKEN_LENGTH, "malformed"),
        ("a" * TOKEN_LENGTH, "bad-signature"),
    ],
)
def test_garbage_is_refused_without_raising(garbage: str | None, reason: str) -> None:
    check = verify_token(KEY, garbage, today=ISSUED)
    assert (check.valid, check.reason) == (False, reason)


def test_upper_case_and_surrounding_space_still_verify(token: str) -> None:
    # Some mail systems change the case of an address's local part.
    assert verify_token(KEY, token.upper(), today=ISSUED).valid
    assert verify_token(KEY, f"  {token.title()}\n", today=ISSUED).valid


def test_token_fits_a_plus_address_local_part(token: str) -> None:
    # RFC 5321 allows 64 characters in a local part; "intake+" takes 7.
    assert len(token) == TOKEN_LENGTH <= 57
    assert len(f"intake+{token}") <= 64
    assert set(token) <= set(BASE32)


def test_tokens_differ_by_professional_and_subject() -> None:
    tokens = {issue_token(KEY, "request", p, s, today=ISSUED) for p in (1, 2) for s in (1, 2)}
    assert len(tokens) == 4


def test_each_form_issued_gets_its_own_token() -> None:
    # The same professional, kind, subject and day: still one token per form issued.
    tokens = {issue_token(KEY, "request", 7, 0, today=ISSUED) for _ in range(50)}
    assert len(tokens) == 50
    for token in tokens:
        check = verify_token(KEY, token, today=ISSUED)
        assert (check.valid, check.kind, check.professional_id) == (True, "request", 7)


def test_a_token_issued_before_nonces_still_verifies() -> None:
    # A version 1 token (no nonce), as forms sent before carry: 36 characters.
    legacy = "aeaqaaaaaeaaaaafbapv73qy3lk7tdsrsfsa"
    assert len(legacy) == 36
    check = verify_token(b"legacy key", legacy, today=date(2025, 3, 14))
    assert (check.valid, check.kind, check.professional_id, check.subject_id) == (
        True,
        "request",
        1,
        5,
    )
