"""The Django admin (the superuser's break-glass tool) grants administrator roles
through the same service: separation of duties and the audit apply there too."""

import pytest

from zhengwu.core.models import AuditEvent
from zhengwu.identity.constants import StaffRole
from zhengwu.identity.models import StaffMembership

from .staff_factories import divisions, organisation, staff_user

pytestmark = pytest.mark.django_db

URL = "/admin/identity/staffmembership/add/"


@pytest.fixture
def superuser_client(client, django_user_model):
    root = django_user_model.objects.create_superuser(username="root", password="x")
    client.force_login(root)
    return client


def test_superuser_grants_an_administrator_role_audited(superuser_client):
    divisions()
    org = organisation("辽宁省营商环境建设局", "210000")
    user = staff_user("future_auditor")
    response = superuser_client.post(
        URL, {"user": user.pk, "organisation": org.pk, "role": "audit_admin"}
    )
    assert response.status_code == 302
    membership = StaffMembership.objects.get(user=user)
    assert membership.role == StaffRole.AUDIT_ADMIN
    event = AuditEvent.objects.get(
        event="identity.role_granted", target_id=str(membership.pk)
    )
    assert event.actor_label == "root"


def test_the_admin_refuses_a_second_administrator_role(superuser_client):
    divisions()
    org = organisation("辽宁省营商环境建设局", "210000")
    user = staff_user("sysadmin", (org, StaffRole.SYSTEM_ADMIN))
    response = superuser_client.post(
        URL, {"user": user.pk, "organisation": org.pk, "role": "security_admin"}
    )
    assert response.status_code == 200
    assert "三员分立" in response.content.decode()
    assert set(
        StaffMembership.objects.filter(user=user).values_list("role", flat=True)
    ) == {"system_admin"}
