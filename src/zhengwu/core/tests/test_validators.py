"""Check characters of national identifiers (standards §6)."""

import datetime

from django.core.exceptions import ValidationError

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhengwu.core.validators import (
    ID_CHECK,
    ID_WEIGHTS,
    USCC_ALPHABET,
    USCC_WEIGHTS,
    is_valid_id_number,
    is_valid_uscc,
    org_code_check_character,
    uscc_check_character,
    validate_id_number,
    validate_uscc,
)

# --- unified social credit code (GB 32100) -------------------------------------


def test_uscc_weights_are_powers_of_three_mod_31():
    # given the standard's rule for the weights
    expected = tuple(pow(3, position, 31) for position in range(17))

    # then the table in the code is that rule
    assert expected == USCC_WEIGHTS


def test_uscc_standard_vector_is_valid():
    # given the worked example of standards §6.2 (Σ = 600, 600 mod 31 = 11 → "L")
    code = "11430000006122244L"

    # then its check characters are right at both levels
    assert uscc_check_character(code[:17]) == "L"
    assert org_code_check_character(code[8:16]) == "4"
    assert is_valid_uscc(code)


@pytest.mark.parametrize(
    "code",
    [
        "N22101003743164EXW",  # 农业: 村级集体经济组织
        "A12101003262730F18",  # 中央军委改革和编制办公室
        "Y12101002984584C99",  # 其他
        "512101005480837B2X",  # 民政, check character X
    ],
)
def test_uscc_registration_authorities_n_a_y_are_valid(code):
    # when checked (python-stdnum rejects these: standards §6.2 pitfalls)
    valid = is_valid_uscc(code)

    # then
    assert valid
    validate_uscc(code)


def test_uscc_sum_divisible_by_31_gives_check_zero():
    # given 1·1 + 2·3 + 2·9 + 1·27 + 9·30 + 4·28 = 434 = 14 · 31
    first17 = "12210000000000094"

    # when
    check = uscc_check_character(first17)

    # then 31 − 0 = 31 becomes "0", not an empty string
    assert check == "0"
    assert is_valid_uscc(first17 + "0")


@pytest.mark.parametrize(
    "code",
    [
        "11430000006122244M",  # wrong check character
        "11430000006122244l",  # lower case
        "1143000000612224L",  # 17 characters
        "11430000006122244LL",  # 19 characters
        "I1430000006122244L",  # I is not in the alphabet
        "1143000O006122244L",  # letter in the division code
        "",
    ],
)
def test_uscc_invalid_codes_are_rejected(code):
    # then
    assert not is_valid_uscc(code)
    with pytest.raises(ValidationError) as error:
        validate_uscc(code)
    assert error.value.code == "invalid_uscc"


def test_uscc_with_a_wrong_organisation_code_check_is_rejected():
    # given position 17 wrong (GB 11714 gives "4" for 00612224) but position 18
    # recomputed, so only the organisation-code check can catch it (standards §6.2)
    first17 = "11430000006122245"
    code = first17 + uscc_check_character(first17)
    # then
    assert org_code_check_character(code[8:16]) == "4"
    assert not is_valid_uscc(code)
    with pytest.raises(ValidationError):
        validate_uscc(code)


def test_uscc_non_string_is_rejected():
    assert not is_valid_uscc(None)  # type: ignore[arg-type]
    assert not is_valid_uscc(11430000006122244)  # type: ignore[arg-type]


# --- organisation code (GB 11714) -----------------------------------------------


@pytest.mark.parametrize(
    ("first8", "check"),
    [
        ("00612224", "4"),  # standards §6.2: 106 mod 11 = 7 → 4
        ("00000006", "X"),  # 6·2 = 12, 12 mod 11 = 1, 11 − 1 = 10 → X
        ("00000000", "0"),  # 0 mod 11 = 0, 11 − 0 = 11 → 0 (not "11")
        ("0000000A", "2"),  # A = 10: 10·2 = 20, 20 mod 11 = 9 → 2
    ],
)
def test_org_code_check_character_edges(first8, check):
    assert org_code_check_character(first8) == check


# --- citizen ID number (GB 11643) -----------------------------------------------


def test_id_number_standard_vector_is_valid():
    # given the worked example of standards §6.1: Σ = 167, 167 mod 11 = 2 → X
    number = "11010519491231002X"

    # then
    assert is_valid_id_number(number)
    validate_id_number(number)


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("11010519491231002x", "lower-case x"),
        ("110105194912310021", "wrong check character"),
        ("110105194902300027", "30 February"),
        ("110105194913010023", "month 13"),
        ("110105189912310020", "born before 1900"),
        ("11010519491231002", "17 characters"),
        ("1101051949123100X2", "X not last"),
        ("", "empty"),
    ],
)
def test_id_number_invalid_is_rejected(number, reason):
    assert not is_valid_id_number(number), reason
    with pytest.raises(ValidationError):
        validate_id_number(number)


def _with_id_check(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return first17 + ID_CHECK[total % 11]


def test_id_number_birth_date_in_the_future_is_rejected():
    # given a person "born" tomorrow
    today = datetime.date(2026, 11, 27)
    number = _with_id_check("21010220261128001")

    # then it is invalid today and valid once that day has come
    assert not is_valid_id_number(number, today=today)
    assert is_valid_id_number(number, today=datetime.date(2026, 11, 28))


def test_id_number_born_today_is_valid():
    today = datetime.date(2026, 11, 27)
    assert is_valid_id_number(_with_id_check("21010220261127001"), today=today)


def test_id_number_revoked_address_code_is_still_valid():
    # given an address code in no division list: revoked codes stay valid, so the
    # address is never checked against today's divisions (standards §6.1)
    number = _with_id_check("99999919800101001")

    # then only the format, date and check character count
    assert is_valid_id_number(number)


# --- property: every single-character corruption is detected --------------------

_uscc_char = st.sampled_from(USCC_ALPHABET)
_org_char = st.sampled_from("0123456789ABCDEFGHJKLMNPQRTUWXY")


@st.composite
def valid_usccs(draw) -> str:
    authority = draw(_uscc_char)
    category = draw(_uscc_char)
    division = draw(st.text("0123456789", min_size=6, max_size=6))
    org8 = draw(st.text(_org_char, min_size=8, max_size=8))
    first17 = authority + category + division + org8 + org_code_check_character(org8)
    return first17 + uscc_check_character(first17)


@given(code=valid_usccs())
def test_generated_usccs_are_valid(code):
    assert is_valid_uscc(code)


@given(code=valid_usccs(), position=st.integers(0, 17), replacement=_uscc_char)
def test_uscc_single_character_corruption_is_detected(code, position, replacement):
    # given a valid code with one character replaced by another
    if code[position] == replacement:
        replacement = USCC_ALPHABET[(USCC_ALPHABET.index(replacement) + 1) % 31]
    corrupted = code[:position] + replacement + code[position + 1 :]

    # then the check character catches it (weights are non-zero mod the prime 31)
    assert not is_valid_uscc(corrupted)


@st.composite
def valid_id_numbers(draw) -> str:
    address = draw(st.text("0123456789", min_size=6, max_size=6))
    born = draw(
        st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date.today())
    )
    sequence = draw(st.integers(0, 999))
    return _with_id_check(f"{address}{born:%Y%m%d}{sequence:03d}")


@given(number=valid_id_numbers())
def test_generated_id_numbers_are_valid(number):
    assert is_valid_id_number(number)


@given(
    number=valid_id_numbers(),
    position=st.integers(0, 17),
    replacement=st.sampled_from("0123456789X"),
)
def test_id_number_single_character_corruption_is_detected(
    number, position, replacement
):
    # given a valid number with one character replaced by another of its alphabet
    alphabet = "0123456789X" if position == 17 else "0123456789"
    if replacement not in alphabet or replacement == number[position]:
        replacement = next(ch for ch in alphabet if ch != number[position])
    corrupted = number[:position] + replacement + number[position + 1 :]

    # then MOD 11-2 catches it
    assert not is_valid_id_number(corrupted)
