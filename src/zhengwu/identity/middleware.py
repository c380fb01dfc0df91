"""Per-request identity policy: session tracking and idle timeout (accounts work),
and acting on behalf of a principal (authorisations work)."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class SessionPolicyMiddleware:
    """Idle timeout (30 minutes for the public, 15 for staff), session tracking for
    logout everywhere, forced password change and staff second factor."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)


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
