"""The identity part of the Liaoning demo, loaded by ``manage.py populate_demo``
after the catalogue demo (whose organisations it uses):

- the three separated administrators (``xitong_admin``, ``anquan_admin``,
  ``shenji_admin``) at the provincial business-environment bureau;
- a reviewer at the Shenyang market regulation bureau, a counter clerk at the
  Shenyang government service centre (政务服务中心, created if missing) and a
  community service-point clerk (代办员) of Heping district;
- citizens registered through :func:`~zhengwu.identity.persons.register_person`,
  verified to L2 against demo population records (one of them, 孙德厚, over 60
  by his ID number, for the 秒批 demo); an enterprise registered by its
  legal representative with an authorised clerk; a personal authorisation from one
  citizen to a family member;
- a population record of a walk-in applicant without an online account, for the
  counter.

Every identifier is **fabricated** (valid check characters, Liaoning division codes,
numbers that belong to nobody): that is why :func:`demo_logins` prints them in
clear, so the demo accounts can be used. Idempotent: everything is looked up first
and only what is missing is created; a second run writes nothing (no audit record
either)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from zhengwu.core.crypto import blind_index
from zhengwu.core.models import Division, Organisation
from zhengwu.core.services import organisation_create
from zhengwu.core.validators import (
    ID_CHECK,
    ID_WEIGHTS,
    org_code_check_character,
    uscc_check_character,
)

from . import accounts
from .authorisations import authorisation_grant_personal
from .constants import AccountKind, AuthorisationKind, EntityKind, StaffRole
from .entities import clerk_authorise, entity_register
from .errors import IdentityError
from .models import (
    Authorisation,
    LegalEntity,
    LegalPersonRecord,
    Person,
    PopulationRecord,
    StaffMembership,
)
from .persons import find_person_by_id_number, register_person
from .services import membership_grant


def _missing(message: str) -> IdentityError:
    """The identity demo cannot be loaded (reference data or catalogue demo missing)."""
    return IdentityError("identity.demo_prerequisite", message)


def id_number(area: str, birth: str, serial: str) -> str:
    """A fabricated citizen ID number: 6-digit area code, birth date YYYYMMDD,
    3-digit serial and its GB 11643 check character."""
    first17 = f"{area}{birth}{serial}"
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return first17 + ID_CHECK[total % 11]


def credit_code(name: str, division_code: str, *, prefix: str) -> str:
    """A fabricated unified social credit code (GB 32100) with both check
    characters; ``prefix`` is authority + category (``91`` enterprise, ``12``
    public institution)."""
    digest = hashlib.sha256(name.encode()).digest()
    org8 = f"{int.from_bytes(digest[:8], 'big') % 10**8:08d}"
    first17 = f"{prefix}{division_code}{org8}{org_code_check_character(org8)}"
    return first17 + uscc_check_character(first17)


# --- the data -------------------------------------------------------------------

PROVINCE_BUREAU = ("210000", "辽宁省营商环境建设局")
SHENYANG_MARKET = ("210100", "沈阳市市场监督管理局")
SHENYANG_HALL = ("210100", "沈阳市政务服务中心")
# Village and community service points (便民服务站) are run by the district's
# business-environment bureau; their clerks' data scope is the district.
SERVICE_POINT = ("210102", "沈阳市和平区营商环境建设局")

# (username, full name, role, (division, organisation), scope division)
STAFF = [
    ("xitong_admin", "三员·系统管理员", StaffRole.SYSTEM_ADMIN, PROVINCE_BUREAU, None),
    (
        "anquan_admin",
        "三员·安全管理员",
        StaffRole.SECURITY_ADMIN,
        PROVINCE_BUREAU,
        None,
    ),
    ("shenji_admin", "三员·审计管理员", StaffRole.AUDIT_ADMIN, PROVINCE_BUREAU, None),
    (
        "shenpi_shichang",
        "沈阳市市场监管局审批人员",
        StaffRole.REVIEWER,
        SHENYANG_MARKET,
        None,
    ),
    (
        "chuangkou_shenyang",
        "沈阳市政务服务中心窗口人员",
        StaffRole.COUNTER_CLERK,
        SHENYANG_HALL,
        None,
    ),
    (
        "daiban_huangsi",
        "皇寺社区代办员",
        StaffRole.SERVICE_POINT_CLERK,
        SERVICE_POINT,
        "210102",
    ),
]


@dataclass(frozen=True)
class DemoCitizen:
    key: str
    name: str
    id_number: str
    mobile: str
    note: str


CITIZENS = [
    DemoCitizen(
        "zhang",
        "张丽华",
        id_number("210102", "19850315", "022"),
        "13900000101",
        "实名用户（L2），已委托家人王建国代办",
    ),
    DemoCitizen(
        "wang",
        "王建国",
        id_number("210103", "19821108", "015"),
        "13900000102",
        "实名用户（L2），受张丽华委托代办",
    ),
    DemoCitizen(
        "li",
        "李明",
        id_number("210106", "19790622", "031"),
        "13900000103",
        "实名用户（L2），沈阳盛京示范科技有限公司法定代表人",
    ),
    DemoCitizen(
        "zhao",
        "赵敏",
        id_number("210104", "19920904", "048"),
        "13900000104",
        "实名用户（L2），沈阳盛京示范科技有限公司授权经办人",
    ),
    # Over 60 by the birth date in his ID number: the 秒批 demo's applicant.
    DemoCitizen(
        "sun",
        "孙德厚",
        id_number("210102", "19560720", "013"),
        "13900000105",
        "实名用户（L2），1956年出生，职工正常退休申请秒批演示",
    ),
]
# A walk-in applicant: in the population records, no online account (for the counter).
WALK_IN = DemoCitizen(
    "liu", "刘桂芝", id_number("210102", "19480212", "026"), "", "窗口代办演示：未注册"
)
ENTERPRISE_NAME = "沈阳盛京示范科技有限公司"
ENTERPRISE_CODE = credit_code(ENTERPRISE_NAME, "210102", prefix="91")
AUTHORISATION_DAYS = 180


# --- loading -----------------------------------------------------------------------


class _Loader:
    def __init__(self, password: str) -> None:
        self.password = password
        self.created: dict[str, int] = {
            "staff": 0,
            "memberships": 0,
            "organisations": 0,
            "population_records": 0,
            "citizens": 0,
            "entities": 0,
            "authorisations": 0,
        }

    def organisation(self, key: tuple[str, str]) -> Organisation:
        code, name = key
        found = Organisation.objects.filter(division__code=code, name=name).first()
        if found is not None:
            return found
        division = Division.objects.filter(code=code).first()
        if division is None:
            raise _missing(
                f"缺少行政区划 {code}，请先运行 manage.py load_reference_data。"
            )
        if key == SHENYANG_HALL:
            level, kind, parent_key = 3, "事业单位", ("210100", "沈阳市营商环境建设局")
        else:
            raise _missing(
                f"缺少演示单位“{name}”，请先加载事项目录演示数据（populate_demo）。"
            )
        parent = Organisation.objects.filter(
            division__code=parent_key[0], name=parent_key[1]
        ).first()
        self.created["organisations"] += 1
        return organisation_create(
            credit_code=credit_code(name, code, prefix="12"),
            name=name,
            level=level,
            division=division,
            parent=parent,
            kind=kind,
            acting_user=None,
        )

    def staff(self) -> None:
        model = get_user_model()
        for username, full_name, role, org_key, scope in STAFF:
            organisation = self.organisation(org_key)
            user = model.objects.filter(username=username).first()
            if user is None:
                user = model.objects.create_user(
                    username=username, first_name=full_name
                )
                accounts.ensure_account(user, AccountKind.STAFF)
                accounts.set_password(user, self.password, acting_user=None)
                self.created["staff"] += 1
            if not StaffMembership.objects.filter(
                user=user, organisation=organisation, role=role
            ).exists():
                membership_grant(
                    user=user,
                    organisation=organisation,
                    role=role,
                    scope_division=Division.objects.get(code=scope) if scope else None,
                    acting_user=None,
                )
                self.created["memberships"] += 1

    def population_record(self, citizen: DemoCitizen) -> None:
        index = blind_index(citizen.id_number, purpose="id_number")
        if not PopulationRecord.objects.filter(id_number_index=index).exists():
            PopulationRecord.objects.create(
                name=citizen.name, id_number=citizen.id_number, id_number_index=index
            )
            self.created["population_records"] += 1

    def citizen(self, citizen: DemoCitizen) -> Person:
        self.population_record(citizen)
        person = find_person_by_id_number(citizen.id_number)
        if person is not None and person.user_id is not None:
            return person
        self.created["citizens"] += 1
        return register_person(
            name=citizen.name,
            id_number=citizen.id_number,
            mobile=citizen.mobile,
            password=self.password,
        )

    def enterprise(self, representative: Person, clerk: Person) -> LegalEntity:
        if not LegalPersonRecord.objects.filter(credit_code=ENTERPRISE_CODE).exists():
            LegalPersonRecord.objects.create(
                credit_code=ENTERPRISE_CODE,
                name=ENTERPRISE_NAME,
                kind=EntityKind.ENTERPRISE,
                representative_name=representative.name,
                representative_id_index=representative.id_number_index,
            )
        entity = LegalEntity.objects.filter(credit_code=ENTERPRISE_CODE).first()
        if entity is None:
            entity = entity_register(
                credit_code=ENTERPRISE_CODE, acting_user=representative.user
            )
            self.created["entities"] += 1
        if not _active(
            Authorisation.objects.filter(
                kind=AuthorisationKind.CLERK, principal_entity=entity, agent=clerk.user
            )
        ):
            clerk_authorise(
                entity_id=entity.pk,
                acting_user=representative.user,
                agent_id_number=clerk.id_number,
                agent_name=clerk.name,
                all_items=True,
                valid_until=timezone.now() + timedelta(days=365),
            )
            self.created["authorisations"] += 1
        return entity

    def family_authorisation(self, principal: Person, agent: Person) -> None:
        if _active(
            Authorisation.objects.filter(
                kind=AuthorisationKind.PERSONAL,
                principal_person=principal,
                agent=agent.user,
            )
        ):
            return
        authorisation_grant_personal(
            acting_user=principal.user,
            agent_id_number=agent.id_number,
            agent_name=agent.name,
            all_items=True,
            valid_until=timezone.now() + timedelta(days=AUTHORISATION_DAYS),
        )
        self.created["authorisations"] += 1


def _active(authorisations: QuerySet[Authorisation]) -> bool:
    now = timezone.now()
    return authorisations.filter(
        revoked_at__isnull=True, valid_from__lte=now, valid_until__gt=now
    ).exists()


@transaction.atomic
def populate(*, password: str) -> dict[str, int]:
    """Load the identity demo; returns how many of each kind were created."""
    loader = _Loader(password)
    loader.staff()
    people = {c.key: loader.citizen(c) for c in CITIZENS}
    loader.population_record(WALK_IN)
    loader.enterprise(people["li"], people["zhao"])
    loader.family_authorisation(people["zhang"], people["wang"])
    return loader.created


# --- logins ----------------------------------------------------------------------------


def demo_logins(password: str) -> list[tuple[str, str, str, str, bool]]:
    """(login name, password, role, organisation or note, exists) for every identity
    demo account. Citizens log in with their (fabricated) ID number or mobile."""
    model = get_user_model()
    present = set(
        model.objects.filter(username__in=[s[0] for s in STAFF]).values_list(
            "username", flat=True
        )
    )
    rows: list[tuple[str, str, str, str, bool]] = [
        (username, password, str(role.label), org[1], username in present)
        for username, _name, role, org, _scope in STAFF
    ]
    for citizen in CITIZENS:
        person = find_person_by_id_number(citizen.id_number)
        exists = person is not None and person.user_id is not None
        rows.append(
            (
                f"{citizen.id_number} / {citizen.mobile}",
                password,
                f"公众：{citizen.name}",
                citizen.note,
                exists,
            )
        )
    return rows
