"""Sessions: idle expiry on the server (30 minutes for the public, 15 for staff),
tracking of every session, and logout ending them all."""

from django.contrib.auth import get_user_model
from django.test import Client

import pytest

from zhengwu.core.models import AuditEvent
from zhengwu.identity import accounts
from zhengwu.identity.models import UserSession
from zhengwu.identity.sessions import LAST_ACTIVITY_KEY

from .login_helpers import PASSWORD, enrol_device, make_staff, staff_login

pytestmark = pytest.mark.django_db


def citizen_user(username="p000000000001"):
    return get_user_model().objects.create_user(username, password=PASSWORD)


def age_session(client, seconds):
    session = client.session
    session[LAST_ACTIVITY_KEY] -= seconds
    session.save()


def is_logged_in(client) -> bool:
    return client.get("/accounts/password/").status_code == 200


def test_a_citizen_session_ends_after_30_idle_minutes(client):
    client.force_login(citizen_user())
    age_session(client, 29 * 60)
    assert is_logged_in(client)  # activity renews the clock
    age_session(client, 31 * 60)
    assert not is_logged_in(client)
    assert AuditEvent.objects.filter(event="identity.session_expired").count() == 1


def test_a_staff_session_ends_after_15_idle_minutes(client):
    client.force_login(make_staff("idle_clerk"))
    age_session(client, 14 * 60)
    assert is_logged_in(client)
    age_session(client, 16 * 60)
    response = client.get("/staff/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_copied_cookie_is_refused_after_the_idle_limit(client):
    # given a session cookie copied into another browser
    client.force_login(citizen_user())
    thief = Client()
    thief.cookies = client.cookies
    assert is_logged_in(thief)
    # when the session has been idle past the limit
    age_session(client, 31 * 60)
    # then the copy is refused, whatever expiry the cookie itself claims
    assert not is_logged_in(thief)


def test_the_cookie_expires_with_the_idle_limit(client):
    client.force_login(make_staff("cookie_clerk"))
    client.get("/accounts/password/")
    assert client.session.get_expiry_age() == 15 * 60


def test_logins_are_tracked(client):
    user = make_staff("tracked")
    device = enrol_device(user)
    staff_login(client, "tracked", device)
    tracked = UserSession.objects.get(user=user)
    assert tracked.session_key == client.session.session_key
    assert tracked.ended_at is None


def test_logout_ends_every_session_of_the_user(client):
    # given a citizen logged in in two browsers, and another user
    user = citizen_user()
    other_user = citizen_user("p000000000002")
    phone = Client()
    client.force_login(user)
    phone.force_login(user)
    bystander = Client()
    bystander.force_login(other_user)
    # when they log out in one
    response = client.post("/accounts/logout/")
    # then both are logged out, the other user is not, and it was audited
    assert response.status_code == 302
    assert not is_logged_in(client)
    assert not is_logged_in(phone)
    assert is_logged_in(bystander)
    assert not UserSession.objects.filter(user=user, ended_at__isnull=True).exists()
    event = AuditEvent.objects.get(event="identity.logout")
    assert event.actor == user and event.data["sessions"] == 2


def test_logout_is_post_only(client):
    client.force_login(citizen_user())
    assert client.get("/accounts/logout/").status_code == 405
    assert is_logged_in(client)


def test_logout_everywhere_returns_the_number_ended(client):
    user = citizen_user()
    client.force_login(user)
    assert accounts.logout_everywhere(user) == 1
    assert accounts.logout_everywhere(user) == 0


def test_logout_revokes_the_users_sso_tokens(client):
    import datetime

    from django.utils import timezone

    from oauth2_provider.models import AccessToken

    user = citizen_user()
    other = citizen_user("p000000000003")
    for owner, token in [(user, "token-of-user"), (other, "token-of-other")]:
        AccessToken.objects.create(
            user=owner,
            token=token,
            expires=timezone.now() + datetime.timedelta(minutes=10),
            scope="openid",
        )
    client.force_login(user)
    client.post("/accounts/logout/")
    assert list(AccessToken.objects.values_list("user", flat=True)) == [other.pk]
    assert AuditEvent.objects.get(event="identity.logout").data["tokens"] == 1


def test_logging_in_as_another_account_audits_the_end_of_the_old_session(client):
    first = citizen_user("p000000000031")
    citizen_user("p000000000032")
    client.force_login(first)
    response = client.post(
        "/accounts/login/", {"login_name": "p000000000032", "password": PASSWORD}
    )
    assert response.status_code == 302
    ended = AuditEvent.objects.get(event="identity.logout")
    assert ended.actor == first and ended.data["switched_account"] is True
    assert not UserSession.objects.filter(user=first, ended_at__isnull=True).exists()
