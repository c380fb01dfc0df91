"""Let the sign-in forms of an SSO login redirect back to the department system.

Chromium applies a page's Content-Security-Policy ``form-action`` to every redirect
that follows the form's submission. Our policy is ``form-action 'self'``, so a login
form posted on the way to ``/o/authorize/`` (login → authorize → the client's
``redirect_uri``) was blocked at the last hop, and so were the consent and logout
confirmation forms. This middleware widens ``form-action`` on exactly those pages by
the origins *registered* for the client named in the pending authorization request
(never by anything taken from the request itself).

Pages it applies to: ``/o/authorize/`` and ``/o/logout/`` (client from the query or
form), and any page whose ``next`` — in the query, the form, or the pending login
kept in the session by the login steps — is an ``/o/authorize/`` URL."""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from oauth2_provider.models import Application

from .oidc import client_is_active

AUTHORIZE_PATH = "/o/authorize/"
LOGOUT_PATH = "/o/logout/"
# The pending (not yet completed) login of views.accounts keeps ``next`` here.
PENDING_LOGIN_SESSION_KEY = "identity.pending_login"


def _origin(uri: str) -> str | None:
    parts = urlsplit(uri)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def _client_id_of_next(value: str) -> str | None:
    if not value or not value.startswith(AUTHORIZE_PATH):
        return None
    return (parse_qs(urlsplit(value).query).get("client_id") or [None])[0]


def _client_of_id_token(token: str) -> str | None:
    """The client an ID token of ours (signature checked) was issued to."""
    from oauth2_provider.views.oidc import _load_id_token

    try:
        id_token, _claims = _load_id_token(token)
    except Exception:  # noqa: BLE001  (malformed hint: no widening)
        return None
    return id_token.application.client_id if id_token is not None else None


def _client_ids(request: HttpRequest) -> tuple[str | None, bool]:
    """The client of the authorization (or logout) this page continues, and whether
    it is a logout."""
    if request.path == AUTHORIZE_PATH:
        return request.POST.get("client_id") or request.GET.get("client_id"), False
    if request.path == LOGOUT_PATH:
        data = request.POST if request.method == "POST" else request.GET
        client_id = data.get("client_id")
        hint = data.get("id_token_hint")
        if not client_id and hint:
            client_id = _client_of_id_token(hint)
        return client_id, True
    candidates = [request.GET.get("next", "")]
    if request.method == "POST" and request.content_type in {
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    }:
        candidates.append(request.POST.get("next", ""))
    session = getattr(request, "session", None)
    if session is not None:
        pending = session.get(PENDING_LOGIN_SESSION_KEY) or {}
        if isinstance(pending, dict):
            candidates.append(str(pending.get("next") or ""))
    for candidate in candidates:
        client_id = _client_id_of_next(candidate)
        if client_id:
            return client_id, False
    return None, False


def registered_origins(client_id: str, *, logout: bool) -> list[str]:
    if "\x00" in client_id or len(client_id) > 100:  # no such client (PostgreSQL
        return []  # refuses NUL in a query: it would be a 500 on any page)
    application = (
        Application.objects.select_related("policy").filter(client_id=client_id).first()
    )
    if application is None or not client_is_active(application):
        return []
    uris = (
        application.post_logout_redirect_uris if logout else application.redirect_uris
    ).split()
    return sorted({origin for uri in uris if (origin := _origin(uri))})


class SsoFormActionMiddleware:
    """Sits inside Django's ContentSecurityPolicyMiddleware (listed after it)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if hasattr(response, "_csp_config"):
            return response
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        client_id, logout = _client_ids(request)
        if not client_id:
            return response
        origins = registered_origins(client_id, logout=logout)
        if origins:
            config = deepcopy(settings.SECURE_CSP)
            config["form-action"] = [*config.get("form-action", ["'self'"]), *origins]
            response._csp_config = config  # type: ignore[attr-defined]
        return response
