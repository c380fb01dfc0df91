"""Token introspection (RFC 7662) at /o/introspect/, for department systems acting
as resource servers: a system that receives a platform access token asks whether it
is still good, and for whom.

django-oauth-toolkit's ``IntrospectTokenView``, except that:

- the caller authenticates only with its own client credentials (HTTP Basic, or
  ``client_id``/``client_secret`` in the body, checked by the platform's OAuth2
  validator: a disabled system is refused); DOT's alternative, a bearer token with an
  ``introspection`` scope, is not offered. A failure is 401 ``invalid_client``;
- only POST (RFC 7662 §2.1): a token in a query string ends up in logs;
- a system sees only tokens issued to systems of its own organisation; any other
  token, like an unknown, expired or revoked one, is ``{"active": false}`` (so a
  caller cannot tell someone else's valid token from a wrong string);
- the answer is what the token holds *now*: its client disabled, its user
  deactivated, or its scopes withdrawn by the security administrator count at once
  (``oidc.effective_scopes``), as for every other use of a token;
- ``sub`` is the pairwise subject of the token's client (as in its ID tokens),
  never the username or user id;
- only access tokens are introspected; a refresh token is ``{"active": false}``.
"""

from __future__ import annotations

import calendar
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from oauth2_provider.compat import login_not_required
from oauth2_provider.oauth2_backends import get_oauthlib_core
from oauth2_provider.views import IntrospectTokenView
from oauthlib.common import Request as OauthlibRequest

from zhengwu.identity import oidc
from zhengwu.identity.tokens import live_access_token

INACTIVE = {"active": False}


def authenticated_client(request: HttpRequest) -> Any:
    """The application whose client credentials the request carries, checked by the
    platform's OAuth2 validator, or None."""
    core = get_oauthlib_core()
    uri, http_method, body, headers = core._extract_params(request)
    oauth_request = OauthlibRequest(uri, http_method, body, headers)
    if not core.server.request_validator.authenticate_client(oauth_request):
        return None
    return oauth_request.client


def introspect(caller: Any, token_value: str) -> dict[str, Any]:
    """The RFC 7662 answer for ``token_value`` asked by the client ``caller``."""
    token = live_access_token(token_value)
    if token is None:  # unknown, expired, revoked, or its user inactive
        return INACTIVE
    application = token.application
    token_policy = oidc.client_policy(application)
    caller_policy = oidc.client_policy(caller)
    if (
        token_policy is None
        or caller_policy is None
        or token_policy.organisation_id != caller_policy.organisation_id
    ):
        return INACTIVE
    scopes = oidc.effective_scopes(application, token.scope.split())
    if not scopes:  # (also: its client disabled)
        return INACTIVE
    data: dict[str, Any] = {
        "active": True,
        "scope": " ".join(sorted(scopes)),
        "client_id": application.client_id,
        "token_type": "Bearer",
        "exp": int(calendar.timegm(token.expires.timetuple())),
        "iat": int(calendar.timegm(token.created.timetuple())),
    }
    if token.user is not None:
        data["sub"] = oidc.subject_for(application, token.user)
    return data


@method_decorator(never_cache, name="dispatch")
@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(login_not_required, name="dispatch")
class SsoIntrospectView(IntrospectTokenView):
    http_method_names = ["post", "options"]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.method == "POST":
            caller = authenticated_client(request)
            if caller is None:
                response = JsonResponse(
                    {
                        "error": "invalid_client",
                        "error_description": "Client authentication failed.",
                    },
                    status=401,
                )
                response["WWW-Authenticate"] = 'Basic realm="oauth2"'
                return response
            request.introspecting_client = caller  # type: ignore[attr-defined]
        # Past the client check: not DOT's mixin, which would check the client
        # again and then accept a bearer token instead.
        return View.dispatch(self, request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        token_value = request.POST.get("token")
        if not token_value:
            return JsonResponse(
                {
                    "error": "invalid_request",
                    "error_description": "Parameter token is missing.",
                },
                status=400,
            )
        return JsonResponse(
            introspect(request.introspecting_client, token_value)  # type: ignore[attr-defined]
        )
