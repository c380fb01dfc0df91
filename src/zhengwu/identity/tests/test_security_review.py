"""Security review of the login flow: the TOTP step is locked out like the
password step, a right password does not wipe the count of wrong codes, the session
key changes at each step, open redirects through ``next`` are refused, every state
change needs the CSRF token, and pages cannot be framed."""

from django.test import Client

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from zhengwu.core.models import AuditEvent
from zhengwu.identity import persons
from zhengwu.identity.constants import LockScope
from zhengwu.identity.models import LoginLock

from .login_helpers import PASSWORD, current_code, enrol_device, make_staff
from .person_factories import make_id_number, make_mobile

pytestmark = pytest.mark.django_db

GENERIC = "账号或密码错误，或账号已被暂时锁定，请稍后再试。"
CITIZEN_PASSWORD = "Shimin#2026x"


def password_step(client, username, *, ip="10.0.0.7", password=PASSWORD):
    return client.post(
        "/accounts/login/",
        {"login_name": username, "password": password},
        REMOTE_ADDR=ip,
    )


def totp_step(client, code, *, ip="10.0.0.7"):
    return client.post("/accounts/login/verify/", {"code": code}, REMOTE_ADDR=ip)


def wrong_code(device) -> str:
    # As if django-otp's back-off after the previous wrong code were over: a code
    # sent during it is not checked, so it is not counted towards the lock.
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)
    right = current_code(device)
    return f"{(int(right) + 1) % 1_000_000:06d}"


# --- the TOTP step --------------------------------------------------------------------


def test_five_wrong_totp_codes_lock_the_account_even_against_the_right_code(client):
    # given a staff member whose password an attacker knows
    user = make_staff("guessed")
    device = enrol_device(user)
    assert password_step(client, "guessed").status_code == 302
    # when the attacker tries five wrong codes
    for _ in range(5):
        response = totp_step(client, wrong_code(device))
    # then the pending login ends with the generic refusal and the account is locked
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert LoginLock.objects.filter(
        scope=LockScope.ACCOUNT, locked_until__isnull=False
    ).exists()
    # and neither the right code nor the right password gets in for now
    assert totp_step(client, current_code(device))["Location"] == "/accounts/login/"
    again = password_step(Client(), "guessed", ip="10.0.0.8")
    assert again.status_code == 401 and GENERIC in again.content.decode()
    assert "_auth_user_id" not in client.session
    reasons = list(
        AuditEvent.objects.filter(event="identity.login_failed").values_list(
            "data__reason", flat=True
        )
    )
    assert reasons.count("wrong_totp") == 5
    assert AuditEvent.objects.filter(event="identity.locked").exists()


def test_the_right_password_does_not_reset_the_count_of_wrong_codes(client):
    # given a staff member and an attacker who knows the password
    user = make_staff("reset_trick")
    device = enrol_device(user)
    # when the attacker alternates: password, four wrong codes, password again, …
    for round_ in range(2):
        assert password_step(client, "reset_trick", ip=f"10.1.0.{round_}").status_code
        for _ in range(4 if round_ == 0 else 1):
            totp_step(client, wrong_code(device), ip=f"10.1.0.{round_}")
    # then the fifth wrong code (over two rounds and two addresses) locks the account
    assert LoginLock.objects.filter(
        scope=LockScope.ACCOUNT, locked_until__isnull=False
    ).exists()
    refused = password_step(Client(), "reset_trick", ip="10.1.0.9")
    assert refused.status_code == 401


def test_a_completed_login_resets_the_account_count(client):
    user = make_staff("steady")
    device = enrol_device(user)
    password_step(client, "steady")
    totp_step(client, wrong_code(device))
    assert LoginLock.objects.get(scope=LockScope.ACCOUNT).failures == 1
    device.throttle_reset()  # django-otp's own back-off after a wrong code has passed
    assert totp_step(client, current_code(device)).status_code == 302
    assert not LoginLock.objects.filter(scope=LockScope.ACCOUNT).exists()


def test_wrong_totp_codes_count_against_the_source_address(client):
    # given five staff members and one address guessing codes for all of them
    for n in range(5):
        user = make_staff(f"target{n}")
        device = enrol_device(user)
        browser = Client()
        password_step(browser, f"target{n}", ip="10.2.0.1")
        totp_step(browser, wrong_code(device), ip="10.2.0.1")
    # then the address is locked for everyone
    assert LoginLock.objects.filter(
        scope=LockScope.ADDRESS, key="10.2.0.1", locked_until__isnull=False
    ).exists()
    user = make_staff("bystander")
    enrol_device(user)
    assert password_step(Client(), "bystander", ip="10.2.0.1").status_code == 401


# --- session fixation ------------------------------------------------------------


def test_the_session_key_changes_at_the_password_step_and_at_completion(client):
    user = make_staff("fixated")
    device = enrol_device(user)
    client.get("/accounts/login/")
    client.session.save()
    planted = client.session.session_key
    # an attacker's planted session key does not survive the password step …
    password_step(client, "fixated")
    pending_key = client.session.session_key
    assert pending_key and pending_key != planted
    # … nor the completed login
    totp_step(client, current_code(device))
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.session.session_key not in {planted, pending_key}


def test_the_session_key_changes_at_a_citizen_login(client):
    id_number = make_id_number()
    persons.register_person(
        name="张三",
        id_number=id_number,
        mobile=make_mobile(),
        password=CITIZEN_PASSWORD,
    )
    client.get("/accounts/login/")
    client.session.save()
    planted = client.session.session_key
    assert (
        password_step(client, id_number, password=CITIZEN_PASSWORD).status_code == 302
    )
    assert client.session.session_key != planted
    assert "_auth_user_id" in client.session


# --- open redirects ---------------------------------------------------------------


EVIL = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "https:evil.example",
    "javascript:alert(1)",
]


@pytest.mark.parametrize("target", EVIL)
def test_login_next_never_leaves_the_site(client, target):
    id_number = make_id_number()
    persons.register_person(
        name="李四",
        id_number=id_number,
        mobile=make_mobile(),
        password=CITIZEN_PASSWORD,
    )
    response = client.post(
        f"/accounts/login/?next={target}",
        {"login_name": id_number, "password": CITIZEN_PASSWORD, "next": target},
    )
    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.parametrize("target", EVIL)
def test_staff_next_kept_through_the_totp_step_never_leaves_the_site(client, target):
    user = make_staff("redirected")
    device = enrol_device(user)
    client.post(
        "/accounts/login/",
        {"login_name": "redirected", "password": PASSWORD, "next": target},
    )
    done = totp_step(client, current_code(device))
    assert done.status_code == 302
    assert done["Location"].startswith("/") and not done["Location"].startswith("//")
    assert "evil" not in done["Location"]


def test_logout_ignores_next(client):
    user = make_staff("leaver")
    client.force_login(user)
    response = client.post("/accounts/logout/?next=https://evil.example/")
    assert response.status_code == 302 and "evil" not in response["Location"]


def test_admin_login_next_never_leaves_the_site(client):
    response = client.get("/admin/login/?next=https://evil.example/")
    assert response.status_code == 302
    assert "evil" not in response["Location"]


# --- CSRF on every state change ---------------------------------------------------


CSRF_POSTS = [
    "/accounts/login/",
    "/accounts/login/sms/",
    "/accounts/login/verify/",
    "/accounts/login/enrol/",
    "/accounts/login/password/",
    "/accounts/logout/",
    "/accounts/register/",
    "/accounts/password/",
    "/me/",
    "/me/authorisations/",
    "/me/authorisations/1/revoke",
    "/me/acting/start",
    "/me/acting/stop",
    "/me/entities/",
    "/me/entities/1/",
    "/staff/counter/",
    "/staff/counter/visits/1/reveal",
    "/staff/counter/visits/1/end",
    "/staff/admin/new/",
    "/staff/admin/1/roles/",
    "/staff/admin/1/active/",
    "/staff/admin/security/locks/1/clear/",
    "/staff/sso-clients/new/",
]


@pytest.mark.parametrize("url", CSRF_POSTS)
def test_every_state_change_needs_the_csrf_token(url):
    user = make_staff("csrf_target")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    response = browser.post(url, {"field": "id_number"})
    assert response.status_code == 403
    assert "403_csrf.html" in [t.name for t in response.templates]
    # the session survived: logout without the token logged nobody out
    assert browser.session.get("_auth_user_id") == str(user.pk)


def test_the_session_api_needs_the_csrf_token(client):
    user = make_staff("api_csrf")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    response = browser.post(
        "/api/v1/identity/me/acting",
        {"authorisation_id": None},
        content_type="application/json",
    )
    assert response.status_code in {401, 403}


# --- clickjacking -----------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/accounts/login/", "/accounts/register/", "/o/authorize/"]
)
def test_pages_cannot_be_framed(client, url):
    user = make_staff("framed")
    client.force_login(user)
    response = client.get(url)
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


# --- login names and the password change ------------------------------------------


def test_an_id_number_with_a_lower_case_check_character_is_the_same_account(client):
    # given a citizen whose ID number ends in X
    serial = next(n for n in range(900, 1000) if make_id_number(n).endswith("X"))
    id_number = make_id_number(serial)
    persons.register_person(
        name="郑十",
        id_number=id_number,
        mobile=make_mobile(),
        password=CITIZEN_PASSWORD,
    )
    lower = id_number[:-1] + "x"
    # when failures are typed with a lower-case x, they count against the account
    for _ in range(5):
        password_step(Client(), lower, password="Wrong#pass1", ip=f"10.3.0.{_}")
    refused = password_step(client, id_number, password=CITIZEN_PASSWORD, ip="10.3.1.1")
    assert refused.status_code == 401
    # and, once unlocked, the lower-case form logs in
    LoginLock.objects.all().delete()
    ok = password_step(client, lower, password=CITIZEN_PASSWORD, ip="10.3.1.2")
    assert ok.status_code == 302


def test_guessing_the_current_password_on_the_change_page_locks_the_account(client):
    # given a signed-in staff member's session left open
    user = make_staff("left_open")
    client.force_login(user)
    form = {
        "old_password": "Guess#1234",
        "new_password1": "Fresh#Pass2027",
        "new_password2": "Fresh#Pass2027",
    }
    # when someone guesses the current password five times
    for _ in range(5):
        client.post("/accounts/password/", form, REMOTE_ADDR="10.4.0.1")
    # then even the right password does not change it now
    form["old_password"] = PASSWORD
    refused = client.post("/accounts/password/", form, REMOTE_ADDR="10.4.0.2")
    assert refused.status_code == 200
    assert GENERIC in refused.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert LoginLock.objects.filter(
        scope=LockScope.ACCOUNT, locked_until__isnull=False
    ).exists()
    methods = set(
        AuditEvent.objects.filter(event="identity.login_failed").values_list(
            "data__method", flat=True
        )
    )
    assert methods == {"password_change"}


# --- source address ---------------------------------------------------------------


def test_a_forged_x_forwarded_for_does_not_escape_the_address_lock(client):
    for n in range(5):
        client.post(
            "/accounts/login/",
            {"login_name": f"nobody{n}", "password": "Wrong#pass1"},
            REMOTE_ADDR="10.5.0.1",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
        )
    user = make_staff("behind_forgery")
    enrol_device(user)
    response = client.post(
        "/accounts/login/",
        {"login_name": "behind_forgery", "password": PASSWORD},
        REMOTE_ADDR="10.5.0.1",
        HTTP_X_FORWARDED_FOR="192.0.2.200",
    )
    assert response.status_code == 401


def test_behind_a_trusted_proxy_each_client_has_its_own_address_lock(client, settings):
    # given the platform behind a load balancer at 10.6.0.1
    settings.ZHENGWU_TRUSTED_PROXIES = ["10.6.0.0/24"]
    # when one client fails five times through the proxy
    for n in range(5):
        client.post(
            "/accounts/login/",
            {"login_name": f"nobody{n}", "password": "Wrong#pass1"},
            REMOTE_ADDR="10.6.0.1",
            HTTP_X_FORWARDED_FOR="198.51.100.7",
        )
    # then that client's address is locked, not the proxy's
    locked = set(
        LoginLock.objects.filter(
            scope=LockScope.ADDRESS, locked_until__isnull=False
        ).values_list("key", flat=True)
    )
    assert locked == {"198.51.100.7"}
    # another client behind the same proxy still logs in
    user = make_staff("other_client")
    enrol_device(user)
    ok = client.post(
        "/accounts/login/",
        {"login_name": "other_client", "password": PASSWORD},
        REMOTE_ADDR="10.6.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.8",
    )
    assert ok.status_code == 302
    # and a client cannot hide behind an address it writes into the header itself
    spoofed = client.post(
        "/accounts/login/",
        {"login_name": "nobody", "password": "Wrong#pass1"},
        REMOTE_ADDR="10.6.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.1, 198.51.100.7",
    )
    assert spoofed.status_code == 401
    assert LoginLock.objects.get(scope=LockScope.ADDRESS, key="198.51.100.7")
    assert not LoginLock.objects.filter(key="203.0.113.1").exists()


def test_the_sso_consent_page_cannot_be_framed(client, reference_data):
    import base64
    import hashlib

    from .oidc_support import make_person_user, register

    registered = register(
        "不动产登记系统", "https://bdc.example.gov.cn/cb", trusted=False
    )
    user = make_person_user("consenting")
    client.force_login(user)
    verifier = "v" * 64
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        .rstrip(b"=")
        .decode()
    )
    page = client.get(
        "/o/authorize/",
        {
            "response_type": "code",
            "client_id": registered.application.client_id,
            "redirect_uri": "https://bdc.example.gov.cn/cb",
            "scope": "openid profile",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "state": "s",
        },
    )
    # the consent form itself (not a redirect or an error page)
    assert page.status_code == 200
    assert 'name="allow"' in page.content.decode()
    assert page["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]


def test_a_pending_login_cannot_be_completed_once_the_account_is_locked(client):
    # given a new staff member half-way through enrolment, and then their account
    # locked by someone guessing passwords elsewhere
    make_staff("enrolling")
    assert password_step(client, "enrolling").status_code == 302
    client.get("/accounts/login/enrol/")
    for n in range(5):
        password_step(Client(), "enrolling", password="Wrong#pass1", ip=f"10.7.0.{n}")
    # when the enrolment code is entered
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from .login_helpers import code_for_key

    device = TOTPDevice.objects.get(confirmed=False)
    response = client.post("/accounts/login/enrol/", {"code": code_for_key(device.key)})
    # then the login does not complete and the device stays unconfirmed
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session
    device.refresh_from_db()
    assert not device.confirmed
