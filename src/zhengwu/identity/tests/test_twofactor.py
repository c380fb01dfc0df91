"""Staff second factor: enrolment on first login, the TOTP step, replay refused,
reset by an administrator."""

import datetime
import re

from django.utils import timezone

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from zhengwu.core.models import AuditEvent
from zhengwu.identity import twofactor
from zhengwu.identity.constants import LockScope
from zhengwu.identity.models import LoginLock, StaffMembership

from .login_helpers import (
    PASSWORD,
    code_for_key,
    current_code,
    enrol_device,
    make_staff,
    secret_from_page,
)

pytestmark = pytest.mark.django_db


def password_step(client, username):
    return client.post(
        "/accounts/login/", {"login_name": username, "password": PASSWORD}
    )


def test_first_staff_login_enrols_an_authenticator_then_logs_in(client):
    # given a staff member without a device
    make_staff("first_timer")
    # when the password is right
    response = password_step(client, "first_timer")
    # then the enrolment page shows a QR code (inline SVG) and the manual secret
    assert response["Location"] == "/accounts/login/enrol/"
    page = client.get("/accounts/login/enrol/")
    html = page.content.decode()
    assert "<svg" in html and "qr-code" in html
    key = secret_from_page(html)
    assert "_auth_user_id" not in client.session
    # the code from the app confirms the device and completes the login
    done = client.post("/accounts/login/enrol/", {"code": code_for_key(key)})
    assert done.status_code == 302 and done["Location"] == "/staff/"
    assert client.session["_auth_user_id"]
    assert client.session["otp_device_id"]
    device = TOTPDevice.objects.get()
    assert device.confirmed and device.key == key
    assert AuditEvent.objects.filter(event="identity.factor_enrolled").count() == 1
    assert AuditEvent.objects.filter(event="identity.login").get().data["method"] == (
        "password+totp"
    )


def test_a_wrong_enrolment_code_confirms_nothing(client):
    make_staff("fumbler")
    password_step(client, "fumbler")
    client.get("/accounts/login/enrol/")
    wrong = client.post("/accounts/login/enrol/", {"code": "000000"})
    assert wrong.status_code == 200
    assert "id_code_error" in wrong.content.decode()
    assert not TOTPDevice.objects.filter(confirmed=True).exists()
    assert "_auth_user_id" not in client.session


def test_enrolment_page_keeps_the_same_secret_when_reloaded(client):
    make_staff("reloader")
    password_step(client, "reloader")
    first = secret_from_page(client.get("/accounts/login/enrol/").content.decode())
    second = secret_from_page(client.get("/accounts/login/enrol/").content.decode())
    assert first == second


def test_a_code_used_once_is_refused_the_second_time(client):
    # given a staff member who logged in with a code
    user = make_staff("replayer")
    device = enrol_device(user)
    code = current_code(device)
    password_step(client, "replayer")
    assert client.post("/accounts/login/verify/", {"code": code}).status_code == 302
    # when someone replays the same code in another browser
    from django.test import Client

    thief = Client()
    password_step(thief, "replayer")
    replay = thief.post("/accounts/login/verify/", {"code": code})
    # then it is refused and that browser is not logged in
    assert replay.status_code == 200
    assert "已使用" in replay.content.decode()
    assert "_auth_user_id" not in thief.session
    assert thief.get("/staff/").status_code == 302


def test_a_wrong_code_does_not_log_in_and_is_audited(client):
    user = make_staff("typo")
    enrol_device(user)
    password_step(client, "typo")
    response = client.post("/accounts/login/verify/", {"code": "123456"})
    assert response.status_code == 200
    assert 'aria-describedby="id_code_helptext id_code_error"' in (
        response.content.decode()
    )
    assert "_auth_user_id" not in client.session
    failed = AuditEvent.objects.get(event="identity.login_failed")
    assert failed.data["reason"] == "wrong_totp"


@pytest.mark.parametrize("kind", ["membership", "superuser", "account"])
def test_every_kind_of_staff_needs_the_second_factor(client, kind, reference_data):
    from zhengwu.catalog.tests.factories import OrganisationFactory
    from zhengwu.identity.constants import StaffRole

    if kind == "superuser":
        make_staff("someone", is_superuser=True, is_staff=True)
    elif kind == "account":
        make_staff("someone")
    else:
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.create_user("someone", password=PASSWORD)
        StaffMembership.objects.create(
            user=user, organisation=OrganisationFactory(), role=StaffRole.REVIEWER
        )
    response = password_step(client, "someone")
    assert response["Location"] == "/accounts/login/enrol/"
    assert "_auth_user_id" not in client.session


def test_pending_login_expires_after_five_minutes(client):
    user = make_staff("slow")
    device = enrol_device(user)
    password_step(client, "slow")
    session = client.session
    session["identity.pending_login"]["at"] -= 301
    session.save()
    response = client.post("/accounts/login/verify/", {"code": current_code(device)})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session


def test_reset_factors_removes_the_device_and_the_next_login_enrols(client):
    admin = make_staff("security_admin", is_superuser=True)
    user = make_staff("lost_phone")
    enrol_device(user)
    assert twofactor.reset_factors(user, admin) == 1
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert AuditEvent.objects.get(event="identity.factor_reset").actor == admin
    assert password_step(client, "lost_phone")["Location"] == "/accounts/login/enrol/"


def test_staff_see_their_factor_page(client):
    user = make_staff("viewer")
    enrol_device(user)
    client.force_login(user)
    page = client.get("/accounts/two-factor/")
    assert page.status_code == 200 and "已绑定" in page.content.decode()


def test_the_admin_login_page_sends_staff_to_the_two_factor_login(client):
    make_staff("admin_user", is_superuser=True, is_staff=True)
    page = client.get("/admin/login/?next=/admin/")
    assert page.status_code == 302
    assert page["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    posted = client.post(
        "/admin/login/", {"username": "admin_user", "password": PASSWORD}
    )
    assert posted.status_code == 302
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/")["Location"].startswith("/admin/login/")


# --- django-otp's back-off after a wrong code -------------------------------------


def wrong_code(device) -> str:
    return f"{(int(current_code(device)) + 1) % 1_000_000:06d}"


def back_off_passed(device) -> None:
    """As if the back-off after the last wrong code were over (no waiting)."""
    device.refresh_from_db()
    device.throttling_failure_timestamp -= datetime.timedelta(hours=1)
    device.save(update_fields=["throttling_failure_timestamp"])


def test_the_right_code_during_the_back_off_is_told_to_wait_not_wrong(client):
    # given a staff member who typed a wrong code at the TOTP step
    user = make_staff("hasty")
    device = enrol_device(user)
    password_step(client, "hasty")
    client.post("/accounts/login/verify/", {"code": wrong_code(device)})
    # when they type the right code at once
    response = client.post("/accounts/login/verify/", {"code": current_code(device)})
    # then they are asked to wait a number of seconds, inline at the code field
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r"请等待\d+秒后再输入动态验证码", html)
    assert "不正确" not in html
    assert 'id="id_code_error"' in html
    # nothing was tried: no login, no further failure counted towards the lock,
    # but the attempt is audited
    assert "_auth_user_id" not in client.session
    assert LoginLock.objects.get(scope=LockScope.ACCOUNT).failures == 1
    reasons = AuditEvent.objects.filter(event="identity.login_failed").values_list(
        "data__reason", flat=True
    )
    assert sorted(reasons) == ["throttled", "wrong_totp"]
    # and once the back-off is over the same code logs in
    back_off_passed(device)
    done = client.post("/accounts/login/verify/", {"code": current_code(device)})
    assert done.status_code == 302 and client.session["_auth_user_id"]


def test_the_wait_grows_with_each_wrong_code(client):
    user = make_staff("repeater")
    device = enrol_device(user)
    password_step(client, "repeater")
    client.post("/accounts/login/verify/", {"code": wrong_code(device)})
    for _ in range(2):
        back_off_passed(device)
        client.post("/accounts/login/verify/", {"code": wrong_code(device)})
    # three wrong codes: django-otp refuses every code for four seconds (counted
    # from the last wrong one, here just now), longer than after one (one second)
    device.refresh_from_db()
    assert device.throttling_failure_count == 3
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now()
    )
    response = client.post("/accounts/login/verify/", {"code": current_code(device)})
    seconds = int(re.search(r"请等待(\d+)秒", response.content.decode()).group(1))
    assert 1 < seconds <= 4


def test_enrolment_during_the_back_off_is_told_to_wait(client):
    make_staff("new_hasty")
    password_step(client, "new_hasty")
    key = secret_from_page(client.get("/accounts/login/enrol/").content.decode())
    client.post("/accounts/login/enrol/", {"code": "000000"})
    response = client.post("/accounts/login/enrol/", {"code": code_for_key(key)})
    assert response.status_code == 200
    assert re.search(r"请等待\d+秒后再输入动态验证码", response.content.decode())
    assert not TOTPDevice.objects.filter(confirmed=True).exists()
    assert "_auth_user_id" not in client.session
    back_off_passed(TOTPDevice.objects.get())
    done = client.post("/accounts/login/enrol/", {"code": code_for_key(key)})
    assert done.status_code == 302 and client.session["_auth_user_id"]


def test_the_back_off_is_not_shown_before_the_password_step(client):
    # given a staff member whose device is in its back-off
    user = make_staff("watched")
    device = enrol_device(user)
    password_step(client, "watched")
    client.post("/accounts/login/verify/", {"code": wrong_code(device)})
    device.refresh_from_db()
    assert twofactor.wait_seconds(device)
    # someone without the password learns nothing of it: the code step sends them
    # to log in, and a wrong password gets the generic refusal
    from django.test import Client

    stranger = Client()
    step = stranger.post("/accounts/login/verify/", {"code": current_code(device)})
    assert step.status_code == 302 and step["Location"] == "/accounts/login/"
    refused = stranger.post(
        "/accounts/login/", {"login_name": "watched", "password": "wrong"}
    )
    assert refused.status_code == 401
    assert "等待" not in refused.content.decode()


# --- the pending login's lifetime ---------------------------------------------------


def age_pending(client, seconds: float) -> None:
    session = client.session
    data = session["identity.pending_login"]
    data["at"] -= seconds
    session["identity.pending_login"] = data
    session.save()


def test_looking_at_the_enrolment_page_does_not_extend_the_pending_login(client):
    # given a staff member at the enrolment step four and a half minutes after the
    # password step
    make_staff("lingerer")
    password_step(client, "lingerer")
    key = secret_from_page(client.get("/accounts/login/enrol/").content.decode())
    age_pending(client, 270)
    # when they reload the page (it still opens) …
    assert client.get("/accounts/login/enrol/").status_code == 200
    # … and the five minutes since the password step pass
    age_pending(client, 40)
    # then the pending login is over, whatever they loaded meanwhile
    expired = client.get("/accounts/login/enrol/")
    assert expired.status_code == 302 and expired["Location"] == "/accounts/login/"
    late = client.post("/accounts/login/enrol/", {"code": code_for_key(key)})
    assert late.status_code == 302 and late["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session
    assert not TOTPDevice.objects.filter(confirmed=True).exists()


def test_looking_at_the_code_page_does_not_extend_the_pending_login(client):
    user = make_staff("lingerer2")
    device = enrol_device(user)
    password_step(client, "lingerer2")
    age_pending(client, 270)
    assert client.get("/accounts/login/verify/").status_code == 200
    age_pending(client, 40)
    late = client.post("/accounts/login/verify/", {"code": current_code(device)})
    assert late.status_code == 302 and late["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in client.session
