"""Divisions, organisations and staff of every kind for the staff administration,
facade and permission tests."""

import itertools

from django.contrib.auth import get_user_model

from zhengwu.core.models import Division, Organisation
from zhengwu.core.validators import org_code_check_character, uscc_check_character
from zhengwu.identity.accounts import ensure_account
from zhengwu.identity.constants import AccountKind, StaffRole
from zhengwu.identity.services import membership_grant

PASSWORD = "Zhengwu#2026"
_serial = itertools.count(1)

# code: (name, level, parent)
DIVISIONS = {
    "210000": ("辽宁省", "province", None),
    "210100": ("沈阳市", "prefecture", "210000"),
    "210102": ("和平区", "county", "210100"),
    "210103": ("沈河区", "county", "210100"),
    "210200": ("大连市", "prefecture", "210000"),
    "210202": ("中山区", "county", "210200"),
}


def divisions() -> dict[str, Division]:
    """The test divisions (province → two cities → districts), made once."""
    made: dict[str, Division] = {}
    for code, (name, level, parent) in DIVISIONS.items():
        made[code], _ = Division.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": "",
                "level": level,
                "parent": made.get(parent) if parent else None,
            },
        )
    return made


def credit_code(division_code: str) -> str:
    org8 = f"{next(_serial) + 70000000:08d}"
    first17 = f"11{division_code}{org8}{org_code_check_character(org8)}"
    return first17 + uscc_check_character(first17)


def organisation(name: str, division_code: str = "210100") -> Organisation:
    division = divisions()[division_code]
    found = Organisation.objects.filter(name=name, division=division).first()
    if found:
        return found
    level = {"province": 2, "prefecture": 3, "county": 4}[division.level]
    return Organisation.objects.create(
        credit_code=credit_code(division_code),
        name=name,
        level=level,
        division=division,
    )


def staff_user(
    username: str,
    *roles: tuple[Organisation, StaffRole],
    scope_division: Division | None = None,
):
    user = get_user_model().objects.create_user(
        username=username, password=PASSWORD, first_name=username
    )
    ensure_account(user, AccountKind.STAFF)
    for org, role in roles:
        membership_grant(
            user=user,
            organisation=org,
            role=role,
            acting_user=None,
            scope_division=scope_division,
        )
    return user
