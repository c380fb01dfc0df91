"""Sessions: idle expiry (30 minutes for the public, 15 for staff; 等保 8.1.4.1 b) and
the record of every open session of a user (``UserSession``), so logging out ends
them all.

The idle limit is enforced twice: the cookie expires (``set_expiry``), and the
server refuses a session whose last activity, kept inside the session, is older than
the limit, so a cookie copied elsewhere is useless after the same idle time."""

import time

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from zhengwu.core.middleware import client_ip

from .models import UserSession

LAST_ACTIVITY_KEY = "identity.last_activity"
STAFF_KEY = "identity.staff"
LAST_SEEN_KEY = "identity.last_seen"
SEEN_INTERVAL_SECONDS = 60


def idle_seconds(*, staff: bool) -> int:
    minutes = (
        settings.ZHENGWU_STAFF_SESSION_IDLE_MINUTES
        if staff
        else settings.ZHENGWU_SESSION_IDLE_MINUTES
    )
    return int(minutes) * 60


def session_idle_seconds(request: HttpRequest) -> int:
    return idle_seconds(staff=bool(request.session.get(STAFF_KEY)))


def is_idle_expired(request: HttpRequest, *, now: float | None = None) -> bool:
    """Whether the signed-in session has been idle past its limit (a session
    without a recorded activity counts as expired)."""
    last = request.session.get(LAST_ACTIVITY_KEY)
    if not isinstance(last, (int, float)):
        return True
    return (now or time.time()) - last > session_idle_seconds(request)


def touch(request: HttpRequest, *, now: float | None = None) -> None:
    """Record activity now, renew the cookie's idle expiry, and refresh the
    session's ``last_seen_at`` at most once a minute."""
    now = now or time.time()
    request.session[LAST_ACTIVITY_KEY] = now
    request.session.set_expiry(session_idle_seconds(request))
    seen = request.session.get(LAST_SEEN_KEY, 0)
    if now - seen >= SEEN_INTERVAL_SECONDS and request.session.session_key:
        UserSession.objects.filter(session_key=request.session.session_key).update(
            last_seen_at=timezone.now()
        )
        request.session[LAST_SEEN_KEY] = now


@receiver(user_logged_in, dispatch_uid="identity.sessions.track_login")
def track_login(
    sender: object, request: HttpRequest, user: object, **kwargs: object
) -> None:
    """A new session: remember whether it is a staff session (shorter idle limit),
    start its idle clock and record it for logout everywhere."""
    from .accounts import is_staff_user

    if request is None or not hasattr(request, "session"):
        return
    session = request.session
    session[STAFF_KEY] = is_staff_user(user)  # type: ignore[arg-type]
    now = time.time()
    session[LAST_ACTIVITY_KEY] = now
    session[LAST_SEEN_KEY] = now
    session.set_expiry(session_idle_seconds(request))
    if session.session_key is None:
        session.save()
    UserSession.objects.update_or_create(
        session_key=session.session_key,
        defaults={
            "user": user,
            "source_ip": client_ip(request),
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:200],
            "ended_at": None,
        },
    )


@receiver(user_logged_out, dispatch_uid="identity.sessions.track_logout")
def track_logout(
    sender: object, request: HttpRequest, user: object, **kwargs: object
) -> None:
    if request is None or not hasattr(request, "session"):
        return
    key = request.session.session_key
    if key:
        UserSession.objects.filter(session_key=key, ended_at__isnull=True).update(
            ended_at=timezone.now()
        )
