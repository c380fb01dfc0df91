"""Address failures count within a window (ZHENGWU_LOGIN_ADDRESS_WINDOW_MINUTES):
an office behind one NAT address does not collect typos over days until everyone is
locked out; account failures stay consecutive until a login completes."""

import datetime

from django.utils import timezone

import pytest

from zhengwu.identity.constants import LockScope
from zhengwu.identity.models import LoginLock

from .login_helpers import PASSWORD, make_staff

OFFICE = "10.20.30.40"


def post_login(client, login_name, password, ip=OFFICE):
    return client.post(
        "/accounts/login/",
        {"login_name": login_name, "password": password},
        REMOTE_ADDR=ip,
    )


def age_address_failures(minutes: int) -> None:
    """Time passes: the address's first failure now lies ``minutes`` back."""
    LoginLock.objects.filter(scope=LockScope.ADDRESS, key=OFFICE).update(
        first_failure_at=timezone.now() - datetime.timedelta(minutes=minutes)
    )


@pytest.fixture
def office(db):
    return [make_staff(f"clerk_{n}") for n in range(6)]


def test_failures_spread_beyond_the_window_do_not_lock_the_address(client, office):
    # given an office whose staff mistype a password now and then, from one address
    for n in range(8):
        post_login(client, f"clerk_{n % 6}", "Wrong#Pass1")
        # each typo comes more than fifteen minutes after the first counted one
        age_address_failures(16)
    # when a colleague logs in with the right password from the same address
    response = post_login(client, "clerk_5", PASSWORD)
    # then the address is not locked: the password step passes
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "identity.pending_login" in client.session
    lock = LoginLock.objects.get(scope=LockScope.ADDRESS, key=OFFICE)
    assert lock.locked_until is None
    assert lock.failures == 1  # the count restarted with the last typo


def test_five_failures_within_the_window_lock_the_address(client, office):
    # given four failures from one address some minutes ago, still within the window
    for n in range(4):
        post_login(client, f"clerk_{n}", "Wrong#Pass1")
    age_address_failures(10)
    # when a fifth comes
    post_login(client, "clerk_4", "Wrong#Pass1")
    # then the address is locked: even a right password from it is refused
    refused = post_login(client, "clerk_5", PASSWORD)
    assert refused.status_code == 401
    assert "identity.pending_login" not in client.session
    lock = LoginLock.objects.get(scope=LockScope.ADDRESS, key=OFFICE)
    assert lock.locked_until > timezone.now()
    # while another address still logs the same colleague in
    assert post_login(client, "clerk_5", PASSWORD, ip="10.20.30.41").status_code == 302


def test_account_failures_stay_consecutive_beyond_the_window(client, office):
    # given five wrong passwords for one account, from different addresses, spread
    # far beyond the address window (the account lock has no window)
    for n in range(5):
        post_login(client, "clerk_0", "Wrong#Pass1", ip=f"10.21.0.{n}")
        LoginLock.objects.filter(scope=LockScope.ACCOUNT).update(
            first_failure_at=timezone.now() - datetime.timedelta(days=n + 1)
        )
    # then the account is locked even against the right password
    refused = post_login(client, "clerk_0", PASSWORD, ip="10.21.1.1")
    assert refused.status_code == 401
    assert "identity.pending_login" not in client.session
    assert LoginLock.objects.get(scope=LockScope.ACCOUNT).locked_until > timezone.now()


@pytest.mark.parametrize("minutes", [15, 16])
def test_the_window_setting_decides(client, office, settings, minutes):
    # given a window of thirty minutes
    settings.ZHENGWU_LOGIN_ADDRESS_WINDOW_MINUTES = 30
    for n in range(4):
        post_login(client, f"clerk_{n}", "Wrong#Pass1")
    age_address_failures(minutes)
    # when a fifth failure comes fifteen or sixteen minutes after the first
    post_login(client, "clerk_4", "Wrong#Pass1")
    # then it still counts: the address is locked
    assert post_login(client, "clerk_5", PASSWORD).status_code == 401


def test_purge_keeps_locks_in_force_and_recent_failures_only(client, office):
    # given rows for many unknown names (each makes an account row), an address
    # locked now, an address with a recent failure, and old, spent rows
    now = timezone.now()
    for n in range(5):
        post_login(client, f"ghost_{n}", "Wrong#Pass1", ip="10.22.0.1")
    post_login(client, "ghost_recent", "Wrong#Pass1", ip="10.22.0.2")
    LoginLock.objects.filter(key="10.22.0.2").update(
        first_failure_at=now - datetime.timedelta(minutes=5)
    )
    old = now - datetime.timedelta(hours=3)
    LoginLock.objects.filter(scope=LockScope.ACCOUNT).update(first_failure_at=old)
    LoginLock.objects.create(
        scope=LockScope.ADDRESS,
        key="10.22.0.3",
        failures=5,
        first_failure_at=old,
        locked_until=now - datetime.timedelta(hours=2),
    )
    locked = LoginLock.objects.get(key="10.22.0.1")
    assert locked.locked_until > now
    LoginLock.objects.filter(pk=locked.pk).update(first_failure_at=old)
    from zhengwu.identity.tasks import purge_login_locks

    # when the hourly purge runs
    deleted = purge_login_locks.call()
    # then the spent rows are gone; the lock in force and the recent failure stay
    assert deleted == 7  # six unknown names, one expired address lock
    assert set(LoginLock.objects.values_list("key", flat=True)) == {
        "10.22.0.1",
        "10.22.0.2",
    }
    # and the locked address is still refused
    assert post_login(client, "clerk_0", PASSWORD, ip="10.22.0.1").status_code == 401
    # and a second run finds nothing (idempotent)
    assert purge_login_locks.call() == 0
    assert LoginLock.objects.count() == 2


def test_purge_runs_hourly():
    from zhengwu.core.schedule import build_schedule

    entries = {entry.task_path: seconds for entry, seconds in build_schedule()}
    assert entries["zhengwu.identity.tasks.purge_login_locks"] == 3600
