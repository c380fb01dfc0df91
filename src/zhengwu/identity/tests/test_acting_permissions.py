"""Permission matrix for the personal data and authorisations of one citizen and
one enterprise: each kind of user, each operation, and the refused change did not
happen."""

import datetime

from django.test import Client
from django.utils import timezone

import pytest

from zhengwu.core.models import AuditEvent
from zhengwu.identity import authorisations, counter, entities
from zhengwu.identity.constants import StaffRole
from zhengwu.identity.errors import IdentityError
from zhengwu.identity.models import Authorisation, StaffMembership

from .person_factories import (
    PASSWORD,
    legal_person_record,
    make_citizen,
    make_counter_clerk,
    make_credit_code,
)

pytestmark = pytest.mark.django_db

ITEM, OTHER_ITEM = "210100000001", "210100000002"
KINDS = [
    "anonymous",
    "citizen",
    "other_citizen",
    "agent",
    "clerk_in_scope",
    "counter_clerk",
    "reviewer",
    "system_admin",
    "security_admin",
    "audit_admin",
]


@pytest.fixture
def world(django_user_model):
    citizen = make_citizen("张三")  # the principal, also the legal representative
    other = make_citizen("李四")
    clerk = make_citizen("王五")
    code = make_credit_code()
    legal_person_record(code, "示例有限公司", "张三", citizen.clear_id_number)
    entity = entities.entity_register(credit_code=code, acting_user=citizen.user)
    clerk_grant = entities.clerk_authorise(
        entity_id=entity.pk,
        acting_user=citizen.user,
        agent_id_number=clerk.clear_id_number,
        agent_name="王五",
        item_codes=[ITEM],
        valid_until=timezone.now() + datetime.timedelta(days=30),
    )
    personal = authorisations.authorisation_grant_personal(
        acting_user=citizen.user,
        agent_id_number=other.clear_id_number,
        agent_name="李四",
        all_items=True,
        valid_until=timezone.now() + datetime.timedelta(days=30),
    )
    counter_clerk = make_counter_clerk()
    organisation = StaffMembership.objects.get(user=counter_clerk).organisation
    users = {
        "anonymous": None,
        "citizen": citizen.user,
        "other_citizen": make_citizen("赵六").user,
        "agent": other.user,
        "clerk_in_scope": clerk.user,
        "counter_clerk": counter_clerk,
    }
    for role in ("reviewer", "system_admin", "security_admin", "audit_admin"):
        user = django_user_model.objects.create_user(username=role, password=PASSWORD)
        StaffMembership.objects.create(user=user, organisation=organisation, role=role)
        users[role] = user
    return {
        "citizen": citizen,
        "newcomer": make_citizen("孙丽"),
        "entity": entity,
        "clerk_grant": clerk_grant,
        "personal": personal,
        "users": users,
    }


def client_for(world, kind):
    client = Client()
    if world["users"][kind] is not None:
        client.force_login(world["users"][kind])
    return client


@pytest.mark.parametrize("kind", KINDS)
def test_revoke_a_citizens_authorisation(world, kind):
    allowed = kind == "citizen"
    personal = world["personal"]
    response = client_for(world, kind).post(
        f"/api/v1/identity/me/authorisations/{personal.pk}/revoke"
    )
    personal.refresh_from_db()
    assert (response.status_code == 200) is allowed
    assert (personal.revoked_at is not None) is allowed
    assert (
        AuditEvent.objects.filter(event="identity.authorisation_revoked").exists()
        is allowed
    )


@pytest.mark.parametrize("kind", KINDS)
def test_add_a_clerk_to_the_enterprise(world, kind):
    allowed = kind == "citizen"
    before = Authorisation.objects.count()
    newcomer = world["newcomer"]
    response = client_for(world, kind).post(
        f"/api/v1/identity/me/entities/{world['entity'].pk}/clerks",
        {
            "agent_name": newcomer.name,
            "agent_id_number": newcomer.clear_id_number,
            "all_items": True,
            "valid_until": (timezone.now() + datetime.timedelta(days=5)).isoformat(),
        },
        content_type="application/json",
    )
    assert (response.status_code == 201) is allowed
    assert Authorisation.objects.count() == before + allowed
    assert Authorisation.objects.filter(agent=newcomer.user).exists() is allowed


@pytest.mark.parametrize("kind", KINDS)
def test_list_the_enterprise_clerks(world, kind):
    allowed = kind == "citizen"
    response = client_for(world, kind).get(
        f"/api/v1/identity/me/entities/{world['entity'].pk}/clerks"
    )
    assert (response.status_code == 200) is allowed
    if allowed:
        assert world["citizen"].clear_id_number not in response.content.decode()


@pytest.mark.parametrize("kind", KINDS)
def test_see_the_citizens_full_id_number(world, kind):
    """Only the citizen themself, and a counter clerk while serving them."""
    from zhengwu.identity import persons

    citizen = world["citizen"]
    viewer = world["users"][kind]
    if kind == "counter_clerk":
        counter.counter_visit_start(
            clerk=viewer,
            name="张三",
            id_number=citizen.clear_id_number,
            document="id_card",
        )
    allowed = kind in ("citizen", "counter_clerk")
    try:
        value = persons.reveal_personal_data(citizen, "id_number", viewer)
    except IdentityError as error:
        assert error.status == 403
        value = None
    assert (value == citizen.clear_id_number) is allowed
    outcome = AuditEvent.objects.get(event="identity.personal_data_viewed").outcome
    assert outcome == ("success" if allowed else "denied")


@pytest.mark.parametrize("kind", KINDS)
def test_act_for_the_enterprise_on_an_item(world, kind):
    """The clerk may act in scope only; nobody else at all."""
    label = f"entity:{world['entity'].credit_code}"
    user = world["users"][kind]
    for item, allowed in ((ITEM, kind == "clerk_in_scope"), (OTHER_ITEM, False)):
        try:
            authorisations.check_may_act(user, label, item)
            granted = True
        except IdentityError as error:
            assert error.status == 403
            granted = False
        assert granted is allowed, (kind, item)


@pytest.mark.parametrize("kind", KINDS)
def test_start_acting_under_the_personal_authorisation(world, kind):
    allowed = kind == "agent"
    response = client_for(world, kind).post(
        "/api/v1/identity/me/acting",
        {"authorisation_id": world["personal"].pk},
        content_type="application/json",
    )
    assert (response.status_code == 200) is allowed
    assert (
        AuditEvent.objects.filter(event="identity.acting_started").exists() is allowed
    )


@pytest.mark.parametrize("kind", KINDS)
def test_start_a_counter_visit(world, kind):
    allowed = kind == "counter_clerk"
    response = client_for(world, kind).post(
        "/staff/counter/",
        {
            "name": "张三",
            "id_number": world["citizen"].clear_id_number,
            "document": "id_card",
        },
    )
    if allowed:
        assert response.status_code == 302
    else:
        assert response.status_code in (302, 403)
        if response.status_code == 302:
            assert "/login" in response["Location"] or "login" in response["Location"]
    assert (
        AuditEvent.objects.filter(event="identity.counter_visit_started").exists()
        is allowed
    )


def test_a_reviewer_role_alone_is_not_a_counter_clerk(world):
    reviewer = world["users"]["reviewer"]
    assert not StaffMembership.objects.filter(
        user=reviewer, role=StaffRole.COUNTER_CLERK
    ).exists()
