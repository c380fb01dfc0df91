"""Security review: the Django admin is no back door around the separation of duties,
the audit and the secrets; a superuser never holds one of the separated
administrator roles; the audit administrator changes nothing."""

import pytest

from zhengwu.core.models import AuditEvent, Division
from zhengwu.identity.constants import StaffRole
from zhengwu.identity.errors import IdentityError
from zhengwu.identity.models import StaffMembership
from zhengwu.identity.services import membership_grant

from .login_helpers import enrol_device
from .staff_factories import divisions, organisation, staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(django_user_model):
    return django_user_model.objects.create_superuser(username="root", password="x")


@pytest.fixture
def root_client(client, root):
    client.force_login(root)
    return client


@pytest.fixture
def bureau():
    divisions()
    return organisation("辽宁省营商环境建设局", "210000")


@pytest.mark.parametrize("role", sorted(r.value for r in StaffRole if "admin" in r))
def test_a_superuser_cannot_be_given_an_administrator_role(root, bureau, role):
    with pytest.raises(IdentityError) as refused:
        membership_grant(user=root, organisation=bureau, role=role, acting_user=root)
    assert refused.value.code == "identity.role_conflict"
    assert not StaffMembership.objects.filter(user=root).exists()
    assert not AuditEvent.objects.filter(event="identity.role_granted").exists()


def test_the_admin_refuses_an_administrator_role_for_a_superuser(root_client, root):
    org = organisation("辽宁省营商环境建设局", "210000")
    response = root_client.post(
        "/admin/identity/staffmembership/add/",
        {"user": root.pk, "organisation": org.pk, "role": "audit_admin"},
    )
    assert response.status_code == 200
    assert "三员分立" in response.content.decode()
    assert not StaffMembership.objects.filter(user=root).exists()


def test_the_admin_cannot_make_an_administrator_a_superuser(root_client, bureau):
    # given an audit administrator
    auditor = staff_user("auditor", (bureau, StaffRole.AUDIT_ADMIN))
    # when the superuser tries to raise them through the user change form
    response = root_client.post(
        f"/admin/auth/user/{auditor.pk}/change/",
        {
            "username": "auditor",
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
        },
    )
    # then the form does not accept changes and nothing changed
    assert response.status_code == 403
    auditor.refresh_from_db()
    assert not auditor.is_superuser and not auditor.is_staff
    # and the user pages are read-only: no add, no delete
    assert root_client.post("/admin/auth/user/add/", {}).status_code == 403
    assert (
        root_client.post(
            f"/admin/auth/user/{auditor.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    assert root_client.get(f"/admin/auth/user/{auditor.pk}/change/").status_code == 200
    assert root_client.get("/admin/auth/user/").status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/admin/auth/group/",
        "/admin/oauth2_provider/application/",
        "/admin/oauth2_provider/accesstoken/",
        "/admin/oauth2_provider/refreshtoken/",
        "/admin/oauth2_provider/idtoken/",
        "/admin/oauth2_provider/grant/",
        "/admin/otp_totp/totpdevice/",
    ],
)
def test_models_that_bypass_the_services_are_not_in_the_admin(root_client, url):
    assert root_client.get(url).status_code == 404


def test_the_totp_secret_is_not_shown_in_the_admin(root_client, bureau):
    user = staff_user("has_phone", (bureau, StaffRole.COUNTER_CLERK))
    device = enrol_device(user)
    for url in ("/admin/", "/admin/auth/user/", f"/admin/auth/user/{user.pk}/change/"):
        assert device.key not in root_client.get(url).content.decode()


def test_the_audit_administrator_changes_nothing_through_the_admin(client, bureau):
    # given an audit administrator who also has the admin site's staff flag
    auditor = staff_user("auditor2", (bureau, StaffRole.AUDIT_ADMIN))
    auditor.is_staff = True
    auditor.save()
    client.force_login(auditor)
    # when they try to change data through the admin
    added = client.post(
        "/admin/core/division/add/",
        {"code": "210190", "name": "测试区", "level": "county"},
    )
    granted = client.post(
        "/admin/identity/staffmembership/add/",
        {"user": auditor.pk, "organisation": bureau.pk, "role": "system_admin"},
    )
    # then both are refused and nothing changed
    assert added.status_code == 403 and granted.status_code == 403
    assert not Division.objects.filter(code="210190").exists()
    assert set(
        StaffMembership.objects.filter(user=auditor).values_list("role", flat=True)
    ) == {"audit_admin"}


@pytest.mark.parametrize(
    "url",
    [
        "/staff/admin/",
        "/staff/admin/new/",
        "/staff/admin/security/",
        "/staff/sso-clients/",
        "/staff/sso-clients/new/",
    ],
)
def test_the_audit_administrator_cannot_use_the_other_administrators_pages(
    client, bureau, url
):
    auditor = staff_user("auditor3", (bureau, StaffRole.AUDIT_ADMIN))
    client.force_login(auditor)
    assert client.get(url).status_code in {403, 404}
    assert client.post(url, {}).status_code in {403, 404, 405}


@pytest.mark.parametrize(
    "role", ["system_admin", "security_admin", "counter_clerk", "department_editor"]
)
def test_only_the_audit_administrator_reads_the_audit_log(client, bureau, role):
    user = staff_user(f"not_auditor_{role}", (bureau, StaffRole(role)))
    client.force_login(user)
    assert client.get("/staff/admin/audit/").status_code in {403, 404}
    api = client.get("/api/v1/identity/admin/audit")
    assert api.status_code == 403


def test_only_the_audit_administrator_reads_the_audit_log_in_the_admin(
    root_client, client, bureau
):
    # the superuser (break-glass) does not read the audit log
    assert root_client.get("/admin/core/auditevent/").status_code == 403
    assert "auditevent" not in root_client.get("/admin/").content.decode()
    # nor does another administrator with the admin site's staff flag
    sysadmin = staff_user("sysadmin_staff", (bureau, StaffRole.SYSTEM_ADMIN))
    sysadmin.is_staff = True
    sysadmin.save()
    client.force_login(sysadmin)
    assert client.get("/admin/core/auditevent/").status_code == 403
    # the audit administrator does, read-only
    auditor = staff_user("auditor4", (bureau, StaffRole.AUDIT_ADMIN))
    auditor.is_staff = True
    auditor.save()
    client.force_login(auditor)
    assert client.get("/admin/core/auditevent/").status_code == 200
    event = AuditEvent.objects.first()
    change = client.post(f"/admin/core/auditevent/{event.pk}/change/", {"event": "x"})
    assert change.status_code == 403
    deleted = client.post(f"/admin/core/auditevent/{event.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk, event=event.event).exists()
