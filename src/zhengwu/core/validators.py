"""Check characters of national identifiers, written here because the common packages
reject valid codes (standards §6). Each ``is_valid_*`` returns a bool; each
``validate_*`` raises ValidationError with a Chinese message for forms and models."""

import datetime
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
# ASCII only, to the very end: Python's \d also matches full-width and other digits,
# and $ matches before a final newline.
_USCC_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}\Z")
_ID_RE = re.compile(r"^[0-9]{17}[0-9X]\Z")


def normalise_code(value: str | None) -> str:
    """A typed identifier (ID number, credit code) as stored: compatibility forms
    folded (full-width ``２１０１…`` becomes ``2101…``), trimmed, upper case (a
    lowercase check character ``x`` is ``X``). Validate the result."""
    return unicodedata.normalize("NFKC", value or "").strip().upper()


def uscc_check_character(first17: str) -> str:
    """GB 32100 check character of the first 17 characters."""
    total = sum(
        USCC_ALPHABET.index(ch) * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True)
    )
    return USCC_ALPHABET[(31 - total % 31) % 31]


def org_code_check_character(first8: str) -> str:
    """GB 11714 check character (position 17 of a credit code) of 8 characters."""
    total = 0
    for ch, weight in zip(first8, ORG_CODE_WEIGHTS, strict=True):
        value = int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10
        total += value * weight
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def is_valid_uscc(code: str) -> bool:
    """True when ``code`` is an 18-character unified social credit code whose check
    characters are right: position 18 (GB 32100) and position 17, the check of the
    organisation code in positions 9–16 (GB 11714). Registration authorities ``N``,
    ``A`` and ``Y`` are valid."""
    if not isinstance(code, str) or not _USCC_RE.match(code):
        return False
    return (
        org_code_check_character(code[8:16]) == code[16]
        and uscc_check_character(code[:17]) == code[17]
    )


def is_valid_id_number(number: str, *, today: datetime.date | None = None) -> bool:
    """True when ``number`` is an 18-character citizen ID number (GB 11643) with a real
    birth date not in the future and the right MOD 11-2 check character. The address
    code is not checked against today's divisions: revoked codes stay valid."""
    if not isinstance(number, str) or not _ID_RE.match(number):
        return False
    try:
        born = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    if born.year < 1900 or born > (today or datetime.date.today()):  # noqa: DTZ011
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11] == number[17]


def validate_uscc(value: str) -> None:
    if not is_valid_uscc(value):
        raise ValidationError(
            _("统一社会信用代码“%(value)s”无效：应为18位且校验码正确。"),
            code="invalid_uscc",
            params={"value": value},
        )


def validate_id_number(value: str) -> None:
    if not is_valid_id_number(value):
        raise ValidationError(
            _("公民身份号码无效：应为18位，出生日期真实且校验码正确。"),
            code="invalid_id_number",
        )
