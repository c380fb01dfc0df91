"""Basic codes (12) and implementation codes (31) of service items (standards §1)."""

import re

from zhengwu.core.validators import is_valid_uscc

BASIC_CODE_RE = re.compile(r"^\d{12}$")
LEVELS = frozenset("12345")


def basic_code(
    prefix: str, item_type: str, main_code: str, sub_code: str = "000"
) -> str:
    code = f"{prefix}{item_type}{main_code}{sub_code}"
    if not BASIC_CODE_RE.match(code):
        raise ValueError(f"not a 12-digit basic code: {code!r}")
    return code


def is_valid_basic_code(code: str) -> bool:
    return isinstance(code, str) and bool(BASIC_CODE_RE.match(code))


def implementation_code(credit_code: str, level: int, basic: str) -> str:
    """实施编码 = credit code (18) + level (1) + basic code (12)."""
    code = f"{credit_code}{level}{basic}"
    if not is_valid_implementation_code(code):
        raise ValueError(f"not a valid implementation code: {code!r}")
    return code


def is_valid_implementation_code(code: str) -> bool:
    return (
        isinstance(code, str)
        and len(code) == 31
        and is_valid_uscc(code[:18])
        and code[18] in LEVELS
        and is_valid_basic_code(code[19:])
    )


def split_implementation_code(code: str) -> tuple[str, int, str]:
    if not is_valid_implementation_code(code):
        raise ValueError(f"not a valid implementation code: {code!r}")
    return code[:18], int(code[18]), code[19:]
