"""The value parsers: each with values a professional might type, valid and not.

Check digits and letters are tested against numbers worked out by hand from the published rules
(forms.md section 6), and, when python-stdnum is installed, against its independent implementation.
"""

from __future__ import annotations

import random
from datetime import date

import pytest

from documents import validators as v

# --- dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14/03/2025", date(2025, 3, 14)),
        ("4/3/2025", date(2025, 3, 4)),
        ("04.03.2025", date(2025, 3, 4)),
        (" 04-03-2025 ", date(2025, 3, 4)),
        ("2025-03-04", date(2025, 3, 4)),
        ("29/02/2024", date(2024, 2, 29)),
        ("31/12/1999", date(1999, 12, 31)),
    ],
)
def test_parse_date_accepts(text: str, expected: date) -> None:
    assert v.parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "31/02/2024",
        "29/02/2023",
        "32/01/2024",
        "01/13/2024",
        "00/01/2024",
        "12/02/24",
        "2024-13-01",
        "tomorrow",
        "",
        "   ",
        # Arabic-Indic digits: int() would read them, but no PDF of ours asks for them.
        "\u0661\u0662/\u0660\u0662/\u0662\u0660\u0662\u0664",
    ],
)
def test_parse_date_refuses(text: str) -> None:
    assert v.parse_date(text) is None


def test_format_date_is_day_first_with_leading_zeros() -> None:
    assert v.format_date("2024-02-09") == "09/02/2024"


# --- email ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jo.bloggs@leicester.gov.uk", "jo.bloggs@leicester.gov.uk"),
        (" senco@Glanwy.Sch.UK ", "senco@glanwy.sch.uk"),
        ("a.b-c+send@nhs.net", "a.b-c+send@nhs.net"),
    ],
)
def test_normalise_email_accepts(text: str, expected: str) -> None:
    assert v.normalise_email(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "jo.bloggs",
        "jo@",
        "@leicester.gov.uk",
        "jo bloggs@x.org",
        "jo@@x.org",
        "Jo <jo@x.org>",
        "jo@localhost",
        "",
    ],
)
def test_normalise_email_refuses(text: str) -> None:
    assert v.normalise_email(text) is None


# --- phone ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0116 454 1000", "+441164541000"),
        ("01164541000", "+441164541000"),
        ("+44 116 454 1000", "+441164541000"),
        ("+44 (0)116 454 1000", "+441164541000"),
        ("(0116) 454-1000", "+441164541000"),
        ("020 7946 0958", "+442079460958"),
        ("0044 20 7946 0958", "+442079460958"),
        ("07911 123456", "+447911123456"),
        ("+447911123456", "+447911123456"),
        ("0116\u00a0454\t1000", "+441164541000"),
    ],
)
def test_normalise_phone_accepts_uk_numbers(text: str, expected: str) -> None:
    assert v.normalise_phone(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "0116 454",  # too short
        "07911 12345",  # a mobile one digit short
        "0116 454 10000 1",  # too long
        "O116 454 1OOO",  # letter O for zero: the parser would read it as a keypad word
        "call 0116 454 1000",
        "+1 202 555 0123",  # a valid US number, but not a UK one
        "+1 650 253 0000",
        "999",
        "",
    ],
)
def test_normalise_phone_refuses(text: str) -> None:
    assert v.normalise_phone(text) is None


# --- postcode ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("M1 1AE", "M1 1AE"),  # A9
        ("B33 8TH", "B33 8TH"),  # A99
        ("W1A 0AX", "W1A 0AX"),  # A9A
        ("CR2 6XH", "CR2 6XH"),  # AA9
        ("DN55 1PT", "DN55 1PT"),  # AA99
        ("EC1A 1BB", "EC1A 1BB"),  # AA9A
        ("le1 6zg", "LE1 6ZG"),
        ("LE16ZG", "LE1 6ZG"),
        ("  sw1a1aa ", "SW1A 1AA"),
        ("m11ae", "M1 1AE"),
    ],
)
def test_normalise_postcode_accepts(text: str, expected: str) -> None:
    assert v.normalise_postcode(text) == expected


@pytest.mark.parametrize("letter", list("CIKMOV"))
def test_normalise_postcode_refuses_letters_never_used_in_the_inward_code(letter: str) -> None:
    assert v.normalise_postcode(f"LE1 6{letter}G") is None
    assert v.normalise_postcode(f"LE1 6Z{letter}") is None


@pytest.mark.parametrize(
    "text",
    [
        "LE1",
        "6ZG",
        "1LE 6ZG",
        "LEE1 6ZG",
        "L1A1 6ZG",
        "LE1 66G",
        "LE1 6Z",
        "LE1 6ZGG",
        "LE1-6ZG",
        "",
        "SW1A 1AA 1AA",
    ],
)
def test_normalise_postcode_refuses_wrong_shapes(text: str) -> None:
    assert v.normalise_postcode(text) is None


# --- NHS number ----------------------------------------------------------------------------------

# Each worked by hand: digits 1-9 weighted 10 down to 2, 11 - (sum mod 11), 11 meaning 0.
VALID_NHS_NUMBERS = ["9434765919", "4010232137", "9990000018", "6541238790", "9876543210"]


@pytest.mark.parametrize("number", VALID_NHS_NUMBERS)
def test_normalise_nhs_number_accepts_valid_check_digits(number: str) -> None:
    assert v.normalise_nhs_number(number) == number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("943 476 5919", "9434765919"),
        ("943-476-5919", "9434765919"),
        (" 9434765919 ", "9434765919"),
    ],
)
def test_normalise_nhs_number_ignores_spaces_and_dashes(text: str, expected: str) -> None:
    assert v.normalise_nhs_number(text) == expected


def test_worked_example_of_the_nhs_check_digit() -> None:
    # 9434765919: 9*10+4*9+3*8+4*7+7*6+6*5+5*4+9*3+1*2 = 299; 299 mod 11 = 2; 11 - 2 = 9.
    assert sum(int(d) * w for d, w in zip("943476591", range(10, 1, -1), strict=True)) == 299
    assert v.normalise_nhs_number("9434765919") == "9434765919"


@pytest.mark.parametrize("last", "0123456789")
def test_nhs_number_whose_check_digit_would_be_10_is_never_valid(last: str) -> None:
    # 123456789: sum 210, 210 mod 11 = 1, 11 - 1 = 10: no digit can stand for it.
    assert v.normalise_nhs_number("123456789" + last) is None


@pytest.mark.parametrize(
    "text",
    [
        "9434765918",
        "9434765910",
        "943476591",
        "94347659190",
        "943476591X",
        "",
        "nine",
        "\u0669\u0664\u0663\u0664\u0667\u0666\u0665\u0669\u0661\u0669",
    ],
)
def test_normalise_nhs_number_refuses(text: str) -> None:
    assert v.normalise_nhs_number(text) is None


def test_nhs_numbers_agree_with_python_stdnum() -> None:
    nhs = pytest.importorskip("stdnum.gb.nhs")
    rng = random.Random(20250314)
    for _ in range(2000):
        number = "".join(rng.choice("0123456789") for _ in range(10))
        assert (v.normalise_nhs_number(number) is not None) == nhs.is_valid(number), number


# --- UPN -----------------------------------------------------------------------------------------

# Worked by hand from the DfE rule: characters 2-13 weighted by their position 2..13 (a final letter
# by its letter value, A=0 ... Z=22 without I, O, S), sum mod 23 is the check letter's value.
# B801200005001 is python-stdnum's documented example.
VALID_UPNS = [
    "B801200005001",
    "K20112341500Z",  # temporary: ends in a letter
    "M80120000500A",  # temporary
    "U93812345601T",  # temporary, an LA number outside any 2011 list would be fine too
    "L30100000000A",
]


def test_worked_example_of_the_upn_check_letter() -> None:
    # 8*2 + 0*3 + 1*4 + 2*5 + 0*6 + 0*7 + 0*8 + 0*9 + 5*10 + 0*11 + 0*12 + 1*13 = 93;
    # 93 mod 23 = 1, and letter 1 is B.
    weighted = sum(int(c) * p for p, c in enumerate("801200005001", start=2))
    assert weighted == 93 and weighted % 23 == 1
    assert v.upn_check_letter("801200005001") == "B"
    # A final letter counts by its value: A=0, so the sum drops by 1*13 and 93 - 13 = 80;
    # 80 mod 23 = 11, letter 11 is M (I is skipped).
    assert v.upn_check_letter("80120000500A") == "M"


@pytest.mark.parametrize("upn", VALID_UPNS)
def test_normalise_upn_accepts(upn: str) -> None:
    assert v.normalise_upn(upn) == upn
    assert v.upn_check_letter(upn[1:]) == upn[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("b801200005001", "B801200005001"),
        (" B801 2000 05001 ", "B801200005001"),
        ("m80120000500a", "M80120000500A"),
    ],
)
def test_normalise_upn_upper_cases_and_drops_spaces(text: str, expected: str) -> None:
    assert v.normalise_upn(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "A801200005001",  # wrong check letter
        "C801200005001",
        "N80120000500A",  # temporary with the wrong check letter
        "I801200005001",  # I, O and S are never used
        "O801200005001",
        "S801200005001",
        "B80120000500I",
        "B80120000500O",
        "B80120000500S",
        "X80120000A001",  # a letter in the middle
        "B80120000500",  # 12 characters
        "B8012000050011",  # 14 characters
        "1801200005001",  # no check letter
        "",
    ],
)
def test_normalise_upn_refuses(text: str) -> None:
    assert v.normalise_upn(text) is None


def test_every_wrong_check_letter_is_refused() -> None:
    for letter in "ABCDEFGHJKLMNPQRTUVWXYZ":
        expected = v.normalise_upn(letter + "801200005001")
        assert (expected is not None) == (letter == "B"), letter


def test_upns_agree_with_python_stdnum() -> None:
    upn = pytest.importorskip("stdnum.gb.upn")
    letters = "ABCDEFGHJKLMNPQRTUVWXYZ"
    rng = random.Random(20250314)
    # stdnum also refuses LA numbers missing from its 2011 list; 801 (Bristol) is on it.
    for _ in range(2000):
        last = rng.choice("0123456789" + letters)
        body = "801" + "".join(rng.choice("0123456789") for _ in range(8)) + last
        candidate = rng.choice(letters) + body
        assert (v.normalise_upn(candidate) is not None) == upn.is_valid(candidate), candidate
        assert v.upn_check_letter(body) == upn.calc_check_digit(body)


# --- numbers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "decimals", "expected"),
    [
        ("12", 0, 12),
        (" 0 ", 0, 0),
        ("-3", 0, -3),
        ("1,000", 0, 1000),
        ("97.5", 1, 97.5),
        ("97", 1, 97.0),
        ("3.14", 2, 3.14),
        ("3.1", 2, 3.1),
        ("12,345.6", 1, 12345.6),
    ],
)
def test_parse_number_accepts(text: str, decimals: int, expected: float) -> None:
    result = v.parse_number(text, decimals)
    assert result == expected
    assert isinstance(result, int if decimals == 0 else float)


@pytest.mark.parametrize(
    ("text", "decimals"),
    [
        ("3.5", 0),
        ("97.55", 1),
        ("1,5", 1),  # a decimal comma would otherwise read as fifteen
        ("1,00", 0),
        ("97.", 1),
        (".5", 1),
        ("1e3", 0),
        ("twelve", 0),
        ("", 0),
        ("\u0663", 0),
    ],
)
def test_parse_number_refuses(text: str, decimals: int) -> None:
    assert v.parse_number(text, decimals) is None


# --- file extensions -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "report.pdf",
        "Report.PDF",
        "scan.jpeg",
        "scan.jpg",
        "photo.png",
        "plan v2.final.docx",
        "old.doc",
        "notes.odt",
    ],
)
def test_file_extension_allowed(name: str) -> None:
    assert v.file_extension_allowed(name)


@pytest.mark.parametrize(
    "name", ["report.exe", "report", "report.pdf.exe", "report.", ".pdf", "archive.zip", ""]
)
def test_file_extension_refused(name: str) -> None:
    assert not v.file_extension_allowed(name)
