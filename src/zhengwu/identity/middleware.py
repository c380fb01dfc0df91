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
    """Sets who the signed-in user acts for on this request (``request.acting``)
    and names that principal in every audit record written meanwhile."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)
