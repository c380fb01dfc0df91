"""Per-request identity policy: session tracking and idle timeout (accounts work),
and acting on behalf of a principal (authorisations work)."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class SessionPolicyMiddleware:
    """Idle timeout (30 minutes for the public, 15 for staff), enforced on the
    server from the last activity kept in the session; session tracking for logout
    everywhere. A session idle too long is logged out (audited) and the request
    goes on as anonymous, so pages send it to the login page and the API answers
    401. The second factor and forced password changes are enforced by the login
    flow itself (``views.accounts``): a staff session only exists after both."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from . import sessions

        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if sessions.is_idle_expired(request):
                self._expire(request, user)
            else:
                sessions.touch(request)
        return self.get_response(request)

    @staticmethod
    def _expire(request: HttpRequest, user: object) -> None:
        from django.contrib.auth import logout

        from zhengwu.core import audit
        from zhengwu.core.middleware import client_ip

        from . import sessions

        # RequestContextMiddleware runs later, so the audit context has no address
        # yet: pass it.
        audit.record(
            acting_user=user,  # type: ignore[arg-type]
            event="identity.session_expired",
            source_ip=client_ip(request),
            data={"idle_minutes": sessions.session_idle_seconds(request) // 60},
        )
        logout(request)


class ActingMiddleware:
    """Sets who the signed-in user acts for on this request (``request.acting``, an
    ``acting.ActingContext`` or None) and names that principal in every audit record
    written meanwhile.

    The basis (authorisation or counter visit) is re-checked on every request, so a
    revocation takes effect on the agent's next request. The user's own account
    pages (``ACTING_OWN_ACCOUNT_PATHS``) keep ``request.acting`` for the header but
    are not recorded as done for the principal: managing one's own account,
    authorisations or counter visits is not an act in someone else's name."""

    ACTING_OWN_ACCOUNT_PATHS = (
        "/me/",
        "/accounts/",
        "/api/v1/identity/",
        "/staff/counter/",
        "/staff/admin/",
        "/staff/sso-clients/",
        "/o/",  # signing in to a department system is the agent's own login
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from zhengwu.core import audit

        from .acting import SESSION_KEY, resolve

        request.acting = None  # type: ignore[attr-defined]
        session = getattr(request, "session", None)
        stored = session.get(SESSION_KEY) if session is not None else None
        if stored is None:
            return self.get_response(request)
        context = resolve(request.user, stored)
        if context is None:  # revoked, expired, visit ended, or signed out
            session.pop(SESSION_KEY, None)
            return self.get_response(request)
        request.acting = context  # type: ignore[attr-defined]
        if request.path.startswith(self.ACTING_OWN_ACCOUNT_PATHS):
            with audit.acting_for(""):
                return self.get_response(request)
        with audit.acting_for(context.principal_label):
            return self.get_response(request)
