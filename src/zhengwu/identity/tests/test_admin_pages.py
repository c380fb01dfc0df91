"""The administration pages: each one for its administrator only (403 for every
other signed-in user, the login page for the anonymous), and a refused change does
not happen."""

import datetime
import html

from django.conf import settings
from django.contrib.auth import get_user_model
from django.shortcuts import resolve_url
from django.utils import timezone

import pytest

from zhengwu.core import audit
from zhengwu.core.models import AuditEvent
from zhengwu.identity.constants import StaffRole
from zhengwu.identity.models import Account, LoginLock, StaffMembership

from .staff_factories import divisions, organisation, staff_user

pytestmark = pytest.mark.django_db

KINDS = [
    "anonymous",
    "citizen",
    "superuser",
    "editor",
    "counter_clerk",
    "reviewer",
    "system_admin",
    "security_admin",
    "audit_admin",
]


@pytest.fixture
def world():
    divisions()
    province = organisation("辽宁省营商环境建设局", "210000")
    hall = organisation("沈阳市政务服务中心", "210100")
    users = {
        "citizen": get_user_model().objects.create_user(
            username="citizen", password="Zhengwu#2026"
        ),
        "superuser": get_user_model().objects.create_superuser(
            username="root", password="Zhengwu#2026"
        ),
        "editor": staff_user("editor", (hall, StaffRole.DEPARTMENT_EDITOR)),
        "counter_clerk": staff_user("clerk", (hall, StaffRole.COUNTER_CLERK)),
        "reviewer": staff_user("reviewer", (hall, StaffRole.REVIEWER)),
        "system_admin": staff_user("xitong", (province, StaffRole.SYSTEM_ADMIN)),
        "security_admin": staff_user("anquan", (province, StaffRole.SECURITY_ADMIN)),
        "audit_admin": staff_user("shenji", (province, StaffRole.AUDIT_ADMIN)),
    }
    return {"hall": hall, "province": province, "users": users}


@pytest.fixture
def client_for(client, world):
    def make(kind):
        if kind != "anonymous":
            client.force_login(world["users"][kind])
        return client

    return make


def _expect(response, kind, allowed_kind):
    if kind == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(resolve_url(settings.LOGIN_URL))
    elif kind == allowed_kind:
        assert response.status_code in (200, 302), response.content[:300]
    else:
        assert response.status_code == 403


PAGES = [
    ("/staff/admin/", "system_admin"),
    ("/staff/admin/new/", "system_admin"),
    ("/staff/admin/security/", "security_admin"),
    ("/staff/admin/security/?q=clerk", "security_admin"),
    ("/staff/admin/audit/", "audit_admin"),
]


@pytest.mark.parametrize(("url", "allowed_kind"), PAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_each_admin_page_is_for_its_administrator_only(
    client_for, kind, url, allowed_kind
):
    response = client_for(kind).get(url)
    _expect(response, kind, allowed_kind)


@pytest.mark.parametrize("kind", KINDS)
def test_staff_detail_for_the_system_admin_only(client_for, world, kind):
    clerk = world["users"]["counter_clerk"]
    response = client_for(kind).get(f"/staff/admin/{clerk.pk}/")
    _expect(response, kind, "system_admin")
    if kind == "system_admin":
        assert "clerk" in response.content.decode()


@pytest.mark.parametrize("kind", KINDS)
def test_create_account_only_by_the_system_admin(client_for, world, kind):
    response = client_for(kind).post(
        "/staff/admin/new/",
        {
            "username": "newclerk",
            "full_name": "新窗口人员",
            "organisation": world["hall"].pk,
            "roles": [StaffRole.COUNTER_CLERK.value],
            "scope_division": "",
            "expires_on": "",
        },
    )
    _expect(response, kind, "system_admin")
    created = get_user_model().objects.filter(username="newclerk").first()
    assert (created is not None) is (kind == "system_admin")
    if created is not None:
        # the initial password is shown once, and works
        body = response.content.decode()
        assert "no-store" in response["Cache-Control"]
        password = html.unescape(body.split('id="initial-password">')[1].split("<")[0])
        assert created.check_password(password)
        assert Account.objects.get(user=created).must_change_password


@pytest.mark.parametrize("kind", KINDS)
def test_disable_only_by_the_system_admin(client_for, world, kind):
    clerk = world["users"]["counter_clerk"]
    response = client_for(kind).post(
        f"/staff/admin/{clerk.pk}/active/", {"active": "0"}
    )
    _expect(response, kind, "system_admin")
    clerk.refresh_from_db()
    assert clerk.is_active is (kind != "system_admin")


@pytest.mark.parametrize("kind", KINDS)
def test_grant_and_revoke_only_by_the_system_admin(client_for, world, kind):
    clerk = world["users"]["counter_clerk"]
    client = client_for(kind)
    response = client.post(
        f"/staff/admin/{clerk.pk}/roles/",
        {"organisation": world["hall"].pk, "role": "reviewer", "scope_division": ""},
    )
    _expect(response, kind, "system_admin")
    granted = StaffMembership.objects.filter(user=clerk, role="reviewer").first()
    assert (granted is not None) is (kind == "system_admin")
    membership = StaffMembership.objects.get(user=clerk, role="counter_clerk")
    response = client.post(f"/staff/admin/{clerk.pk}/roles/{membership.pk}/revoke/")
    _expect(response, kind, "system_admin")
    still = StaffMembership.objects.filter(pk=membership.pk).exists()
    assert still is (kind != "system_admin")


@pytest.mark.parametrize("kind", KINDS)
def test_expiry_only_by_the_system_admin(client_for, world, kind):
    clerk = world["users"]["counter_clerk"]
    day = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    response = client_for(kind).post(
        f"/staff/admin/{clerk.pk}/expiry/", {"expires_on": day}
    )
    _expect(response, kind, "system_admin")
    expires = Account.objects.get(user=clerk).expires_at
    assert (expires is not None) is (kind == "system_admin")


def test_the_system_admin_page_refuses_an_administrator_role(client_for, world):
    clerk = world["users"]["counter_clerk"]
    response = client_for("system_admin").post(
        f"/staff/admin/{clerk.pk}/roles/",
        {"organisation": world["hall"].pk, "role": "audit_admin", "scope_division": ""},
    )
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()
    assert not StaffMembership.objects.filter(user=clerk, role="audit_admin").exists()


def test_the_system_admin_cannot_open_an_administrator_account(client_for, world):
    auditor = world["users"]["audit_admin"]
    response = client_for("system_admin").get(f"/staff/admin/{auditor.pk}/")
    assert response.status_code == 404
    response = client_for("system_admin").post(
        f"/staff/admin/{auditor.pk}/active/", {"active": "0"}
    )
    assert response.status_code == 404
    auditor.refresh_from_db()
    assert auditor.is_active


def test_create_form_errors_are_shown_next_to_the_field(client_for, world):
    response = client_for("system_admin").post(
        "/staff/admin/new/",
        {"username": "9bad name", "full_name": "", "organisation": world["hall"].pk},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="id_username-error"' in body
    assert 'aria-describedby="id_username-help id_username-error"' in body
    assert not get_user_model().objects.filter(username__icontains="bad").exists()


@pytest.mark.parametrize("kind", KINDS)
def test_unlock_only_by_the_security_admin(client_for, world, kind):
    lock = LoginLock.objects.create(
        scope="address",
        key="198.51.100.7",
        failures=5,
        locked_until=timezone.now() + datetime.timedelta(minutes=15),
    )
    response = client_for(kind).post(f"/staff/admin/security/locks/{lock.pk}/clear/")
    _expect(response, kind, "security_admin")
    assert LoginLock.objects.filter(pk=lock.pk).exists() is (kind != "security_admin")


@pytest.mark.parametrize("kind", KINDS)
def test_factor_reset_only_by_the_security_admin(client_for, world, kind):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    clerk = world["users"]["counter_clerk"]
    TOTPDevice.objects.create(user=clerk, name="phone", confirmed=True)
    response = client_for(kind).post(
        f"/staff/admin/security/staff/{clerk.pk}/reset-factor/"
    )
    _expect(response, kind, "security_admin")
    remaining = TOTPDevice.objects.filter(user=clerk).exists()
    assert remaining is (kind != "security_admin")


def test_the_audit_log_filters_and_shows_on_behalf_of(client_for, world):
    clerk = world["users"]["counter_clerk"]
    with audit.acting_for("person:42"):
        audit.record(acting_user=clerk, event="cases.case_submitted")
    audit.record(acting_user=clerk, event="identity.other_thing", outcome="failure")
    client = client_for("audit_admin")
    body = client.get("/staff/admin/audit/?event=cases.").content.decode()
    assert "cases.case_submitted" in body and "person:42" in body
    assert "identity.other_thing" not in body
    body = client.get(
        "/staff/admin/audit/?outcome=failure&actor=clerk"
    ).content.decode()
    assert "identity.other_thing" in body and "cases.case_submitted" not in body


def test_the_audit_log_pages_by_keyset(client_for, world):
    clerk = world["users"]["counter_clerk"]
    for number in range(55):
        audit.record(acting_user=clerk, event=f"test.event_{number:02d}")
    client = client_for("audit_admin")
    first = client.get("/staff/admin/audit/?event=test.")
    body = first.content.decode()
    assert "test.event_54" in body and "test.event_04" not in body
    next_url = body.split('class="pager"')[1].split('href="')[1].split('"')[0]
    second = client.get("/staff/admin/audit/" + next_url.replace("&amp;", "&"))
    body = second.content.decode()
    assert "test.event_04" in body and "test.event_54" not in body
    assert AuditEvent.objects.filter(event__startswith="test.").count() == 55


@pytest.mark.parametrize(
    ("kind", "landing"),
    [
        ("system_admin", "/staff/admin/"),
        ("security_admin", "/staff/admin/security/"),
        ("audit_admin", "/staff/admin/audit/"),
        ("counter_clerk", "/staff/counter/"),
        ("editor", "/staff/"),
        ("reviewer", "/workbench/"),
        ("superuser", "/staff/"),
    ],
)
def test_each_staff_member_lands_on_their_own_page(world, kind, landing):
    from zhengwu.identity.staff import landing_url

    assert landing_url(world["users"][kind]) == landing


def test_the_menu_shows_only_the_administrators_own_pages(client_for):
    body = client_for("audit_admin").get("/staff/admin/audit/").content.decode()
    assert "/staff/admin/audit/" in body
    assert 'href="/staff/admin/"' not in body
    assert "/staff/admin/security/" not in body


def test_a_service_point_clerk_lands_on_the_authorisations_they_act_under(world):
    from zhengwu.identity.staff import landing_url

    clerk = staff_user("daiban", (world["hall"], StaffRole.SERVICE_POINT_CLERK))
    assert landing_url(clerk) == "/me/authorisations/"
