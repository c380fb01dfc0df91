"""证照标识 (GB/T 36904, standards §5.1): the licence identifier

``1.2.156.3005.2.<type code>.<issuer code>.<serial>.<version>.<check>``

with the ISO/IEC 7064 MOD 37,36 hybrid check character (= GB/T 17710) over the
type code, issuer code, serial and version concatenated without dots."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

ROOT = "1.2.156.3005.2"
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_VALUE = {char: index for index, char in enumerate(ALPHABET)}
M = 36

TYPE_CODE = re.compile(r"^[0-9A-Z]{18}[0-9]{3}$")
ISSUER_CODE = re.compile(r"^(?:[0-9A-Z]{18}|[0-9]{6})$")
SERIAL = re.compile(r"^[0-9A-Z]{1,32}$")
VERSION = re.compile(r"^[0-9]{3}$")


def _run(text: str) -> int:
    """P after the MOD 37,36 loop over ``text`` (upper-case alphabet only)."""
    product = M
    for char in text:
        total = (product + _VALUE[char]) % M
        if total == 0:
            total = M
        product = (2 * total) % (M + 1)
    return product


def check_character(payload: str) -> str:
    """The MOD 37,36 check character of ``payload`` (digits and upper-case letters)."""
    if not payload or any(char not in _VALUE for char in payload):
        raise ValueError("payload must be digits and upper-case letters")
    return ALPHABET[(M + 1 - _run(payload)) % M]


def check_character_valid(payload: str, check: str) -> bool:
    if (
        not payload
        or len(check) != 1
        or check not in _VALUE
        or any(char not in _VALUE for char in payload)
    ):
        return False
    return (_run(payload) + _VALUE[check]) % M == 1


@dataclass(frozen=True)
class LicenceIdentifier:
    type_code: str
    issuer_code: str
    serial: str
    version: str
    check: str

    @property
    def payload(self) -> str:
        return self.type_code + self.issuer_code + self.serial + self.version

    def __str__(self) -> str:
        return ".".join(
            (
                ROOT,
                self.type_code,
                self.issuer_code,
                self.serial,
                self.version,
                self.check,
            )
        )


class IdentifierError(ValueError):
    """An identifier that does not parse or whose check character is wrong;
    ``fields`` maps each part to its reasons (Chinese)."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items()))
        self.fields = fields


def build(*, type_code: str, issuer_code: str, serial: str, version: int | str) -> str:
    """A complete identifier with its check character."""
    version_text = f"{int(version):03d}" if isinstance(version, int) else version
    fields = _part_errors(type_code, issuer_code, serial, version_text)
    if fields:
        raise IdentifierError(fields)
    payload = type_code + issuer_code + serial + version_text
    return str(
        LicenceIdentifier(
            type_code, issuer_code, serial, version_text, check_character(payload)
        )
    )


def _part_errors(
    type_code: str, issuer_code: str, serial: str, version: str
) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    if not TYPE_CODE.match(type_code):
        fields["type_code"] = [
            _("证照类型代码应为21位：定义机构统一社会信用代码（18位）加3位数字。")
        ]
    if not ISSUER_CODE.match(issuer_code):
        fields["issuer_code"] = [
            _("颁发机构代码应为18位统一社会信用代码（或6位行政区划代码）。")
        ]
    if not SERIAL.match(serial):
        fields["serial"] = [_("顺序号应为1至32位数字或大写字母。")]
    if not VERSION.match(version):
        fields["version"] = [_("版本号应为3位数字。")]
    return fields


def parse(identifier: str) -> LicenceIdentifier:
    """Parse and validate ``identifier``; raise :class:`IdentifierError` naming the
    part that is wrong (root, type code, issuer code, serial, version, check)."""
    text = (identifier or "").strip()
    if not text.startswith(ROOT + "."):
        raise IdentifierError({"root": [_("证照标识应以根代码 1.2.156.3005.2 开头。")]})
    parts = text[len(ROOT) + 1 :].split(".")
    if len(parts) != 5:
        raise IdentifierError(
            {
                "identifier": [
                    _(
                        "证照标识应由根代码、证照类型代码、颁发机构代码、顺序号、"
                        "版本号和校验码组成，以“.”分隔。"
                    )
                ]
            }
        )
    type_code, issuer_code, serial, version, check = parts
    fields = _part_errors(type_code, issuer_code, serial, version)
    if len(check) != 1 or check not in _VALUE:
        fields["check"] = [_("校验码应为1位数字或大写字母。")]
    if fields:
        raise IdentifierError(fields)
    parsed = LicenceIdentifier(type_code, issuer_code, serial, version, check)
    if not check_character_valid(parsed.payload, check):
        raise IdentifierError({"check": [_("校验码不正确。")]})
    return parsed


def is_valid(identifier: str) -> bool:
    try:
        parse(identifier)
    except IdentifierError:
        return False
    return True
