"""Identity: bearer-token validation latency (the API's token check, and the
userinfo endpoint in-process), token issuance (authorization code → tokens at
/o/token/, with PKCE S256 and a signed RS256 ID token) per second, and logins per
second through the real login pages with the production password hasher (Argon2,
not the test settings' MD5): a citizen by ID number and password, a staff member's
password step and the whole staff login (password + TOTP), and a citizen's SMS-code
login (code requested, read from the outbox, entered). Run with `make bench`;
results go to bench/RESULTS.md ("Identity")."""

import base64
import datetime
import hashlib
import itertools
import secrets

from django.test import Client
from django.utils import timezone

import pytest
from oauth2_provider.models import AccessToken, Grant, set_token_value

from zhengwu.conf import base as base_settings
from zhengwu.core.models import SmsMessage
from zhengwu.identity import persons
from zhengwu.identity.tests.login_helpers import (
    KNOWN_KEY,
    PASSWORD,
    code_for_key,
    enrol_device,
    make_staff,
)
from zhengwu.identity.tests.oidc_support import make_person_user, register
from zhengwu.identity.tests.person_factories import make_id_number, make_mobile
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


# --- logins through the pages, with the production password hasher ----------------


@pytest.fixture
def production_hashers(settings):
    """The hashers of ``conf/base.py`` (Argon2 first), as production stores and
    checks passwords; the ci settings use MD5 to keep the test suite fast."""
    settings.PASSWORD_HASHERS = base_settings.PASSWORD_HASHERS
    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def _citizen(name: str = "钱七"):
    id_number, mobile = make_id_number(), make_mobile()
    persons.register_person(
        name=name, id_number=id_number, mobile=mobile, password=PASSWORD
    )
    return id_number, mobile


def test_citizen_password_login(benchmark, production_hashers):
    id_number, _mobile = _citizen()
    addresses = itertools.count()

    def fresh_browser():
        return (Client(REMOTE_ADDR=f"10.20.{next(addresses) % 250}.1"),), {}

    def log_in(browser):
        return browser.post(
            "/accounts/login/", {"login_name": id_number, "password": PASSWORD}
        )

    response = benchmark.pedantic(
        log_in, setup=fresh_browser, rounds=100, iterations=1, warmup_rounds=2
    )
    assert response.status_code == 302 and response["Location"] == "/"


def test_staff_password_step(benchmark, production_hashers):
    make_staff("bench.staff", password=PASSWORD)

    def fresh_browser():
        return (Client(),), {}

    def password_step(browser):
        return browser.post(
            "/accounts/login/", {"login_name": "bench.staff", "password": PASSWORD}
        )

    response = benchmark.pedantic(
        password_step, setup=fresh_browser, rounds=100, iterations=1, warmup_rounds=2
    )
    # the pending login goes on to the second factor (no enrolled device yet here)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_staff_login_password_and_totp(benchmark, production_hashers):
    """The whole staff login; a TOTP code is single use per 30 s step, so each
    round is another staff member (made in the untimed setup)."""
    counter = itertools.count()

    def fresh_staff():
        username = f"bench.totp{next(counter)}"
        enrol_device(make_staff(username, password=PASSWORD), key=KNOWN_KEY)
        return (Client(), username, code_for_key(KNOWN_KEY)), {}

    def log_in(browser, username, code):
        first = browser.post(
            "/accounts/login/", {"login_name": username, "password": PASSWORD}
        )
        assert first["Location"] == "/accounts/login/verify/"
        return browser.post("/accounts/login/verify/", {"code": code})

    response = benchmark.pedantic(log_in, setup=fresh_staff, rounds=60, iterations=1)
    assert response.status_code == 302 and response["Location"] == "/staff/"


def test_citizen_sms_code_login(benchmark, production_hashers):
    """Code requested, read from the SMS outbox (one query), entered. Each round is
    another citizen and address: the sending limits (one code a minute per mobile,
    twenty an hour per address) are part of what is measured, not bypassed."""
    counter = itertools.count()

    def fresh_citizen():
        n = next(counter)
        _id_number, mobile = _citizen("孙七")
        return (Client(REMOTE_ADDR=f"10.30.{n // 250}.{n % 250}"), mobile), {}

    def log_in(browser, mobile):
        sent = browser.post(
            "/accounts/login/sms/", {"mobile": mobile, "action": "send"}
        )
        assert sent.status_code == 200
        text = SmsMessage.objects.filter(template="otp_login").latest("pk").text
        code = text.split("验证码为", 1)[1][:6]
        return browser.post(
            "/accounts/login/sms/", {"mobile": mobile, "code": code, "action": "login"}
        )

    response = benchmark.pedantic(log_in, setup=fresh_citizen, rounds=100, iterations=1)
    assert response.status_code == 302 and response["Location"] == "/"


# --- token introspection (RFC 7662) -------------------------------------------------


def test_token_introspection(benchmark, setup):
    """A resource server of the same organisation asks /o/introspect/ about an
    access token (HTTP Basic client authentication, the pairwise sub computed):
    the whole request through the test client, in-process."""
    _user, registered, raw = setup
    server = register(
        "基准测试资源服务",
        "https://bench-api.example.gov.cn/cb",
        organisation=registered.policy.organisation,
    )
    pair = f"{server.application.client_id}:{server.client_secret}"
    headers = {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}
    client = Client()

    def introspect():
        return client.post("/o/introspect/", {"token": raw}, headers=headers)

    response = benchmark.pedantic(introspect, rounds=300, iterations=1, warmup_rounds=5)
    assert response.status_code == 200
    assert response.json()["active"] is True


def test_token_introspection_production_hasher(benchmark, production_hashers, setup):
    """The same with the resource server's secret hashed by production's hasher
    (Argon2): django-oauth-toolkit checks the client secret on every request."""
    _user, registered, raw = setup
    server = register(
        "基准测试资源服务（Argon2）",
        "https://bench-api2.example.gov.cn/cb",
        organisation=registered.policy.organisation,
    )
    assert server.application.client_secret.startswith("argon2")
    pair = f"{server.application.client_id}:{server.client_secret}"
    headers = {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}
    client = Client()

    def introspect():
        return client.post("/o/introspect/", {"token": raw}, headers=headers)

    response = benchmark.pedantic(introspect, rounds=30, iterations=1, warmup_rounds=1)
    assert response.status_code == 200
    assert response.json()["active"] is True
