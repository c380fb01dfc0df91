"""The sign-in pages of an SSO login may redirect to the client's registered origin
(CSP form-action), and only there."""

import pytest

from .oidc_support import register

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def _form_action(response):
    policy = response.headers["Content-Security-Policy"]
    return next(
        part.split()[1:]
        for part in policy.split(";")
        if part.strip().startswith("form-action")
    )


def test_login_page_on_the_way_to_authorize_allows_the_client_origin(client):
    registered = register("A 系统", "https://rp-a.example.gov.cn/callback")
    next_url = (
        f"/o/authorize/?response_type=code&client_id="
        f"{registered.application.client_id}&redirect_uri=x"
    )
    response = client.get(LOGIN, {"next": next_url})
    assert _form_action(response) == ["'self'", "https://rp-a.example.gov.cn"]


@pytest.mark.parametrize("next_url", ["", "/me/", "/o/authorize/?client_id=unknown"])
def test_other_pages_keep_form_action_self(client, next_url):
    response = client.get(LOGIN, {"next": next_url} if next_url else {})
    assert _form_action(response) == ["'self'"]


def test_a_disabled_client_gets_no_exception(client):
    from zhengwu.identity.oidc import client_set_enabled

    from .oidc_support import security_admin

    registered = register("A 系统", "https://rp-a.example.gov.cn/callback")
    client_set_enabled(
        policy_pk=registered.policy.pk, enabled=False, acting_user=security_admin()
    )
    next_url = f"/o/authorize/?client_id={registered.application.client_id}"
    assert _form_action(client.get(LOGIN, {"next": next_url})) == ["'self'"]


def test_consent_page_for_an_untrusted_client_is_chinese_and_may_post_back(
    client, make_user
):
    import base64
    import hashlib

    registered = register(
        "外部系统", "https://ext.example.gov.cn/callback", trusted=False
    )
    client.force_login(make_user("consenting"))
    verifier = "v" * 50
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        .rstrip(b"=")
        .decode()
    )
    query = {
        "response_type": "code",
        "client_id": registered.application.client_id,
        "redirect_uri": "https://ext.example.gov.cn/callback",
        "scope": "openid profile",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": "s",
    }
    page = client.get("/o/authorize/", query)
    assert page.status_code == 200
    assert "同意并登录" in page.content.decode()
    assert "https://ext.example.gov.cn" in _form_action(page)
    # when: the user agrees
    form = {**query, "scope": "openid profile", "allow": "Authorize"}
    response = client.post("/o/authorize/", form)
    assert response.status_code == 302
    assert response["Location"].startswith("https://ext.example.gov.cn/callback?")
    assert "code=" in response["Location"]


@pytest.mark.parametrize(
    "path",
    [
        "/o/applications/",
        "/o/applications/register/",
        "/o/authorized_tokens/",
        "/o/device/",
        "/o/register/",
    ],
)
def test_toolkit_pages_outside_the_code_flow_are_not_routed(client, make_user, path):
    # Registering clients is the security administrator's (/staff/sso-clients/):
    # django-oauth-toolkit's own pages would let any signed-in user add one.
    from oauth2_provider.models import Application

    client.force_login(make_user("curious"))
    assert client.get(path).status_code == 404
    client.post(
        path,
        {
            "name": "x",
            "client_type": "confidential",
            "authorization_grant_type": "authorization-code",
            "redirect_uris": "https://x.example.com/cb",
        },
    )
    assert not Application.objects.exists()
