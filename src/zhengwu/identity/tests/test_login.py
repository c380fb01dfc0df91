"""Password login: lockout per account and per address, the generic message, login
by ID number and mobile, audit of every outcome."""

import datetime
import re

from django.utils import timezone

import pytest

from zhengwu.core.models import AuditEvent
from zhengwu.identity import persons
from zhengwu.identity.constants import LockScope
from zhengwu.identity.models import LoginLock

from .login_helpers import (
    PASSWORD,
    current_code,
    enrol_device,
    make_staff,
    staff_login,
)
from .person_factories import make_id_number, make_mobile

GENERIC = "账号或密码错误，或账号已被暂时锁定，请稍后再试。"
CITIZEN_PASSWORD = "Shimin#2026x"


def post_login(client, login_name, password, ip="10.0.0.1"):
    return client.post(
        "/accounts/login/",
        {"login_name": login_name, "password": password},
        REMOTE_ADDR=ip,
    )


def page_text(response, login_name):
    """The page without what legitimately differs: the typed name, the CSRF token."""
    body = response.content.decode().replace(login_name, "NAME")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)


@pytest.fixture
def citizen(db):
    id_number, mobile = make_id_number(), make_mobile()
    person = persons.register_person(
        name="王小明", id_number=id_number, mobile=mobile, password=CITIZEN_PASSWORD
    )
    return person, id_number, mobile


def test_citizen_logs_in_with_id_number_or_mobile(client, citizen):
    # given a registered citizen
    person, id_number, mobile = citizen
    # when they log in with the ID number, then with the mobile
    by_id = post_login(client, id_number, CITIZEN_PASSWORD)
    # then each logs them in, without a second factor
    assert by_id.status_code == 302 and by_id["Location"] == "/"
    assert client.get("/accounts/login/").status_code == 302
    client.post("/accounts/logout/")
    by_mobile = post_login(client, mobile, CITIZEN_PASSWORD)
    assert by_mobile.status_code == 302
    assert int(client.session["_auth_user_id"]) == person.user_id
    assert AuditEvent.objects.filter(event="identity.login").count() == 2


def test_unknown_account_and_wrong_password_give_the_same_answer(client, db):
    # given a staff member
    make_staff("clerk_wang")
    # when one login names nobody and another has a wrong password
    unknown = post_login(client, "nobody_here", "Wrong#Pass1")
    wrong = post_login(client, "clerk_wang", "Wrong#Pass1")
    # then both pages are the same, with the generic message
    assert unknown.status_code == wrong.status_code == 401
    assert GENERIC in unknown.content.decode()
    assert page_text(unknown, "nobody_here") == page_text(wrong, "clerk_wang")
    assert "_auth_user_id" not in client.session
    failures = AuditEvent.objects.filter(event="identity.login_failed")
    assert failures.count() == 2
    assert set(failures.values_list("outcome", flat=True)) == {"failure"}
    reasons = {e.data["reason"] for e in failures}
    assert reasons == {"unknown_account", "wrong_password"}


def test_five_failures_lock_the_account_even_against_the_right_password(client, db):
    # given a staff member with a second factor
    user = make_staff("clerk_li")
    device = enrol_device(user)
    # when five wrong passwords come from five different addresses
    for n in range(5):
        post_login(client, "clerk_li", "Wrong#Pass1", ip=f"10.0.1.{n}")
    # then the account is locked: the right password is refused, with the same text
    refused = post_login(client, "clerk_li", PASSWORD, ip="10.0.2.1")
    assert refused.status_code == 401
    assert GENERIC in refused.content.decode()
    assert "identity.pending_login" not in client.session
    lock = LoginLock.objects.get(scope=LockScope.ACCOUNT)
    assert lock.locked_until > timezone.now() + datetime.timedelta(minutes=14)
    assert AuditEvent.objects.filter(event="identity.locked").count() == 1
    # and once the fifteen minutes have passed, the right password works again
    LoginLock.objects.filter(pk=lock.pk).update(
        locked_until=timezone.now() - datetime.timedelta(seconds=1)
    )
    done = staff_login(client, "clerk_li", device)
    assert done.status_code == 302 and done["Location"] == "/staff/"
    assert not LoginLock.objects.filter(scope=LockScope.ACCOUNT).exists()


def test_five_failures_lock_the_address_for_every_account(client, db):
    # given two staff members
    make_staff("clerk_a")
    make_staff("clerk_b")
    # when one address fails five times on different (also unknown) names
    for name in ["clerk_a", "ghost1", "ghost2", "ghost3", "ghost4"]:
        post_login(client, name, "Wrong#Pass1", ip="10.9.9.9")
    # then that address cannot log in clerk_b with the right password
    refused = post_login(client, "clerk_b", PASSWORD, ip="10.9.9.9")
    assert refused.status_code == 401
    assert "identity.pending_login" not in client.session
    # but another address can
    other = post_login(client, "clerk_b", PASSWORD, ip="10.9.9.10")
    assert other.status_code == 302
    assert (
        LoginLock.objects.filter(scope=LockScope.ADDRESS, key="10.9.9.9")
        .get()
        .locked_until
    )


def test_success_resets_the_account_count(client, db):
    # A completed login (password and TOTP) resets the count; the password step
    # alone does not (test_security_review: wrong TOTP codes count too).
    user = make_staff("clerk_zhao")
    device = enrol_device(user)
    for _ in range(4):
        post_login(client, "clerk_zhao", "Wrong#Pass1", ip="10.0.3.1")
    assert post_login(client, "clerk_zhao", PASSWORD, ip="10.0.3.2").status_code == 302
    done = client.post("/accounts/login/verify/", {"code": current_code(device)})
    assert done.status_code == 302
    client.session.flush()
    for _ in range(4):
        post_login(client, "clerk_zhao", "Wrong#Pass1", ip="10.0.3.3")
    assert post_login(client, "clerk_zhao", PASSWORD, ip="10.0.3.4").status_code == 302


def test_inactive_account_gets_the_generic_answer(client, db):
    user = make_staff("clerk_gone")
    user.is_active = False
    user.save()
    response = post_login(client, "clerk_gone", PASSWORD)
    assert response.status_code == 401 and GENERIC in response.content.decode()


def test_audit_keeps_only_a_masked_login_name(client, citizen):
    _person, id_number, mobile = citizen
    post_login(client, id_number, "Wrong#Pass1")
    post_login(client, mobile, "Wrong#Pass1")
    names = [
        e.data["login_name"]
        for e in AuditEvent.objects.filter(event="identity.login_failed")
    ]
    assert names == [
        id_number[:4] + "*" * 10 + id_number[-4:],
        mobile[:3] + "****" + mobile[-4:],
    ]


def test_staff_password_alone_does_not_log_in(client, db):
    # given a staff member with a device
    user = make_staff("clerk_sun")
    enrol_device(user)
    # when only the password step is done
    response = post_login(client, "clerk_sun", PASSWORD)
    # then the staff pages are still closed
    assert response["Location"] == "/accounts/login/verify/"
    assert "_auth_user_id" not in client.session
    workbench = client.get("/staff/")
    assert workbench.status_code == 302
    assert workbench["Location"].startswith("/accounts/login/")


def test_starting_another_login_leaves_the_signed_in_account(client, citizen):
    # given a citizen signed in on this browser
    person, id_number, _mobile = citizen
    post_login(client, id_number, CITIZEN_PASSWORD)
    assert int(client.session["_auth_user_id"]) == person.user_id
    # when a staff member does the password step in it
    user = make_staff("clerk_switch")
    enrol_device(user)
    step = post_login(client, "clerk_switch", PASSWORD)
    assert step["Location"] == "/accounts/login/verify/"
    # then nobody is signed in until the second factor
    assert "_auth_user_id" not in client.session
