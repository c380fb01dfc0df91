"""The identity demo, loaded by ``populate_demo`` after the catalogue demo: loaded once
per module (it takes seconds), checked, rolled back at the end."""

import io

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction

import pytest

from zhengwu.catalog.demo import DEMO_PASSWORD
from zhengwu.core.models import AuditEvent, Organisation
from zhengwu.core.validators import is_valid_id_number, is_valid_uscc
from zhengwu.identity import demo as identity_demo
from zhengwu.identity.constants import AssuranceLevel, AuthorisationKind, StaffRole
from zhengwu.identity.facade import populate_identity_demo, staff_scope
from zhengwu.identity.models import (
    Account,
    Authorisation,
    LegalEntity,
    LegalPersonRecord,
    Person,
    PopulationRecord,
    StaffMembership,
)
from zhengwu.identity.persons import find_by_mobile, find_person_by_id_number

from .staff_factories import divisions


def _counts() -> dict[str, int]:
    return {
        "users": get_user_model().objects.count(),
        "accounts": Account.objects.count(),
        "memberships": StaffMembership.objects.count(),
        "organisations": Organisation.objects.count(),
        "persons": Person.objects.count(),
        "population_records": PopulationRecord.objects.count(),
        "legal_person_records": LegalPersonRecord.objects.count(),
        "entities": LegalEntity.objects.count(),
        "authorisations": Authorisation.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


# The catalogue demo's organisations the identity demo uses (the whole catalogue demo
# and the populate_demo command are covered by catalog/tests/test_demo.py, whose
# second run also checks that the identity part writes nothing).
CATALOGUE_ORGANISATIONS = [
    ("210000", "辽宁省营商环境建设局", 2),
    ("210100", "沈阳市营商环境建设局", 3),
    ("210100", "沈阳市市场监督管理局", 3),
    ("210102", "沈阳市和平区营商环境建设局", 4),
]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Divisions, the organisations, and one run of the identity demo."""
    from zhengwu.catalog.demo import fabricate_credit_code
    from zhengwu.core.models import Division

    with django_db_blocker.unblock(), transaction.atomic():
        divisions()
        for code, name, level in CATALOGUE_ORGANISATIONS:
            Organisation.objects.create(
                credit_code=fabricate_credit_code(name, code),
                name=name,
                level=level,
                division=Division.objects.get(code=code),
            )
        created = populate_identity_demo(password=DEMO_PASSWORD)
        yield {"created": created, "counts": _counts()}
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_a_second_run_changes_nothing(demo):
    assert demo["created"]["staff"] == 6
    assert demo["created"]["citizens"] == len(identity_demo.CITIZENS) == 5
    again = populate_identity_demo(password=DEMO_PASSWORD)
    assert set(again.values()) == {0}
    assert _counts() == demo["counts"]  # audit records included


@pytest.mark.django_db
def test_the_three_administrators_are_separate_accounts(demo):
    roles = {
        username: staff_scope(get_user_model().objects.get(username=username))
        for username in ("xitong_admin", "anquan_admin", "shenji_admin")
    }
    assert roles["xitong_admin"].can_administer_staff
    assert roles["anquan_admin"].can_manage_security
    assert roles["shenji_admin"].can_view_audit_log
    for scope in roles.values():
        assert len(scope.roles) == 1


@pytest.mark.django_db
def test_clerks_and_reviewer_hold_their_roles(demo):
    def role_of(username):
        return set(
            StaffMembership.objects.filter(user__username=username).values_list(
                "role", "organisation__name"
            )
        )

    assert role_of("chuangkou_shenyang") == {
        (StaffRole.COUNTER_CLERK, "沈阳市政务服务中心")
    }
    assert role_of("shenpi_shichang") == {(StaffRole.REVIEWER, "沈阳市市场监督管理局")}
    (membership,) = StaffMembership.objects.filter(user__username="daiban_huangsi")
    assert membership.role == StaffRole.SERVICE_POINT_CLERK
    assert membership.scope_division.code == "210102"


@pytest.mark.django_db
def test_demo_staff_log_in_with_the_demo_password(demo):
    user = get_user_model().objects.get(username="xitong_admin")
    assert user.check_password(DEMO_PASSWORD)
    assert not Account.objects.get(user=user).must_change_password


@pytest.mark.django_db
def test_citizens_are_verified_and_found_by_id_number_or_mobile(demo):
    for citizen in identity_demo.CITIZENS:
        assert is_valid_id_number(citizen.id_number)
        person = find_person_by_id_number(citizen.id_number)
        assert person is not None and person.name == citizen.name
        assert person.assurance_level == AssuranceLevel.VERIFIED
        assert find_by_mobile(citizen.mobile) == person
        assert person.user.check_password(DEMO_PASSWORD)
    assert is_valid_id_number(identity_demo.WALK_IN.id_number)
    assert find_person_by_id_number(identity_demo.WALK_IN.id_number) is None


@pytest.mark.django_db
def test_enterprise_with_an_authorised_clerk_and_a_family_authorisation(demo):
    entity = LegalEntity.objects.get(credit_code=identity_demo.ENTERPRISE_CODE)
    assert is_valid_uscc(entity.credit_code)
    assert entity.legal_representative.name == "李明"
    clerk = Authorisation.objects.get(
        kind=AuthorisationKind.CLERK, principal_entity=entity
    )
    assert clerk.agent.person.name == "赵敏" and clerk.all_items
    family = Authorisation.objects.get(kind=AuthorisationKind.PERSONAL)
    assert family.principal_person.name == "张丽华"
    assert family.agent.person.name == "王建国"


@pytest.mark.django_db
def test_demo_logins_lists_usable_citizen_logins(demo):
    output = io.StringIO()
    call_command("demo_logins", stdout=output)
    text = output.getvalue()
    for username in ("xitong_admin", "anquan_admin", "shenji_admin"):
        assert username in text
    for citizen in identity_demo.CITIZENS:
        assert citizen.id_number in text and citizen.mobile in text
    assert "虚构" in text
    # only the catalogue's accounts (not loaded here) are missing
    missing = text.split("尚未创建的账号：")[-1]
    assert "xitong_admin" not in missing and "bianweiban" in missing
    assert identity_demo.CITIZENS[0].id_number not in missing
