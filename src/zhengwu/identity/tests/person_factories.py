"""Valid identifiers and base records for the persons, entities, authorisations,
acting and counter tests."""

import itertools

from zhengwu.core.crypto import blind_index
from zhengwu.core.validators import (
    ID_CHECK,
    ID_WEIGHTS,
    org_code_check_character,
    uscc_check_character,
)
from zhengwu.identity.constants import EntityKind
from zhengwu.identity.models import LegalPersonRecord, PopulationRecord

_serial = itertools.count(1)

PASSWORD = "Zhengwu#2026pw"


def make_id_number(
    serial: int | None = None, *, area: str = "210102", born: str = "19850315"
) -> str:
    """A valid 18-character citizen ID number (GB 11643); ``born`` is YYYYMMDD."""
    number = serial if serial is not None else next(_serial)
    first17 = f"{area}{born}{number % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return first17 + ID_CHECK[total % 11]


def make_mobile(serial: int | None = None) -> str:
    number = serial if serial is not None else next(_serial)
    return f"139{number:08d}"


def make_credit_code(serial: int | None = None, division: str = "210100") -> str:
    """A valid unified social credit code of an enterprise (91)."""
    number = serial if serial is not None else next(_serial)
    org8 = f"{number + 50000000:08d}"
    first17 = f"91{division}{org8}{org_code_check_character(org8)}"
    return first17 + uscc_check_character(first17)


def population_record(name: str, id_number: str, *, cancelled: bool = False):
    return PopulationRecord.objects.create(
        name=name,
        id_number=id_number,
        id_number_index=blind_index(id_number, purpose="id_number"),
        status=PopulationRecord.Status.CANCELLED
        if cancelled
        else PopulationRecord.Status.NORMAL,
    )


def legal_person_record(
    credit_code: str, name: str, representative_name: str, representative_id: str
):
    return LegalPersonRecord.objects.create(
        credit_code=credit_code,
        name=name,
        kind=EntityKind.ENTERPRISE,
        representative_name=representative_name,
        representative_id_index=blind_index(representative_id, purpose="id_number"),
    )


def make_citizen(name: str = "张三", *, verified: bool = True, born: str = "19850315"):
    """A registered citizen (L2 when ``verified``: their population record exists),
    born on ``born`` (YYYYMMDD) by their ID number."""
    from zhengwu.identity.persons import register_person

    id_number = make_id_number(born=born)
    if verified:
        population_record(name, id_number)
    person = register_person(
        name=name, id_number=id_number, mobile=make_mobile(), password=PASSWORD
    )
    person.clear_id_number = id_number
    return person


def make_counter_clerk(username: str = "clerk"):
    """A staff user with the counter-clerk role in a service hall."""
    from django.contrib.auth import get_user_model

    from zhengwu.core.models import Division, Organisation
    from zhengwu.identity.constants import StaffRole
    from zhengwu.identity.models import StaffMembership

    division, _ = Division.objects.get_or_create(
        code="210100", defaults={"name": "沈阳市", "kind": "市", "level": "prefecture"}
    )
    organisation, _ = Organisation.objects.get_or_create(
        credit_code=make_credit_code(9000),
        defaults={"name": "沈阳市政务服务中心", "level": 3, "division": division},
    )
    user = get_user_model().objects.create_user(
        username=username, password=PASSWORD, first_name="窗口小李"
    )
    StaffMembership.objects.create(
        user=user, organisation=organisation, role=StaffRole.COUNTER_CLERK
    )
    return user
