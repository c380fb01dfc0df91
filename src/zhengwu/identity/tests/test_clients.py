"""SSO client administration: only the security administrator (not a superuser)
registers, changes and disables department systems; every change is audited; the
client secret is shown once and stored hashed."""

import pytest
from oauth2_provider.models import Application

from zhengwu.catalog.tests.factories import OrganisationFactory
from zhengwu.core.models import AuditEvent
from zhengwu.identity.constants import StaffRole
from zhengwu.identity.models import ClientPolicy, StaffMembership

from .oidc_support import make_person_user, register

URL = "/staff/sso-clients/"


def _staff(make_user, username, role):
    user = make_user(username)
    if role is not None:
        StaffMembership.objects.create(
            user=user, organisation=OrganisationFactory(), role=role
        )
    return user


def _form(organisation, **overrides):
    data = {
        "name": "不动产登记系统",
        "organisation": str(organisation.pk),
        "redirect_uris": "https://bdc.example.gov.cn/oidc/callback",
        "post_logout_redirect_uris": "https://bdc.example.gov.cn/",
        "allowed_scopes": ["profile", "phone"],
        "trusted": "on",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    "kind, allowed",
    [
        ("anonymous", False),
        ("citizen", False),
        ("department_editor", False),
        ("system_admin", False),
        ("audit_admin", False),
        ("security_admin", True),
        ("superuser", False),
    ],
)
def test_only_the_security_administrator_registers_clients(
    client, make_user, kind, allowed
):
    # given
    organisation = OrganisationFactory()
    if kind == "citizen":
        client.force_login(make_person_user("citizen-c"))
    elif kind == "superuser":
        client.force_login(make_user("root", superuser=True))
    elif kind != "anonymous":
        client.force_login(_staff(make_user, kind, StaffRole(kind)))
    # when
    listing = client.get(URL)
    response = client.post(f"{URL}new/", _form(organisation))
    # then
    if kind == "anonymous":
        assert listing.status_code == 302 and response.status_code == 302
        assert "login" in response["Location"]
    else:
        assert listing.status_code == (200 if allowed else 403)
        assert response.status_code == (302 if allowed else 403)
    assert Application.objects.exists() is allowed
    assert ClientPolicy.objects.exists() is allowed
    assert AuditEvent.objects.filter(event="identity.client_registered").exists() is (
        allowed
    )


def test_registration_creates_a_confidential_rs256_code_client_and_shows_the_secret_once(
    client, make_user
):
    # given
    admin = _staff(make_user, "secadmin", StaffRole.SECURITY_ADMIN)
    client.force_login(admin)
    organisation = OrganisationFactory()
    # when
    response = client.post(f"{URL}new/", _form(organisation))
    page = client.get(URL)
    again = client.get(URL)
    # then
    assert response.status_code == 302
    application = Application.objects.get()
    policy = application.policy
    assert application.client_type == Application.CLIENT_CONFIDENTIAL
    assert application.authorization_grant_type == "authorization-code"
    assert application.algorithm == "RS256"
    assert application.skip_authorization is True
    assert application.redirect_uris == "https://bdc.example.gov.cn/oidc/callback"
    assert policy.allowed_scopes == ["openid", "phone", "profile"]
    assert policy.sector_identifier == "bdc.example.gov.cn"
    assert policy.organisation == organisation
    secret = page.context["new_secret"]["client_secret"]
    assert secret in page.content.decode()
    assert secret not in again.content.decode()  # shown once
    assert application.client_secret != secret  # stored hashed
    event = AuditEvent.objects.get(event="identity.client_registered")
    assert event.actor == admin
    assert secret not in str(event.data)


@pytest.mark.parametrize(
    "field, value",
    [
        ("redirect_uris", "http://bdc.example.gov.cn/callback"),  # http off loopback
        ("redirect_uris", "https://*.example.gov.cn/callback"),
        ("redirect_uris", "https://bdc.example.gov.cn/cb#frag"),
        ("redirect_uris", ""),
        ("redirect_uris", "https://[bdc.example.gov.cn/cb"),
        ("redirect_uris", "https://bdc.example.gov.cn:99999/cb"),
        ("redirect_uris", "https://bdc\u2100example.gov.cn/cb"),
        ("redirect_uris", "https://-.gov.cn/cb"),  # (refused by DOT's validator)
        ("post_logout_redirect_uris", "ftp://bdc.example.gov.cn/"),
        ("post_logout_redirect_uris", "https://[bdc.example.gov.cn/"),
        ("name", " "),
    ],
)
def test_an_invalid_client_is_refused_field_by_field_and_nothing_is_saved(
    client, make_user, field, value
):
    client.force_login(_staff(make_user, "secadmin", StaffRole.SECURITY_ADMIN))
    response = client.post(f"{URL}new/", _form(OrganisationFactory(), **{field: value}))
    assert response.status_code == 422
    assert response.context["form"].errors.get(field)
    assert f'aria-describedby="id_{field}' in response.content.decode()
    assert not Application.objects.exists()
    assert not AuditEvent.objects.filter(event="identity.client_registered").exists()


def test_loopback_http_is_accepted_for_development(client, make_user):
    client.force_login(_staff(make_user, "secadmin", StaffRole.SECURITY_ADMIN))
    response = client.post(
        f"{URL}new/",
        _form(
            OrganisationFactory(),
            redirect_uris="http://localhost:8001/callback\nhttp://127.0.0.1:8001/cb",
        ),
    )
    assert response.status_code == 302
    assert Application.objects.get().redirect_uris.split() == [
        "http://localhost:8001/callback",
        "http://127.0.0.1:8001/cb",
    ]


def test_editing_is_audited_with_the_changes_and_keeps_the_sector(client, make_user):
    registered = register("A 系统", "https://a.example.gov.cn/cb")
    client.force_login(_staff(make_user, "secadmin", StaffRole.SECURITY_ADMIN))
    url = f"{URL}{registered.policy.pk}/"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        _form(
            registered.policy.organisation,
            name="A 系统（新）",
            redirect_uris="https://new.example.gov.cn/cb",
            allowed_scopes=["profile", "id_number"],
        ),
    )
    assert response.status_code == 302
    registered.policy.refresh_from_db()
    assert registered.policy.application.name == "A 系统（新）"
    assert registered.policy.allowed_scopes == ["openid", "id_number", "profile"]
    assert registered.policy.sector_identifier == "a.example.gov.cn"
    event = AuditEvent.objects.get(event="identity.client_changed")
    assert set(event.data["changes"]) >= {"name", "redirect_uris", "allowed_scopes"}


def test_an_audit_administrator_cannot_disable_a_client(client, make_user):
    registered = register("A 系统", "https://a.example.gov.cn/cb")
    client.force_login(_staff(make_user, "auditor", StaffRole.AUDIT_ADMIN))
    response = client.post(f"{URL}{registered.policy.pk}/enabled/", {"enabled": "0"})
    registered.policy.refresh_from_db()
    assert response.status_code == 403
    assert registered.policy.disabled_at is None
    assert not AuditEvent.objects.filter(event="identity.client_changed").exists()


def test_disabling_and_enabling_a_client(client, make_user):
    registered = register("A 系统", "https://a.example.gov.cn/cb")
    client.force_login(_staff(make_user, "secadmin", StaffRole.SECURITY_ADMIN))
    url = f"{URL}{registered.policy.pk}/enabled/"
    client.post(url, {"enabled": "0"})
    registered.policy.refresh_from_db()
    assert registered.policy.disabled_at is not None
    client.post(url, {"enabled": "1"})
    registered.policy.refresh_from_db()
    assert registered.policy.disabled_at is None
    assert AuditEvent.objects.filter(event="identity.client_changed").count() == 2


@pytest.mark.parametrize("role", [StaffRole.SYSTEM_ADMIN, StaffRole.AUDIT_ADMIN])
def test_only_the_security_administrator_resets_a_secret(client, make_user, role):
    registered = register("A 系统", "https://a.example.gov.cn/cb")
    before = Application.objects.get().client_secret
    client.force_login(_staff(make_user, "other-admin", role))
    response = client.post(f"{URL}{registered.policy.pk}/secret/")
    assert response.status_code == 403
    assert Application.objects.get().client_secret == before


def test_resetting_a_secret_shows_the_new_one_once_and_the_old_one_stops(
    client, make_user
):
    from django.contrib.auth.hashers import check_password

    registered = register("A 系统", "https://a.example.gov.cn/cb")
    client.force_login(_staff(make_user, "secadmin", StaffRole.SECURITY_ADMIN))
    client.post(f"{URL}{registered.policy.pk}/secret/")
    page = client.get(URL)
    secret = page.context["new_secret"]["client_secret"]
    stored = Application.objects.get().client_secret
    assert check_password(secret, stored)
    assert not check_password(registered.client_secret, stored)
    assert secret not in client.get(URL).content.decode()
    event = AuditEvent.objects.get(event="identity.client_changed")
    assert event.data["changes"] == {"secret": "reset"}


def test_a_superuser_cannot_administer_clients_and_nothing_changes(client, make_user):
    # given a registered client and a superuser (break-glass, no administrator role)
    registered = register("社保系统", "https://sb.example.gov.cn/callback")
    application, policy = registered.application, registered.policy
    before = (application.name, application.redirect_uris, application.client_secret)
    audited = AuditEvent.objects.count()
    client.force_login(make_user("root", superuser=True))
    base = f"{URL}{policy.pk}/"
    # when they open, edit, disable it and reset its secret
    responses = [
        client.get(URL),
        client.get(base),
        client.post(base, _form(policy.organisation, name="被改名的系统")),
        client.post(f"{base}enabled/", {"enabled": "0"}),
        client.post(f"{base}secret/"),
        client.post(f"{URL}new/", _form(OrganisationFactory())),
    ]
    # then every request is refused and nothing changed
    assert [r.status_code for r in responses] == [403] * 6
    application.refresh_from_db()
    policy.refresh_from_db()
    assert (
        application.name,
        application.redirect_uris,
        application.client_secret,
    ) == before
    assert policy.disabled_at is None
    assert Application.objects.count() == ClientPolicy.objects.count() == 1
    assert AuditEvent.objects.count() == audited
