"""Parsers for the identifier and value types on our forms.

Each takes the text a professional typed and returns the canonical value, or None when the text
is not a valid value of that type. Canonical values are what we store and what `forms example`
shows: ISO dates, E.164 phone numbers, upper-case postcodes with one space, bare digits.
"""

from __future__ import annotations

import re
from datetime import date

import phonenumbers
from email_validator import EmailNotValidError, validate_email

# dd/mm/yyyy as the PDF asks; d/m/yyyy, dots, dashes and ISO yyyy-mm-dd are forgiven.
# [0-9], not \d: \d also matches other scripts' digits, which int() would quietly accept.
_DMY = re.compile(r"([0-9]{1,2})\s*[/.\-]\s*([0-9]{1,2})\s*[/.\-]\s*([0-9]{4})")
_ISO = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


def parse_date(text: str) -> date | None:
    text = text.strip()
    if m := _DMY.fullmatch(text):
        day, month, year = (int(g) for g in m.groups())
    elif m := _ISO.fullmatch(text):
        year, month, day = (int(g) for g in m.groups())
    else:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def format_date(iso: str) -> str:
    """An ISO date as the PDF shows it (dd/mm/yyyy)."""
    d = date.fromisoformat(iso)
    return f"{d.day:02d}/{d.month:02d}/{d.year:04d}"


def normalise_email(text: str) -> str | None:
    try:
        # No DNS look-up: a syntax check, and the domain part lower-cased.
        result = validate_email(text.strip(), check_deliverability=False)
    except EmailNotValidError:
        return None
    return result.normalized


# Digits and the punctuation people write numbers with; letters are refused because the parser
# would otherwise read them as a keypad word ("O116" becomes 6116).
_PHONE_CHARACTERS = re.compile(r"\+?[0-9\s()\-.]+")
UK_COUNTRY_CODE = 44


def normalise_phone(text: str) -> str | None:
    """A UK phone number (0 or +44 forms) as E.164, or None."""
    # The parser stumbles on tabs and line breaks that a pasted number may carry.
    text = " ".join(text.split())
    if not _PHONE_CHARACTERS.fullmatch(text):
        return None
    try:
        number = phonenumbers.parse(text, "GB")
    except phonenumbers.NumberParseException:
        return None
    # +44 includes the Crown Dependencies (Jersey, Guernsey, Isle of Man), whose numbers we take.
    if number.country_code != UK_COUNTRY_CODE or not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# Outward code shapes A9, A99, A9A, AA9, AA99, AA9A; inward code a digit and two letters, never
# C, I, K, M, O or V (BS 7666).
_POSTCODE = re.compile(r"([A-Z]{1,2}[0-9][0-9A-Z]?)\s*([0-9][ABD-HJLNP-UW-Z]{2})")


def normalise_postcode(text: str) -> str | None:
    m = _POSTCODE.fullmatch(text.strip().upper())
    if not m:
        return None
    outward, inward = m.groups()
    return f"{outward} {inward}"


def normalise_nhs_number(text: str) -> str | None:
    """Ten digits with a valid modulus-11 check digit, spaces and dashes ignored."""
    digits = re.sub(r"[\s\-]", "", text)
    if not re.fullmatch(r"[0-9]{10}", digits):
        return None
    total = sum(int(d) * weight for d, weight in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    if check == 10 or check != int(digits[9]):
        return None
    return digits


# UPN letters: A-Z without I, O and S; A=0 ... Z=22.
_UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
_UPN = re.compile(rf"[{_UPN_LETTERS}][0-9]{{11}}[0-9{_UPN_LETTERS}]")


def normalise_upn(text: str) -> str | None:
    """A 13-character UPN (or temporary UPN ending in a letter) whose check letter is right.

    Only the checksum is judged: LA numbers issued since 2011 must not be refused for want of
    a current list.
    """
    upn = re.sub(r"\s", "", text).upper()
    if not _UPN.fullmatch(upn):
        return None
    total = 0
    for position, char in enumerate(upn[1:], start=2):
        value = int(char) if char.isdigit() else _UPN_LETTERS.index(char)
        total += value * position
    if _UPN_LETTERS[total % 23] != upn[0]:
        return None
    return upn


def upn_check_letter(body: str) -> str:
    """The check letter for the 12 characters after it (used to build examples and tests)."""
    total = 0
    for position, char in enumerate(body, start=2):
        total += (int(char) if char.isdigit() else _UPN_LETTERS.index(char)) * position
    return _UPN_LETTERS[total % 23]


# Commas only as thousands separators: "1,5" is a decimal comma, not fifteen.
_WHOLE = r"-?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)"


def parse_number(text: str, decimals: int = 0) -> float | int | None:
    """A number with at most `decimals` places: int when 0, else float; None if not one."""
    text = text.strip()
    fraction = rf"(?:\.[0-9]{{1,{decimals}}})?" if decimals > 0 else ""
    if not re.fullmatch(_WHOLE + fraction, text):
        return None
    text = text.replace(",", "")
    return int(text) if decimals == 0 else float(text)


ALLOWED_FILE_EXTENSIONS = frozenset({"pdf", "docx", "doc", "odt", "jpg", "jpeg", "png"})


def file_extension_allowed(name: str) -> bool:
    """True when `name` has a name before an allowed extension (".pdf" alone is no file name)."""
    stem, dot, ext = name.strip().rpartition(".")
    return bool(dot and stem.strip()) and ext.lower() in ALLOWED_FILE_EXTENSIONS
