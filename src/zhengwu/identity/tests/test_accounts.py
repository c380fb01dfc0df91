"""Password policy (等保 8.1.4.1 a): complexity, history of five, staff expiry after
90 days, forced change; account expiry; hashing settings."""

import datetime
import importlib
import os
import subprocess
import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.utils import timezone

import pytest

from zhengwu.core.models import AuditEvent
from zhengwu.identity import accounts
from zhengwu.identity.errors import IdentityError
from zhengwu.identity.models import Account, PasswordHistory, UserSession

from .login_helpers import PASSWORD, current_code, enrol_device, make_staff

REPO = Path(__file__).resolve().parents[4]
pytestmark = pytest.mark.django_db

PASSWORDS = [f"Cycle#{n}pass" for n in range(7)]


@pytest.mark.parametrize(
    "password, reason",
    [
        ("Ab1#", "至少"),  # too short
        ("abcdefgh1", "三类"),  # two classes
        ("ABCDEFGHIJ", "三类"),  # one class
        ("Password1", "常见"),  # common (Django's list)
        ("Zhang_wei#2026", "用户名"),  # contains the username
    ],
)
def test_weak_passwords_are_refused_and_nothing_changes(password, reason):
    # given a staff member
    user = make_staff("zhang_wei")
    before = user.password
    # when a weak password is set
    with pytest.raises(IdentityError) as refused:
        accounts.set_password(user, password, acting_user=user)
    # then the reason names the rule and the password did not change
    assert any(reason in text for text in refused.value.fields["password"]), (
        refused.value.fields
    )
    user.refresh_from_db()
    assert user.password == before
    assert not PasswordHistory.objects.filter(user=user).exists()


def test_a_strong_password_is_recorded_and_stamped():
    user = make_staff("li_na")
    accounts.set_password(user, "Strong#Pass9", acting_user=user)
    user.refresh_from_db()
    assert user.check_password("Strong#Pass9")
    account = Account.objects.get(user=user)
    assert timezone.now() - account.password_changed_at < datetime.timedelta(minutes=1)
    assert PasswordHistory.objects.filter(user=user).count() == 1
    assert AuditEvent.objects.filter(event="identity.password_changed").count() == 1


def test_the_last_five_passwords_are_refused_the_sixth_oldest_allowed():
    # given six passwords set one after another
    user = make_staff("wang_fang")
    for password in PASSWORDS[:6]:
        accounts.set_password(user, password, acting_user=user)
    # when each of the last five (including the current one) is set again
    for password in PASSWORDS[1:6]:
        with pytest.raises(IdentityError) as refused:
            accounts.set_password(user, password, acting_user=user)
        assert "最近5次" in refused.value.fields["password"][0]
    user.refresh_from_db()
    assert user.check_password(PASSWORDS[5])
    # then the sixth-oldest is accepted again
    accounts.set_password(user, PASSWORDS[0], acting_user=user)
    user.refresh_from_db()
    assert user.check_password(PASSWORDS[0])
    assert PasswordHistory.objects.filter(user=user).count() == 5


def test_the_initial_password_counts_as_used():
    user = make_staff("zhou_jie")  # PASSWORD set at creation, outside the history
    with pytest.raises(IdentityError):
        accounts.set_password(user, PASSWORD, acting_user=user)


def login(client, username, password=PASSWORD):
    return client.post(
        "/accounts/login/", {"login_name": username, "password": password}
    )


def test_an_expired_staff_password_must_be_changed_before_the_login_completes(client):
    # given a staff member whose password is 91 days old
    user = make_staff("chen_jing")
    device = enrol_device(user)
    Account.objects.filter(user=user).update(
        password_changed_at=timezone.now() - datetime.timedelta(days=91)
    )
    # when they log in with it
    response = login(client, "chen_jing")
    # then they must choose a new password first, and are not logged in yet
    assert response["Location"] == "/accounts/login/password/"
    page = client.get("/accounts/login/password/")
    assert "90天" in page.content.decode()
    assert client.get("/staff/").status_code == 302
    # a password from the history is refused inline
    same = client.post(
        "/accounts/login/password/",
        {"new_password1": PASSWORD, "new_password2": PASSWORD},
    )
    assert same.status_code == 200
    assert "最近5次" in same.content.decode()
    assert 'aria-describedby="id_new_password1_helptext id_new_password1_error"' in (
        same.content.decode()
    )
    # a new one continues to the second factor, then the login completes
    changed = client.post(
        "/accounts/login/password/",
        {"new_password1": "Fresh#Start42", "new_password2": "Fresh#Start42"},
    )
    assert changed["Location"] == "/accounts/login/verify/"
    done = client.post("/accounts/login/verify/", {"code": current_code(device)})
    assert done.status_code == 302 and done["Location"] == "/staff/"
    user.refresh_from_db()
    assert user.check_password("Fresh#Start42")


def test_an_89_day_old_password_does_not_expire(client):
    user = make_staff("lin_tao")
    enrol_device(user)
    Account.objects.filter(user=user).update(
        password_changed_at=timezone.now() - datetime.timedelta(days=89)
    )
    assert login(client, "lin_tao")["Location"] == "/accounts/login/verify/"


def test_citizen_passwords_do_not_expire(client):
    user = get_user_model().objects.create_user("p0000citizen", password=PASSWORD)
    Account.objects.create(
        user=user,
        kind="person",
        password_changed_at=timezone.now() - datetime.timedelta(days=400),
    )
    response = login(client, "p0000citizen")
    assert response.status_code == 302 and response["Location"] == "/"


def test_a_password_set_by_an_administrator_must_be_changed_at_next_login(client):
    # given an administrator set a staff member's password
    admin = make_staff("sys_admin", is_superuser=True)
    user = make_staff("new_clerk")
    accounts.set_password(user, "Initial#Pass7", acting_user=admin, must_change=True)
    # when the staff member logs in with it
    response = login(client, "new_clerk", "Initial#Pass7")
    # then they choose a new one first; with no device yet they then enrol one
    assert response["Location"] == "/accounts/login/password/"
    assert "管理员" in client.get("/accounts/login/password/").content.decode()
    changed = client.post(
        "/accounts/login/password/",
        {"new_password1": "Own#Choice88", "new_password2": "Own#Choice88"},
    )
    assert changed["Location"] == "/accounts/login/enrol/"
    assert not Account.objects.get(user=user).must_change_password
    event = AuditEvent.objects.filter(event="identity.password_changed").first()
    assert event.data["must_change"] is True and event.data["by_owner"] is False


def test_signed_in_user_changes_password_on_the_password_page(client):
    user = make_staff("he_ping")
    client.force_login(user)
    wrong_old = client.post(
        "/accounts/password/",
        {
            "old_password": "nope",
            "new_password1": "Next#Pass123",
            "new_password2": "Next#Pass123",
        },
    )
    assert "当前密码不正确" in wrong_old.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    ok = client.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "Next#Pass123",
            "new_password2": "Next#Pass123",
        },
    )
    assert ok.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Next#Pass123")


def test_expired_accounts_are_deactivated_and_their_sessions_end(client):
    # given a staff account whose end date has passed, with an open session
    user = make_staff("temp_worker")
    client.force_login(user)
    Account.objects.filter(user=user).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    keeper = make_staff("permanent")
    Account.objects.filter(user=keeper).update(
        expires_at=timezone.now() + datetime.timedelta(days=1)
    )
    # when the expiry task runs (twice: it is idempotent)
    from zhengwu.identity.tasks import expire_accounts

    assert expire_accounts.call() == 1
    assert expire_accounts.call() == 0
    # then the account is inactive, its session is gone, and it was audited
    user.refresh_from_db()
    keeper.refresh_from_db()
    assert not user.is_active and keeper.is_active
    assert client.get("/accounts/password/").status_code == 302
    assert UserSession.objects.get(user=user).ended_at is not None
    assert AuditEvent.objects.filter(event="identity.account_expired").count() == 1


def test_expiry_task_is_scheduled():
    from zhengwu.core.schedule import build_schedule

    paths = [entry.task_path for entry, _seconds in build_schedule()]
    assert "zhengwu.identity.tasks.expire_accounts" in paths


@pytest.mark.parametrize("module", ["base", "production"])
def test_argon2_is_the_first_hasher_outside_the_tests(module, tmp_path):
    """ci.py uses MD5 for speed; every other settings module hashes with Argon2."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = tmp_path / "oidc.pem"
    pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    environ = {
        "ZHENGWU_OIDC_PRIVATE_KEY_FILE": str(pem),
        "ZHENGWU_OIDC_ISSUER": "https://zhengwu.example/o",
        **os.environ,
        "PYTHONPATH": str(REPO / "src"),
        "ZHENGWU_SECRET_KEY": "x" * 50,
        "ZHENGWU_FIELD_ENCRYPTION_KEY": "0" * 32,
        "ZHENGWU_BLIND_INDEX_KEY": "1" * 32,
        "ZHENGWU_ALLOW_LOCAL_PROVIDERS": "true",
    }
    code = (
        f"import zhengwu.conf.{module} as s; print(s.PASSWORD_HASHERS[0]); "
        "print([v['NAME'].rsplit('.', 1)[-1] for v in s.AUTH_PASSWORD_VALIDATORS])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    )
    first, validators = result.stdout.splitlines()
    assert first == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert "ComplexityValidator" in validators
    assert importlib.util.find_spec("argon2") is not None


def test_expiring_an_account_revokes_its_sso_tokens():
    # given an expired account still holding an access and a refresh token
    import secrets

    from oauth2_provider.models import AccessToken, RefreshToken, set_token_value

    from zhengwu.catalog.tests.factories import OrganisationFactory

    from .oidc_support import register

    registered = register(
        "不动产登记系统",
        "https://bdc.example.gov.cn/callback",
        organisation=OrganisationFactory(),
    )
    user = make_staff("leaving_worker")
    access = AccessToken(
        user=user,
        application=registered.application,
        scope="openid",
        expires=timezone.now() + datetime.timedelta(minutes=10),
    )
    set_token_value(access, secrets.token_urlsafe(30))
    access.save()
    RefreshToken.objects.create(
        user=user,
        application=registered.application,
        token=secrets.token_urlsafe(30),
        access_token=access,
    )
    Account.objects.filter(user=user).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    # when the expiry runs
    assert accounts.expire_accounts() == 1
    # then no token of the user can be used or refreshed any more
    assert not AccessToken.objects.filter(user=user).exists()
    assert not RefreshToken.objects.filter(user=user, revoked__isnull=True).exists()
    event = AuditEvent.objects.get(event="identity.account_expired")
    assert event.data["tokens"] >= 1
