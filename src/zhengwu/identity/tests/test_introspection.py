"""Token introspection (RFC 7662) at /o/introspect/: a department system acting as
resource server authenticates with its client credentials and learns whether a
token is active, its scope, client, expiry and pairwise subject; only for tokens of
systems of its own organisation."""

import base64
import datetime
import secrets

from django.utils import timezone

import pytest
import requests
from oauth2_provider.models import AccessToken, set_token_value

from zhengwu.catalog.tests.factories import OrganisationFactory
from zhengwu.identity.oidc import client_set_enabled, revoke_user_tokens, subject_for

from .oidc_support import (
    browser_for,
    close_http_sessions,
    make_person_user,
    register,
    relying_party,
    security_admin,
    withdraw_scopes,
)

URL = "/o/introspect/"
RP = "https://bdc.example.gov.cn/callback"


def issue(user, registered, *, scope="openid profile", seconds=600):
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


def basic(registered, secret=None):
    pair = f"{registered.application.client_id}:{secret or registered.client_secret}"
    return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}


def ask(client, caller, token, secret=None):
    return client.post(URL, {"token": token}, headers=basic(caller, secret))


@pytest.fixture
def bureau(db):
    return OrganisationFactory()


@pytest.fixture
def issuer_client(bureau):
    """The system that obtained the token (the user logged in to it)."""
    return register("不动产登记系统", RP, organisation=bureau)


@pytest.fixture
def resource_server(bureau):
    """Another system of the same organisation, receiving the token."""
    return register(
        "不动产档案接口", "https://bdc-api.example.gov.cn/cb", organisation=bureau
    )


@pytest.fixture
def citizen(db):
    return make_person_user("citizen-introspect", "赵六")


def test_an_active_token_is_described_with_its_pairwise_subject(
    client, citizen, issuer_client, resource_server
):
    # given a token issued to a system of the bureau
    token = issue(citizen, issuer_client)
    stored = AccessToken.objects.get()
    # when another system of the bureau introspects it with its credentials
    response = ask(client, resource_server, token)
    # then it is active, with scope, client, expiry and the pairwise subject
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    body = response.json()
    assert body["active"] is True
    assert body["scope"] == "openid profile"
    assert body["client_id"] == issuer_client.application.client_id
    assert body["exp"] == int(stored.expires.timestamp())
    assert body["sub"] == subject_for(issuer_client.application, citizen)
    assert len(body["sub"]) == 64
    # never the user's id or username
    assert body["sub"] not in {str(citizen.pk), citizen.username}
    assert citizen.username not in response.content.decode()
    assert "username" not in body
    # and the issuing system may introspect its own token too
    assert ask(client, issuer_client, token).json()["active"] is True


@pytest.mark.parametrize(
    "case",
    ["revoked", "expired", "unknown", "client_disabled", "user_inactive", "withdrawn"],
)
def test_an_unusable_token_is_inactive(
    client, citizen, issuer_client, resource_server, case
):
    # given a token that cannot be used any more
    token = issue(citizen, issuer_client, seconds=-1 if case == "expired" else 600)
    if case == "revoked":
        assert revoke_user_tokens(citizen) == 1
    if case == "unknown":
        token = secrets.token_urlsafe(30)
    if case == "client_disabled":
        client_set_enabled(
            policy_pk=issuer_client.policy.pk,
            enabled=False,
            acting_user=security_admin(),
        )
    if case == "user_inactive":
        citizen.is_active = False
        citizen.save()
    if case == "withdrawn":  # every scope but openid withdrawn, openid never granted
        token = issue(citizen, issuer_client, scope="profile")
        withdraw_scopes(issuer_client, keep=("openid",))
    # when it is introspected
    response = ask(client, resource_server, token)
    # then the answer is only "inactive"
    assert response.status_code == 200
    assert response.json() == {"active": False}


def test_a_withdrawn_scope_is_not_reported(
    client, citizen, issuer_client, resource_server
):
    token = issue(citizen, issuer_client, scope="openid profile")
    withdraw_scopes(issuer_client, keep=("openid",))
    body = ask(client, resource_server, token).json()
    assert body["active"] is True and body["scope"] == "openid"


def test_another_organisations_token_is_inactive(client, citizen, issuer_client):
    # given a system of another organisation
    other = register("人社系统", "https://rs.example.gov.cn/cb")
    token = issue(citizen, issuer_client)
    # when it introspects the bureau's valid token
    response = ask(client, other, token)
    # then it learns nothing
    assert response.status_code == 200
    assert response.json() == {"active": False}


@pytest.mark.parametrize("how", ["wrong_secret", "no_credentials", "disabled_caller"])
def test_a_caller_that_does_not_authenticate_is_401(
    client, citizen, issuer_client, resource_server, how
):
    token = issue(citizen, issuer_client)
    if how == "wrong_secret":
        response = ask(client, resource_server, token, secret="not-the-secret")
    elif how == "no_credentials":
        response = client.post(URL, {"token": token})
    else:
        client_set_enabled(
            policy_pk=resource_server.policy.pk,
            enabled=False,
            acting_user=security_admin(),
        )
        response = ask(client, resource_server, token)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response["WWW-Authenticate"].startswith("Basic")
    assert "active" not in response.json()


def test_a_user_token_is_not_a_credential_for_introspection(
    client, citizen, issuer_client
):
    # DOT would accept a bearer token (scope "introspection"); the platform does not
    token = issue(citizen, issuer_client)
    response = client.post(
        URL, {"token": token}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401


def test_get_missing_token_and_malformed_input_are_refused_not_500(
    client, citizen, issuer_client, resource_server
):
    token = issue(citizen, issuer_client)
    # a token in a query string (it would end up in logs) is not accepted
    assert (
        client.get(URL, {"token": token}, headers=basic(resource_server)).status_code
        == 405
    )
    missing = client.post(URL, {}, headers=basic(resource_server))
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    nul = ask(client, resource_server, "abc\x00def")
    assert nul.status_code == 400 and nul.json()["error"] == "invalid_request"
    garbled = client.post(
        URL, {"token": token}, headers={"Authorization": "Basic 全角字符"}
    )
    assert garbled.status_code == 401
    huge = ask(client, resource_server, "x" * 10000)
    assert huge.status_code == 400


@pytest.fixture
def live(transactional_db, live_server):
    yield live_server
    close_http_sessions()  # after the test's responses are gone


def test_a_token_from_the_real_flow_is_introspected_over_http(live):
    live_server = live
    # given a citizen logged in to a bureau system through the real code flow
    bureau = OrganisationFactory()
    citizen = make_person_user("citizen-live-introspect", "钱七")
    issuer = register("不动产登记系统", RP, organisation=bureau)
    server = register(
        "不动产档案接口", "https://bdc-api.example.gov.cn/cb", organisation=bureau
    )
    rp = relying_party(live_server, issuer, RP)
    result = rp.login(browser_for(live_server, citizen))
    access_token = result["token"]["access_token"]
    # when the resource server introspects it (HTTP Basic, form body)
    auth = (server.application.client_id, server.client_secret)
    response = requests.post(
        f"{live_server.url}{URL}",
        data={"token": access_token, "token_type_hint": "access_token"},
        auth=auth,
        timeout=10,
    )
    # then it is active for the subject the ID token named
    body = response.json()
    assert response.status_code == 200
    assert body["active"] is True
    assert body["sub"] == result["claims"]["sub"]
    assert body["client_id"] == issuer.application.client_id
    assert set(body["scope"].split()) == {"openid", "profile"}
    # and once the user's tokens are revoked, inactive
    revoke_user_tokens(citizen)
    after = requests.post(
        f"{live_server.url}{URL}",
        data={"token": access_token},
        auth=auth,
        timeout=10,
    )
    assert after.json() == {"active": False}
