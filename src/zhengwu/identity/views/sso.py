"""The provider's logout endpoint (RP-initiated logout, /o/logout/): django-oauth-
toolkit's view, except that logging out from a department system ends the user's
platform sessions everywhere and revokes all their SSO tokens (audited by
``accounts.logout_everywhere``), as the platform's own logout does. An ID token
alone (no session of its user) revokes that user's SSO tokens, also audited
(``identity.logout`` with ``via: id_token_hint``)."""

from __future__ import annotations

import binascii
import functools
import re
from base64 import b64decode
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError

from oauth2_provider.models import get_application_model
from oauth2_provider.views import AuthorizationView
from oauth2_provider.views.oidc import RPInitiatedLogoutView
from oauthlib.oauth2.rfc6749 import errors as oauth_errors

from zhengwu.core import audit
from zhengwu.identity import accounts, oidc


class SsoAuthorizationView(AuthorizationView):
    """django-oauth-toolkit's authorization endpoint, refusing two malformed
    requests as OAuth 2.0 errors on the page (400) instead of failing: a consent
    form posted for a client that does not exist (DOT looks it up with ``get``: a
    500), and an error found before the redirect URI was checked (DOT then
    redirects to a URL without a scheme: Django's bare 400)."""

    def form_valid(self, form: Any) -> HttpResponse:
        client_id = form.cleaned_data.get("client_id") or ""
        if not get_application_model().objects.filter(client_id=client_id).exists():
            error = oauth_errors.InvalidClientIdError(description="Unknown client_id.")
            return self.render_to_response(
                {"error": {"error": error.error, "description": error.description}},
                status=error.status_code,
            )
        return super().form_valid(form)

    def error_response(
        self, error: Any, application: Any, **kwargs: Any
    ) -> HttpResponse:
        oauthlib_error = error.oauthlib_error
        if not oauthlib_error.redirect_uri:  # nowhere checked to send it to
            return self.render_to_response(
                {
                    "error": {
                        "error": oauthlib_error.error,
                        "description": oauthlib_error.description,
                    }
                },
                status=oauthlib_error.status_code,
            )
        return super().error_response(error, application, **kwargs)


class SsoLogoutView(RPInitiatedLogoutView):
    def do_logout(
        self,
        application: Any = None,
        post_logout_redirect_uri: str | None = None,
        state: str | None = None,
        token_user: AbstractBaseUser | None = None,
    ) -> Any:
        user = self.request.user
        # Only the signed-in user's own logout ends their sessions everywhere; an ID
        # token alone (the session already gone) revokes that user's tokens only.
        if user.is_authenticated and (token_user is None or token_user == user):
            accounts.logout_everywhere(user)
        elif token_user is not None:
            # (DOT would delete them itself, unaudited)
            revoked = oidc.revoke_user_tokens(token_user)
            audit.record(
                acting_user=None,
                actor_label=f"client:{application.client_id}" if application else "",
                event="identity.logout",
                data={
                    "user": token_user.get_username(),
                    "sessions": 0,
                    "tokens": revoked,
                    "via": "id_token_hint",
                },
            )
        return super().do_logout(
            application, post_logout_redirect_uri, state, token_user
        )


# Control characters are never part of an OAuth 2.0 parameter (RFC 6749 Appendix A:
# printable ASCII for codes, tokens, client ids, scopes; URIs have none either).
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_PARAMETER_LENGTH = 4096


def malformed_parameter(request: HttpRequest) -> str | None:
    """The name of the first parameter of the query or form body that no OAuth 2.0
    or OpenID Connect endpoint could accept (a control character, or far too
    long); ``Authorization`` when its Basic credentials are not base64 text."""
    sources = [request.GET]
    if request.method == "POST":
        try:  # the endpoints read parameters from request.POST too
            sources.append(request.POST)
        except (MultiPartParserError, BadRequest):
            return "body"
    for params in sources:
        for name, values in params.lists():
            if _CONTROL.search(name) or len(name) > 100:
                return "parameter"
            for value in values:
                if _CONTROL.search(value) or len(value) > MAX_PARAMETER_LENGTH:
                    return name
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            b64decode(credentials.strip().encode("ascii"), validate=True).decode()
        except (UnicodeError, binascii.Error, ValueError):
            return "Authorization"
    return None


def refuse_malformed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer ``invalid_request`` (RFC 6749 §5.2, 400) to a request whose parameters
    no endpoint could accept, naming the parameter, before django-oauth-toolkit
    looks anything up with it (PostgreSQL refuses NUL in text: that was a 500).
    Bad Basic credentials are ``invalid_client`` (401)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        name = malformed_parameter(request)
        if name is None:
            return view(request, *args, **kwargs)
        if name == "Authorization":
            response = JsonResponse(
                {
                    "error": "invalid_client",
                    "error_description": "Authorization: Basic credentials are not "
                    "base64 of client_id:client_secret.",
                },
                status=401,
            )
            response["WWW-Authenticate"] = 'Basic realm="oauth2"'
            return response
        response = JsonResponse(
            {
                "error": "invalid_request",
                "error_description": f"Parameter {name}: control characters or "
                f"more than {MAX_PARAMETER_LENGTH} characters are not allowed.",
            },
            status=400,
        )
        response["Cache-Control"] = "no-store"
        return response

    return wrapper
