"""Single sign-on end to end: a real OIDC client (authlib) against the live server,
ID tokens verified against the published JWKS, and the requests the provider must
refuse."""

import base64
import hashlib

import pytest
import requests
from authlib.integrations.base_client import OAuthError

from zhengwu.core.models import AuditEvent

from .oidc_support import (
    browser_for,
    close_http_sessions,
    make_person_user,
    query_of,
    register,
    relying_party,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _close_http_sessions(transactional_db, live_server):
    yield
    close_http_sessions()


RP_A = "https://rp-a.example.gov.cn/callback"
RP_B = "https://rp-b.example.gov.cn/callback"


@pytest.fixture
def citizen(transactional_db):
    return make_person_user("citizen-oidc", "李四", level=2)


def test_discovery_and_jwks_describe_a_pkce_s256_code_only_provider(live_server):
    # when
    document = requests.get(
        f"{live_server.url}/o/.well-known/openid-configuration", timeout=10
    ).json()
    jwks = requests.get(document["jwks_uri"], timeout=10).json()
    # then
    assert document["issuer"] == f"{live_server.url}/o"
    assert document["response_types_supported"] == ["code"]
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["subject_types_supported"] == ["pairwise"]
    assert "RS256" in document["id_token_signing_alg_values_supported"]
    assert document["end_session_endpoint"].endswith("/o/logout/")
    assert "zw_id_number" in document["claims_supported"]
    assert [key["kty"] for key in jwks["keys"]] == ["RSA"]
    assert "d" not in jwks["keys"][0]  # the public half only


def test_full_flow_signed_id_token_pairwise_subject_and_userinfo(live_server, citizen):
    # given
    registered = register("不动产登记系统", RP_A, scopes=("openid", "profile", "phone"))
    rp = relying_party(live_server, registered, RP_A, "openid profile phone")
    browser = browser_for(live_server, citizen)
    # when
    result = rp.login(browser)
    info = rp.userinfo(result["token"]["access_token"])
    # then: the ID token verified against the JWKS (in rp.login) names a pairwise sub
    claims = result["claims"]
    assert claims["sub"] != str(citizen.pk)
    assert len(claims["sub"]) == 64
    assert claims["acr"] == "zhengwu:L2"
    assert "name" not in claims and "phone_number" not in claims  # userinfo only
    assert result["token"]["expires_in"] <= 600
    assert info.status_code == 200
    body = info.json()
    assert body["sub"] == claims["sub"]
    assert body["name"] == "李四"
    assert body["phone_number"] == citizen.clear_mobile
    assert "zw_id_number" not in body
    release = AuditEvent.objects.get(event="identity.personal_data_released")
    assert release.data["claims"] == ["phone_number"]
    login = AuditEvent.objects.get(event="identity.sso_login")
    assert login.actor == citizen
    assert login.data["client_id"] == registered.application.client_id
    assert citizen.clear_mobile not in str(release.data)


def test_second_client_logs_in_without_a_prompt_and_sees_another_subject(
    live_server, citizen
):
    # given: one platform session
    a = register("A 系统", RP_A)
    b = register("B 系统", RP_B)
    browser = browser_for(live_server, citizen)
    # when: both systems send the user to the provider
    first = relying_party(live_server, a, RP_A).login(browser)
    second = relying_party(live_server, b, RP_B).login(browser)
    again = relying_party(live_server, a, RP_A).login(browser)
    # then: no login page in between; subjects differ by sector, stable per client
    assert first["claims"]["sub"] != second["claims"]["sub"]
    assert first["claims"]["sub"] == again["claims"]["sub"]


def test_id_number_only_for_a_client_whose_policy_allows_it(live_server, citizen):
    # given
    allowed = register("公安户政系统", RP_A, scopes=("openid", "profile", "id_number"))
    other = register("文旅系统", RP_B, scopes=("openid", "profile"))
    browser = browser_for(live_server, citizen)
    # when: the allowed client asks for the scope
    result = relying_party(
        live_server, allowed, RP_A, "openid profile id_number"
    ).login(browser)
    info = relying_party(live_server, allowed, RP_A).userinfo(
        result["token"]["access_token"]
    )
    # then
    assert info.json()["zw_id_number"] == citizen.clear_id_number
    assert "zw_id_number" not in result["claims"]
    released = AuditEvent.objects.get(event="identity.personal_data_released")
    assert released.data["claims"] == ["zw_id_number"]
    assert citizen.clear_id_number not in str(released.data)

    # when: the other client asks for it anyway
    rp = relying_party(live_server, other, RP_B, "openid profile id_number")
    _oauth, url, _verifier, _nonce = rp.start()
    response = browser.get(url, allow_redirects=False)
    # then: refused, no code, nothing released
    assert response.status_code == 302
    assert query_of(response.headers["Location"])["error"] == "invalid_scope"
    assert (
        AuditEvent.objects.filter(event="identity.personal_data_released").count() == 1
    )


def test_a_policy_narrowed_after_the_grant_stops_the_id_number_at_once(
    live_server, citizen
):
    # given
    registered = register("公安户政系统", RP_A, scopes=("openid", "id_number"))
    rp = relying_party(live_server, registered, RP_A, "openid id_number")
    token = rp.login(browser_for(live_server, citizen))["token"]
    # when
    registered.policy.allowed_scopes = ["openid"]
    registered.policy.save()
    body = rp.userinfo(token["access_token"]).json()
    # then
    assert "zw_id_number" not in body


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _authorize(live_server, browser, client_id, redirect_uri, **params):
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": "openid",
        "state": "s1",
        **params,
    }
    return browser.get(
        f"{live_server.url}/o/authorize/", params=query, allow_redirects=False
    )


@pytest.mark.parametrize(
    "pkce",
    [
        {},  # no challenge at all
        {"code_challenge": "x" * 43, "code_challenge_method": "plain"},
        {"code_challenge": "x" * 43},  # no method means plain (RFC 7636 4.3)
    ],
    ids=["missing", "plain", "method-omitted"],
)
def test_authorization_without_an_s256_challenge_is_refused(live_server, citizen, pkce):
    from oauth2_provider.models import Grant

    # given
    registered = register("A 系统", RP_A)
    browser = browser_for(live_server, citizen)
    # when
    response = _authorize(
        live_server, browser, registered.application.client_id, RP_A, **pkce
    )
    # then: an error back to the client, and no code was issued
    assert response.status_code in (302, 400)
    if response.status_code == 302:
        query = query_of(response.headers["Location"])
        assert query["error"] == "invalid_request"
        assert "code" not in query
    assert not Grant.objects.exists()


def test_an_unregistered_redirect_uri_is_refused_without_redirecting(
    live_server, citizen
):
    from oauth2_provider.models import Grant

    registered = register("A 系统", RP_A)
    browser = browser_for(live_server, citizen)
    for uri in (
        "https://evil.example.com/callback",
        RP_A + "?next=x",
        "https://rp-a.example.gov.cn/callback/",
    ):
        response = _authorize(
            live_server,
            browser,
            registered.application.client_id,
            uri,
            code_challenge=_challenge("v" * 50),
            code_challenge_method="S256",
        )
        assert response.status_code == 400, uri  # shown, never redirected there
        assert "Location" not in response.headers
    assert not Grant.objects.exists()


def test_a_code_is_single_use_and_bound_to_its_client(live_server, citizen):
    a = register("A 系统", RP_A)
    b = register("B 系统", RP_B)
    rp_a = relying_party(live_server, a, RP_A)
    rp_b = relying_party(live_server, b, RP_B)
    browser = browser_for(live_server, citizen)

    # client B cannot exchange a code issued to A
    oauth, url, verifier, _nonce = rp_a.start()
    location = browser.get(url, allow_redirects=False).headers["Location"]
    code = query_of(location)["code"]
    with pytest.raises(OAuthError) as refused:
        rp_b.session().fetch_token(
            f"{live_server.url}/o/token/",
            code=code,
            code_verifier=verifier,
            redirect_uri=RP_A,
        )
    assert refused.value.error == "invalid_grant"

    # A exchanges it once; a second exchange is refused
    token = oauth.fetch_token(
        f"{live_server.url}/o/token/",
        authorization_response=location,
        code_verifier=verifier,
    )
    assert rp_a.verify_id_token(token["id_token"])["aud"] == a.application.client_id
    with pytest.raises(OAuthError) as reused:
        rp_a.session().fetch_token(
            f"{live_server.url}/o/token/",
            code=code,
            code_verifier=verifier,
        )
    assert reused.value.error == "invalid_grant"
    # and the tokens issued for that code are revoked: it may have leaked
    assert rp_a.userinfo(token["access_token"]).status_code == 401
    with pytest.raises(OAuthError):
        rp_a.session().refresh_token(
            f"{live_server.url}/o/token/", refresh_token=token["refresh_token"]
        )
    reuse = AuditEvent.objects.get(event="identity.sso_code_reused")
    assert reuse.outcome == "failure"
    assert reuse.data["tokens_revoked"] >= 2


def test_a_wrong_pkce_verifier_or_secret_is_refused(live_server, citizen):
    a = register("A 系统", RP_A)
    rp = relying_party(live_server, a, RP_A)
    browser = browser_for(live_server, citizen)
    oauth, url, _verifier, _nonce = rp.start()
    location = browser.get(url, allow_redirects=False).headers["Location"]
    with pytest.raises(OAuthError):
        oauth.fetch_token(
            f"{live_server.url}/o/token/",
            authorization_response=location,
            code_verifier="w" * 50,
        )


def test_refresh_tokens_rotate_and_an_old_one_is_refused(live_server, citizen):
    a = register("A 系统", RP_A)
    rp = relying_party(live_server, a, RP_A)
    first = rp.login(browser_for(live_server, citizen))["token"]
    oauth = rp.session()
    # when
    second = oauth.refresh_token(
        f"{live_server.url}/o/token/", refresh_token=first["refresh_token"]
    )
    # then
    assert second["refresh_token"] != first["refresh_token"]
    with pytest.raises(OAuthError) as reused:
        rp.session().refresh_token(
            f"{live_server.url}/o/token/", refresh_token=first["refresh_token"]
        )
    assert reused.value.error == "invalid_grant"
    # reuse of a rotated token revokes the whole family (theft detection)
    with pytest.raises(OAuthError):
        rp.session().refresh_token(
            f"{live_server.url}/o/token/", refresh_token=second["refresh_token"]
        )


def test_a_disabled_client_gets_nothing_and_its_tokens_stop(live_server, citizen):
    from zhengwu.identity.oidc import client_set_enabled

    from .oidc_support import security_admin

    a = register("A 系统", RP_A)
    rp = relying_party(live_server, a, RP_A)
    browser = browser_for(live_server, citizen)
    token = rp.login(browser)["token"]
    # when
    client_set_enabled(
        policy_pk=a.policy.pk, enabled=False, acting_user=security_admin()
    )
    # then
    assert rp.userinfo(token["access_token"]).status_code == 401
    _oauth, url, _v, _n = rp.start()
    assert browser.get(url, allow_redirects=False).status_code == 400


def test_rp_initiated_logout_ends_the_platform_session_and_the_tokens(
    live_server, citizen
):
    # given
    a = register("A 系统", RP_A, logout_uri="https://rp-a.example.gov.cn/bye")
    rp = relying_party(live_server, a, RP_A)
    browser = browser_for(live_server, citizen)
    result = rp.login(browser)
    # when
    response = browser.get(
        f"{live_server.url}/o/logout/",
        params={
            "id_token_hint": result["token"]["id_token"],
            "post_logout_redirect_uri": "https://rp-a.example.gov.cn/bye",
            "state": "st",
        },
        allow_redirects=False,
    )
    # then: back at the client, the tokens are dead, SSO asks for a login again
    assert response.status_code == 302
    assert response.headers["Location"] == "https://rp-a.example.gov.cn/bye?state=st"
    assert rp.userinfo(result["token"]["access_token"]).status_code == 401
    _oauth, url, _v, _n = rp.start()
    again = browser.get(url, allow_redirects=False)
    assert again.status_code == 302
    assert not again.headers["Location"].startswith(RP_A)  # to the login page


def test_a_logout_with_the_id_token_alone_revokes_its_tokens_audited(
    live_server, citizen
):
    # given: signed in to A; the logout request comes without the user's session
    a = register("A 系统", RP_A, logout_uri="https://rp-a.example.gov.cn/bye")
    rp = relying_party(live_server, a, RP_A)
    browser = browser_for(live_server, citizen)
    result = rp.login(browser)
    # when
    response = requests.get(
        f"{live_server.url}/o/logout/",
        params={
            "id_token_hint": result["token"]["id_token"],
            "post_logout_redirect_uri": "https://rp-a.example.gov.cn/bye",
        },
        allow_redirects=False,
        timeout=10,
    )
    # then: the tokens are dead and that is on record; the session lives on
    assert response.status_code == 302
    assert rp.userinfo(result["token"]["access_token"]).status_code == 401
    event = AuditEvent.objects.get(event="identity.logout")
    assert event.actor is None
    assert event.actor_label == f"client:{a.application.client_id}"
    assert event.data["via"] == "id_token_hint"
    assert event.data["user"] == citizen.get_username()
    assert event.data["tokens"] >= 1
    _oauth, url, _v, _n = rp.start()
    assert browser.get(url, allow_redirects=False).headers["Location"].startswith(RP_A)


def test_an_unregistered_post_logout_uri_is_refused(live_server, citizen):
    a = register("A 系统", RP_A, logout_uri="https://rp-a.example.gov.cn/bye")
    rp = relying_party(live_server, a, RP_A)
    browser = browser_for(live_server, citizen)
    result = rp.login(browser)
    response = browser.get(
        f"{live_server.url}/o/logout/",
        params={
            "id_token_hint": result["token"]["id_token"],
            "post_logout_redirect_uri": "https://evil.example.com/",
        },
        allow_redirects=False,
    )
    assert response.status_code == 400
    assert rp.userinfo(result["token"]["access_token"]).status_code == 200


def test_platform_logout_revoking_tokens_ends_sso(live_server, citizen):
    from zhengwu.identity.oidc import revoke_user_tokens

    a = register("A 系统", RP_A)
    rp = relying_party(live_server, a, RP_A)
    browser = browser_for(live_server, citizen)
    result = rp.login(browser)
    # when: what logout everywhere does for SSO
    assert revoke_user_tokens(citizen) >= 2
    # then
    assert rp.userinfo(result["token"]["access_token"]).status_code == 401
    with pytest.raises(OAuthError):
        rp.session().refresh_token(
            f"{live_server.url}/o/token/",
            refresh_token=result["token"]["refresh_token"],
        )


def test_rp_logout_ends_every_platform_session_of_the_user(live_server, citizen):
    a = register("A 系统", RP_A, logout_uri="https://rp-a.example.gov.cn/bye")
    rp = relying_party(live_server, a, RP_A)
    laptop, phone = browser_for(live_server, citizen), browser_for(live_server, citizen)
    result = rp.login(laptop)
    # when: logging out from the department system on the laptop
    laptop.get(
        f"{live_server.url}/o/logout/",
        params={
            "id_token_hint": result["token"]["id_token"],
            "post_logout_redirect_uri": "https://rp-a.example.gov.cn/bye",
        },
        allow_redirects=False,
    )
    # then: the phone's platform session ended too (SSO asks for a login again)
    _oauth, url, _v, _n = rp.start()
    again = phone.get(url, allow_redirects=False)
    assert not again.headers["Location"].startswith(RP_A)
    assert AuditEvent.objects.filter(event="identity.logout").exists()


def test_a_refresh_token_is_refused_to_another_client(live_server, citizen):
    a = register("A 系统", RP_A)
    b = register("B 系统", RP_B)
    token = relying_party(live_server, a, RP_A).login(browser_for(live_server, citizen))
    with pytest.raises(OAuthError) as refused:
        relying_party(live_server, b, RP_B).session().refresh_token(
            f"{live_server.url}/o/token/",
            refresh_token=token["token"]["refresh_token"],
        )
    assert refused.value.error == "invalid_grant"
    # and A's own refresh still works: B's attempt did not consume it
    refreshed = (
        relying_party(live_server, a, RP_A)
        .session()
        .refresh_token(
            f"{live_server.url}/o/token/",
            refresh_token=token["token"]["refresh_token"],
        )
    )
    assert refreshed["access_token"]


def test_the_logout_prompt_may_send_the_user_back_to_the_client(live_server, citizen):
    # A hint for another user than the signed-in one: the provider asks first, and
    # its confirmation form may redirect to the client's registered origin.
    a = register("A 系统", RP_A, logout_uri="https://rp-a.example.gov.cn/bye")
    rp = relying_party(live_server, a, RP_A)
    other = make_person_user("someone-else", "吴十一")
    hint = rp.login(browser_for(live_server, other))["token"]["id_token"]
    page = browser_for(live_server, citizen).get(
        f"{live_server.url}/o/logout/",
        params={
            "id_token_hint": hint,
            "post_logout_redirect_uri": "https://rp-a.example.gov.cn/bye",
        },
    )
    assert page.status_code == 200
    assert "退出统一身份登录" in page.text
    assert "https://rp-a.example.gov.cn" in page.headers["Content-Security-Policy"]


def test_a_token_from_the_flow_calls_the_catalogue_api_as_the_staff_member(
    live_server, make_user
):
    from zhengwu.catalog.tests.factories import OrganisationFactory
    from zhengwu.identity.constants import StaffRole
    from zhengwu.identity.models import StaffMembership

    # given: a department editor signed in to the platform, a system allowed `api`
    editor = make_user("editor-sso")
    StaffMembership.objects.create(
        user=editor,
        organisation=OrganisationFactory(),
        role=StaffRole.DEPARTMENT_EDITOR,
    )
    a = register("事项管理系统", RP_A, scopes=("openid", "api"))
    rp = relying_party(live_server, a, RP_A, "openid api")
    token = rp.login(browser_for(live_server, editor))["token"]
    api = f"{live_server.url}/api/v1/catalog/versions"
    # when / then
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert requests.get(api, headers=headers, timeout=10).status_code == 200
    # and once the platform logs the user out everywhere, the token is dead
    from zhengwu.identity.accounts import logout_everywhere

    logout_everywhere(editor)
    assert requests.get(api, headers=headers, timeout=10).status_code == 401
