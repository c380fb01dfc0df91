"""/api/v1/identity/admin/: the system administrator's staff accounts and the audit
administrator's read-only log, refused to everyone else without any change."""

import pytest

from zhengwu.core import audit
from zhengwu.core.models import AuditEvent
from zhengwu.identity.constants import StaffRole
from zhengwu.identity.models import StaffMembership

from .test_admin_pages import KINDS, client_for, world  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

BASE = "/api/v1/identity/admin"


def _status_for(kind: str, allowed_kind: str, ok: int) -> int:
    if kind == "anonymous":
        return 401
    return ok if kind == allowed_kind else 403


@pytest.mark.parametrize("kind", KINDS)
def test_list_staff(client_for, kind):  # noqa: F811
    response = client_for(kind).get(f"{BASE}/staff")
    assert response.status_code == _status_for(kind, "system_admin", 200)
    if response.status_code == 200:
        names = {row["username"] for row in response.json()["items"]}
        # business staff in scope; never administrators, superusers or citizens
        assert {"clerk", "editor", "reviewer"} <= names
        assert not names & {"xitong", "anquan", "shenji", "root", "citizen"}


@pytest.mark.parametrize("kind", KINDS)
def test_create_staff(client_for, world, kind):  # noqa: F811
    response = client_for(kind).post(
        f"{BASE}/staff",
        {
            "username": "apiclerk",
            "full_name": "接口创建",
            "roles": [{"organisation_id": world["hall"].pk, "role": "counter_clerk"}],
        },
        content_type="application/json",
    )
    assert response.status_code == _status_for(kind, "system_admin", 201)
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username="apiclerk").first()
    assert (user is not None) is (kind == "system_admin")
    if user is not None:
        body = response.json()
        assert user.check_password(body["initial_password"])
        assert body["staff"]["must_change_password"] is True
        assert body["staff"]["roles"][0]["role"] == "counter_clerk"


def test_create_staff_with_an_administrator_role_is_refused(client_for, world):  # noqa: F811
    response = client_for("system_admin").post(
        f"{BASE}/staff",
        {
            "username": "apiaudit",
            "full_name": "审计",
            "roles": [{"organisation_id": world["hall"].pk, "role": "audit_admin"}],
        },
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "identity.not_allowed"
    assert not StaffMembership.objects.filter(
        role="audit_admin", user__username="apiaudit"
    ).exists()


@pytest.mark.parametrize("kind", KINDS)
def test_grant_revoke_and_disable(client_for, world, kind):  # noqa: F811
    clerk = world["users"]["counter_clerk"]
    client = client_for(kind)
    response = client.post(
        f"{BASE}/staff/{clerk.pk}/roles",
        {"organisation_id": world["hall"].pk, "role": "reviewer"},
        content_type="application/json",
    )
    assert response.status_code == _status_for(kind, "system_admin", 201)
    assert StaffMembership.objects.filter(user=clerk, role="reviewer").exists() is (
        kind == "system_admin"
    )
    membership = StaffMembership.objects.get(user=clerk, role="counter_clerk")
    response = client.delete(f"{BASE}/staff/{clerk.pk}/roles/{membership.pk}")
    assert response.status_code == _status_for(kind, "system_admin", 204)
    assert StaffMembership.objects.filter(pk=membership.pk).exists() is (
        kind != "system_admin"
    )
    response = client.post(f"{BASE}/staff/{clerk.pk}/disable")
    assert response.status_code == _status_for(kind, "system_admin", 200)
    clerk.refresh_from_db()
    assert clerk.is_active is (kind != "system_admin")


@pytest.mark.parametrize("kind", KINDS)
def test_audit_log_for_the_audit_admin_only(client_for, world, kind):  # noqa: F811
    with audit.acting_for("person:7"):
        audit.record(acting_user=world["users"]["counter_clerk"], event="test.done")
    response = client_for(kind).get(f"{BASE}/audit?event=test.")
    assert response.status_code == _status_for(kind, "audit_admin", 200)
    if response.status_code == 200:
        (item,) = response.json()["items"]
        assert item["on_behalf_of"] == "person:7" and item["actor"] == "clerk"


def test_the_audit_admin_changes_nothing_through_the_api(client_for, world):  # noqa: F811
    clerk = world["users"]["counter_clerk"]
    client = client_for("audit_admin")
    before = AuditEvent.objects.count()
    assert client.post(f"{BASE}/staff/{clerk.pk}/disable").status_code == 403
    assert (
        client.post(
            f"{BASE}/staff/{clerk.pk}/roles",
            {"organisation_id": world["hall"].pk, "role": StaffRole.REVIEWER},
            content_type="application/json",
        ).status_code
        == 403
    )
    clerk.refresh_from_db()
    assert clerk.is_active
    assert not StaffMembership.objects.filter(user=clerk, role="reviewer").exists()
    assert AuditEvent.objects.count() == before


def _bearer(user, scope: str = "openid api") -> dict[str, str]:
    import datetime
    import secrets

    from django.utils import timezone

    from oauth2_provider.models import (
        AccessToken,
        set_token_value,  # type: ignore[attr-defined]
    )

    from .oidc_support import register

    registered = register(
        "管理接口系统", "https://admin.example.gov.cn/cb", scopes=("openid", "api")
    )
    raw = secrets.token_urlsafe(30)
    token = AccessToken(
        user=user,
        application=registered.application,
        scope=scope,
        expires=timezone.now() + datetime.timedelta(minutes=10),
    )
    set_token_value(token, raw)
    token.save()
    return {"Authorization": f"Bearer {raw}"}


def test_a_token_obeys_the_same_role_checks(client, world):  # noqa: F811
    auditor = _bearer(world["users"]["audit_admin"])
    assert client.get(f"{BASE}/audit", headers=auditor).status_code == 200
    clerk = world["users"]["counter_clerk"]
    response = client.post(f"{BASE}/staff/{clerk.pk}/disable", headers=auditor)
    assert response.status_code == 403
    clerk.refresh_from_db()
    assert clerk.is_active
    admin = _bearer(world["users"]["system_admin"])
    assert client.get(f"{BASE}/audit", headers=admin).status_code == 403
    # a token write needs no CSRF token; the system administrator may disable
    response = client.post(f"{BASE}/staff/{clerk.pk}/disable", headers=admin)
    assert response.status_code == 200
    clerk.refresh_from_db()
    assert not clerk.is_active


def test_a_token_without_the_api_scope_is_refused(client, world):  # noqa: F811
    headers = _bearer(world["users"]["audit_admin"], scope="openid profile")
    assert client.get(f"{BASE}/audit", headers=headers).status_code == 401


def test_the_audit_log_pages_by_cursor_in_the_api_and_on_the_page(client_for, world):  # noqa: F811
    clerk = world["users"]["counter_clerk"]
    recorded = [
        audit.record(acting_user=clerk, event="test.paged", data={"n": n}).pk
        for n in range(3)
    ]
    client = client_for("audit_admin")
    first = client.get(f"{BASE}/audit?event=test.paged&limit=2").json()
    assert [i["id"] for i in first["items"]] == recorded[:0:-1]
    assert first["next_cursor"] == recorded[1]
    rest = client.get(
        f"{BASE}/audit?event=test.paged&limit=2&before={first['next_cursor']}"
    ).json()
    assert [i["id"] for i in rest["items"]] == [recorded[0]]
    assert rest["next_cursor"] is None
    # the page shares the query: filtered by event, and older than the cursor
    page = client.get(
        "/staff/admin/audit/", {"event": "test.paged", "before": recorded[2]}
    )
    assert page.status_code == 200
    assert [row.pk for row in page.context["rows"]] == [recorded[1], recorded[0]]


def test_the_staff_list_pages_by_cursor_in_the_api_and_on_the_page(client_for, world):  # noqa: F811
    client = client_for("system_admin")
    everyone = [
        i["username"] for i in client.get(f"{BASE}/staff?limit=50").json()["items"]
    ]
    assert len(everyone) >= 2 and everyone == sorted(everyone)
    walked, cursor = [], ""
    while True:
        body = client.get(f"{BASE}/staff", {"limit": 1, "after": cursor}).json()
        walked += [i["username"] for i in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert walked == everyone
    # the page shares the query
    page = client.get("/staff/admin/", {"after": everyone[0]})
    assert [u.username for u in page.context["rows"]] == everyone[1:]
