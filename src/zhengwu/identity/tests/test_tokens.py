"""API authentication by OIDC access token: a staff editor's token reaches the
catalogue API; expired, revoked, scope-less, withdrawn-scope or disabled-client tokens
are 401; a
token of a user without a catalogue role is 403."""

import datetime
import secrets

from django.utils import timezone

import pytest
from oauth2_provider.models import AccessToken, RefreshToken, set_token_value

from zhengwu.catalog.tests.factories import OrganisationFactory
from zhengwu.identity.constants import StaffRole
from zhengwu.identity.models import StaffMembership
from zhengwu.identity.oidc import client_set_enabled, revoke_user_tokens

from .oidc_support import make_person_user, register, security_admin, withdraw_scopes

API = "/api/v1/catalog/versions"


@pytest.fixture
def department_client(db):
    return register(
        "部门事项系统",
        "https://items.example.gov.cn/cb",
        scopes=("openid", "profile", "api"),
    )


def issue(user, registered, *, scope="openid api", seconds=600):
    raw = secrets.token_urlsafe(30)
    token = AccessToken(
        user=user,
        application=registered.application,
        scope=scope,
        expires=timezone.now() + datetime.timedelta(seconds=seconds),
    )
    set_token_value(token, raw)
    token.save()
    return raw


@pytest.fixture
def editor(make_user):
    user = make_user("editor-token")
    StaffMembership.objects.create(
        user=user,
        organisation=OrganisationFactory(),
        role=StaffRole.DEPARTMENT_EDITOR,
    )
    return user


def _get(client, token):
    return client.get(API, headers={"Authorization": f"Bearer {token}"})


def test_a_staff_editor_calls_the_catalogue_api_with_a_token(
    client, editor, department_client
):
    token = issue(editor, department_client)
    response = _get(client, token)
    assert response.status_code == 200, response.content
    assert "items" in response.json()


def test_the_token_is_not_stored_in_clear(editor, department_client):
    token = issue(editor, department_client)
    assert not AccessToken.objects.filter(token=token).exists()


@pytest.mark.parametrize(
    "case",
    [
        "expired",
        "revoked",
        "no_api_scope",
        "api_withdrawn",
        "client_disabled",
        "garbage",
    ],
)
def test_an_unusable_token_is_401(client, editor, department_client, case):
    # given
    token = issue(
        editor,
        department_client,
        seconds=-1 if case == "expired" else 600,
        scope="openid profile" if case == "no_api_scope" else "openid api",
    )
    if case == "revoked":
        assert revoke_user_tokens(editor) == 1
    if case == "api_withdrawn":  # after the token was issued
        withdraw_scopes(department_client, keep=("openid", "profile"))
    if case == "client_disabled":
        client_set_enabled(
            policy_pk=department_client.policy.pk,
            enabled=False,
            acting_user=security_admin(),
        )
    if case == "garbage":
        token = "not-a-token"
    # when
    response = _get(client, token)
    # then
    assert response.status_code == 401
    assert response.json()["code"] == "auth.required"


def test_an_invalid_token_is_401_even_with_a_valid_session(
    client, editor, department_client
):
    client.force_login(editor)
    assert client.get(API).status_code == 200
    assert _get(client, "revoked-or-made-up").status_code == 401


def test_a_token_of_a_user_without_a_catalogue_role_is_403(client, department_client):
    citizen = make_person_user("citizen-token")
    response = _get(client, issue(citizen, department_client))
    assert response.status_code == 403


def test_a_token_write_needs_no_csrf_token_but_a_session_write_does(
    client, editor, department_client
):
    # A bearer token is not sent by browsers on their own, so no CSRF check; the
    # session path keeps it. The payload is incomplete on purpose: authentication
    # passes (422), or not (401/403).
    token = issue(editor, department_client)
    with_token = client.post(
        "/api/v1/catalog/items",
        {},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert with_token.status_code in (403, 422)  # authenticated: the role decides
    from django.test import Client

    session_client = Client(enforce_csrf_checks=True)
    session_client.force_login(editor)
    without_csrf = session_client.post(
        "/api/v1/catalog/items", {}, content_type="application/json"
    )
    assert without_csrf.status_code in (401, 403)


def test_revoke_user_tokens_ends_access_refresh_and_id_tokens(
    editor, department_client
):
    other = make_person_user("bystander")
    issue(editor, department_client)
    kept = issue(other, department_client)
    access = AccessToken.objects.get(user=editor)
    refresh = RefreshToken(
        user=editor, application=department_client.application, access_token=access
    )
    set_token_value(refresh, secrets.token_urlsafe(30))
    refresh.save()
    # when
    revoked = revoke_user_tokens(editor)
    # then
    assert revoked == 2
    assert not AccessToken.objects.filter(user=editor).exists()
    refresh.refresh_from_db()
    assert refresh.revoked is not None
    assert AccessToken.objects.filter(user=other).count() == 1  # others untouched
    assert kept
