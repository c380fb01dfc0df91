"""Single sign-on: bearer-token validation latency (the API's token check, and the
userinfo endpoint in-process) and token issuance (authorization code → tokens at
/o/token/, with PKCE S256 and a signed RS256 ID token) per second. Run with
`make bench`; results go to bench/RESULTS.md ("Identity")."""

import base64
import datetime
import hashlib
import itertools
import secrets

from django.test import Client
from django.utils import timezone

import pytest
from oauth2_provider.models import AccessToken, Grant, set_token_value

from zhengwu.identity.tests.oidc_support import make_person_user, register
from zhengwu.identity.tokens import user_for_access_token

pytestmark = pytest.mark.django_db(transaction=False)

REDIRECT = "https://bench.example.gov.cn/callback"


@pytest.fixture
def setup(db):
    user = make_person_user("bench-citizen", "赵六")
    registered = register(
        "基准测试系统", REDIRECT, scopes=("openid", "profile", "phone", "api")
    )
    raw = secrets.token_urlsafe(30)
    token = AccessToken(
        user=user,
        application=registered.application,
        scope="openid profile phone api",
        expires=timezone.now() + datetime.timedelta(minutes=10),
    )
    set_token_value(token, raw)
    token.save()
    return user, registered, raw


def test_bearer_token_validation(benchmark, setup):
    user, _registered, raw = setup
    result = benchmark.pedantic(
        user_for_access_token, args=(raw,), rounds=500, iterations=1, warmup_rounds=5
    )
    assert result == user


def test_userinfo_request(benchmark, setup):
    _user, _registered, raw = setup
    client = Client()

    def userinfo():
        return client.get("/o/userinfo/", headers={"Authorization": f"Bearer {raw}"})

    response = benchmark.pedantic(userinfo, rounds=200, iterations=1, warmup_rounds=5)
    assert response.status_code == 200
    assert response.json()["name"] == "赵六"


def test_authorization_code_exchange(benchmark, setup):
    user, registered, _raw = setup
    client = Client()
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        .rstrip(b"=")
        .decode()
    )
    counter = itertools.count()

    def make_grant():
        code = f"bench-code-{next(counter)}-{secrets.token_urlsafe(8)}"
        Grant.objects.create(
            application=registered.application,
            user=user,
            code=code,
            expires=timezone.now() + datetime.timedelta(minutes=1),
            redirect_uri=REDIRECT,
            scope="openid profile",
            code_challenge=challenge,
            code_challenge_method="S256",
            nonce="n",
            claims="{}",
        )
        return (code,), {}

    def exchange(code):
        return client.post(
            "/o/token/",
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT,
                "client_id": registered.application.client_id,
                "client_secret": registered.client_secret,
                "code_verifier": verifier,
            },
        )

    response = benchmark.pedantic(exchange, setup=make_grant, rounds=200, iterations=1)
    assert response.status_code == 200, response.content
    assert "id_token" in response.json()
