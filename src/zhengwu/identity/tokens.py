"""API authentication by OIDC access token (``Authorization: Bearer <token>``).

An access token authenticates a call to /api/v1 when it was issued by this provider,
has not expired or been revoked, belongs to an enabled client, carries the ``api``
scope which the client's policy still allows (withdrawing ``api`` from a client stops
its tokens at once), and its user is active.
The API then acts as that user: the same role checks apply as for a session.

A request that presents a bearer token which fails these checks is refused with 401,
even if it also carries a session cookie: a caller never silently falls back to
another identity."""

from __future__ import annotations

import functools
import hashlib
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest
from django.utils import timezone

from ninja.errors import AuthenticationError
from ninja.security import HttpBearer
from oauth2_provider.models import AccessToken

from .models import ClientPolicy
from .oidc import API_SCOPE, effective_scopes

__all__ = [
    "BearerTokenAuth",
    "bearer_auth",
    "bearer_token",
    "live_access_token",
    "user_for_access_token",
]


def bearer_token(request: HttpRequest) -> str | None:
    """The token of an ``Authorization: Bearer`` header, or None when there is none."""
    value = request.headers.get("Authorization", "")
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or ""


@functools.cache
def _token_columns() -> tuple[str, ...]:
    """What a bearer check reads: the token's own columns, the client's policy
    and the whole user (the request's user); not the client's secrets, redirect
    URIs or keys (every API request runs this query: about a fifth less work)."""
    user_columns = tuple(
        f"user__{field.name}" for field in get_user_model()._meta.concrete_fields
    )
    return (
        "id",
        "token",
        "token_checksum",
        "expires",
        "scope",
        "created",
        "updated",
        "user",
        "application",
        "application__id",
        "application__client_id",
        "application__name",
        "application__policy",
        *[
            f"application__policy__{field.name}"
            for field in ClientPolicy._meta.concrete_fields
        ],
        *user_columns,
    )


def live_access_token(token: str) -> AccessToken | None:
    """The access token ``token`` names while it is still good: issued by this
    provider to a client, not expired or revoked, its user (if any) active. The
    caller then asks which of its scopes still hold (:func:`oidc.effective_scopes`:
    none while its client is disabled). One query."""
    if not token or len(token) > 512:
        return None
    checksum = hashlib.sha256(token.encode()).hexdigest()
    # token_checksum is unique: no ORDER BY (as .first() would add) to build
    found = list(
        AccessToken.objects.select_related("user", "application__policy")
        .only(*_token_columns())
        .filter(token_checksum=checksum)[:1]
    )
    access = found[0] if found else None
    if access is None or access.application is None:
        return None
    if access.expires <= timezone.now():
        return None
    if access.user is not None and not access.user.is_active:
        return None
    return access


def user_for_access_token(
    token: str, *, scope: str = API_SCOPE
) -> AbstractBaseUser | None:
    """The active user a valid access token with ``scope`` was issued to, or None."""
    access = live_access_token(token)
    if access is None or access.user is None:
        return None
    # the token's scope AND the client's current policy (a withdrawn scope or a
    # disabled client stops the tokens already issued at once)
    if scope not in effective_scopes(access.application, access.scope.split()):
        return None
    return access.user


def _refuse() -> AuthenticationError:
    return AuthenticationError(401, "invalid_token")


class BearerTokenAuth(HttpBearer):
    """ninja auth: an OIDC access token with the ``api`` scope."""

    def __call__(self, request: HttpRequest) -> Any:
        token = bearer_token(request)
        if token is None:
            return None  # no bearer header: let the next method (session) decide
        return self.authenticate(request, token)

    def authenticate(self, request: HttpRequest, token: str) -> AbstractBaseUser:
        user = user_for_access_token(token)
        if user is None:
            raise _refuse()
        request.user = user
        request.zhengwu_bearer = True  # type: ignore[attr-defined]
        return user


bearer_auth = BearerTokenAuth()


def request_user_with_bearer(request: HttpRequest) -> AbstractBaseUser | None:
    """The caller of a public operation: the bearer token's user when a token is
    presented (an invalid one raises 401), else the signed-in session user."""
    token = bearer_token(request)
    if token is not None:
        return bearer_auth.authenticate(request, token)
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    return user
