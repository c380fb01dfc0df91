"""The OpenID Connect provider (single sign-on for department systems), built on
django-oauth-toolkit: client policies, claims by scope, pairwise subjects, client
registration by the security administrator, token revocation.

Decisions:

- Only the authorization code flow with PKCE S256 (settings ``OAUTH2_PROVIDER``); the
  response type ``code`` and the grants ``authorization_code`` / ``refresh_token``.
- A client is usable only while it has an enabled :class:`ClientPolicy`; it may be
  granted only the scopes its policy allows (``validate_scopes``), and only to its
  registered redirect URIs, compared as exact strings.
- ``sub`` is pairwise: keyed SM3 of the policy's sector identifier and the user's
  primary key, so clients of different sectors cannot link their users.
- The ID token carries ``sub``, ``acr`` and ``zw_assurance_level`` only; personal data
  (name, mobile, ID number, entities) is released by the userinfo endpoint over the
  back channel, never in a token that may travel in a URL (``id_token_hint``).
  A claim is released only when the token's scope *and* the client's current policy
  allow it and the client is enabled (a scope withdrawn after the grant stops at once);
  the ID number (``zw_id_number``) needs the ``id_number`` scope. Every release of a mobile or ID number is audited
  (``identity.personal_data_released``).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from jwcrypto import jws
from oauth2_provider.models import (
    AccessToken,
    Application,
    Grant,
    IDToken,
    RefreshToken,
)
from oauth2_provider.oauth2_validators import OAuth2Validator

from zhengwu.core import audit
from zhengwu.core.crypto import keyed_sm3, mask_id_number, mask_mobile
from zhengwu.core.errors import validation_fields
from zhengwu.core.models import AuditEvent, Organisation

from .constants import AuthorisationKind
from .errors import IdentityError
from .models import Authorisation, ClientPolicy, LegalEntity, Person

NOT_ALLOWED = "identity.not_allowed"
CLIENT_INVALID = "identity.client_invalid"

#: Scopes a client may be allowed; ``openid`` is always granted with the others.
ID_NUMBER_SCOPE = "id_number"
API_SCOPE = "api"
PERSONAL_DATA_CLAIMS = ("phone_number", "zw_id_number")
ID_TOKEN_CLAIMS = frozenset({"sub", "acr", "zw_assurance_level"})


def available_scopes() -> dict[str, str]:
    return dict(settings.OAUTH2_PROVIDER["SCOPES"])


# --- policies and subjects ----------------------------------------------------------


def client_policy(application: Application | None) -> ClientPolicy | None:
    """The application's policy, or None when it has none (such a client is refused)."""
    if application is None:
        return None
    try:
        return application.policy  # type: ignore[attr-defined, no-any-return]
    except ClientPolicy.DoesNotExist:
        return None


def client_is_active(application: Application | None) -> bool:
    policy = client_policy(application)
    return policy is not None and policy.disabled_at is None


def allowed_scopes(application: Application | None) -> set[str]:
    """The scopes the client's *current* policy allows (with ``openid``); none while
    the client is disabled or has no policy."""
    policy = client_policy(application)
    if policy is None or policy.disabled_at is not None:
        return set()
    return set(policy.allowed_scopes) | {"openid"}


def effective_scopes(
    application: Application | None, scopes: list[str] | set[str] | tuple[str, ...]
) -> set[str]:
    """The scopes of a grant that still hold now (:func:`allowed_scopes`). A scope
    the security administrator withdraws takes effect at once for the tokens already
    issued, not when they expire."""
    return set(scopes) & allowed_scopes(application)


def pairwise_subject(sector_identifier: str, user_pk: int) -> str:
    """The subject identifier one sector sees for one user (OIDC Core §8.1)."""
    return keyed_sm3(f"{sector_identifier}|{user_pk}", purpose="oidc-sub")


def subject_for(application: Application, user: AbstractBaseUser) -> str:
    policy = client_policy(application)
    sector = policy.sector_identifier if policy else f"client:{application.client_id}"
    return pairwise_subject(sector, user.pk)


def sector_of(redirect_uris: list[str]) -> str:
    """The default sector identifier: the host of the first redirect URI."""
    return (urlsplit(redirect_uris[0]).hostname or "") if redirect_uris else ""


# --- claims -------------------------------------------------------------------------


def _person(user: AbstractBaseUser) -> Person | None:
    return Person.objects.filter(user=user).first()


def _entities(user: AbstractBaseUser, person: Person | None) -> list[dict[str, str]]:
    """The legal entities the user represents or is an authorised clerk for now."""
    found: dict[str, dict[str, str]] = {}
    if person is not None:
        for entity in LegalEntity.objects.filter(legal_representative=person):
            found[entity.credit_code] = {
                "credit_code": entity.credit_code,
                "name": entity.name,
                "role": "legal_representative",
            }
    now = timezone.now()
    clerk_of = Authorisation.objects.filter(
        agent=user,
        kind=AuthorisationKind.CLERK,
        principal_entity__isnull=False,
        revoked_at__isnull=True,
        valid_from__lte=now,
        valid_until__gt=now,
    ).select_related("principal_entity")
    for authorisation in clerk_of:
        entity = authorisation.principal_entity
        assert entity is not None  # noqa: S101  (the filter above)
        found.setdefault(
            entity.credit_code,
            {"credit_code": entity.credit_code, "name": entity.name, "role": "clerk"},
        )
    return sorted(found.values(), key=lambda row: row["credit_code"])


def _is_staff(user: AbstractBaseUser) -> bool:
    from .facade import staff_scope  # (facade imports tokens, which imports us)

    scope = staff_scope(user)
    return scope.is_superuser or scope.has_staff_role


_NO_PERSON: Any = object()


def user_claims(
    user: AbstractBaseUser,
    application: Application,
    scopes: list[str] | set[str] | tuple[str, ...],
    *,
    person: Person | None = _NO_PERSON,
) -> dict[str, Any]:
    """Every claim ``scopes`` release to ``application`` about ``user``: only the
    scopes the client's current policy still allows count (:func:`effective_scopes`).
    Clear values are decrypted here only; the caller audits what leaves."""
    granted = effective_scopes(application, scopes)
    claims: dict[str, Any] = {"sub": subject_for(application, user)}
    if person is _NO_PERSON:
        person = _person(user)
    if person is not None:
        claims["acr"] = f"zhengwu:L{person.assurance_level}"
        claims["zw_assurance_level"] = int(person.assurance_level)
    elif _is_staff(user):
        claims["acr"] = "zhengwu:staff-2fa"  # staff sessions exist only after TOTP
    if "profile" in granted:
        if person is not None:
            claims["name"] = person.name
        else:
            full = f"{getattr(user, 'last_name', '')}{getattr(user, 'first_name', '')}"
            claims["name"] = full or user.get_username()
            claims["preferred_username"] = user.get_username()
    if "phone" in granted and person is not None and person.mobile:
        claims["phone_number"] = person.mobile
        claims["phone_number_verified"] = person.assurance_level >= 2
    # The ID number: only under the explicit scope AND the client's policy (both in
    # ``granted``). Never for staff (no Person).
    if ID_NUMBER_SCOPE in granted and person:
        claims["zw_id_number"] = person.id_number
    if "enterprise" in granted:
        claims["zw_entities"] = _entities(user, person)
    return claims


def audit_release(
    user: AbstractBaseUser,
    application: Application,
    claims: dict[str, Any],
    *,
    channel: str,
    person: Person | None,
) -> None:
    """Record which personal data left for which client (masked values only)."""
    released = [name for name in PERSONAL_DATA_CLAIMS if name in claims]
    if not released:
        return
    data: dict[str, Any] = {
        "client_id": application.client_id,
        "client": application.name,
        "claims": released,
        "channel": channel,
    }
    if "zw_id_number" in claims:
        data["id_number"] = mask_id_number(claims["zw_id_number"])
    if "phone_number" in claims:
        data["mobile"] = mask_mobile(claims["phone_number"])
    audit.record(
        acting_user=user,
        event="identity.personal_data_released",
        target=person,
        data=data,
    )


class ZhengwuOAuth2Validator(OAuth2Validator):
    """django-oauth-toolkit's validator with the platform's client policies,
    pairwise subjects and claims by scope."""

    # -- clients --

    def _load_application(self, client_id: str, request: Any) -> Application | None:
        if not isinstance(client_id, str) or "\x00" in client_id:
            # (from Basic credentials, percent-decoded: PostgreSQL refuses NUL)
            request.client = None
            return None
        client = super()._load_application(client_id, request)
        if client is not None and not client_is_active(client):
            request.client = None
            return None
        return client

    def validate_scopes(
        self,
        client_id: str,
        scopes: list[str],
        client: Application,
        request: Any,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        allowed = allowed_scopes(client)
        return bool(allowed) and set(scopes) <= (allowed & set(available_scopes()))

    def validate_redirect_uri(
        self, client_id: str, redirect_uri: str, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        """Exact string comparison with a registered URI (RFC 9700 §2.1): DOT lets a
        loopback URI change its port."""
        registered = request.client.redirect_uris.split()
        return redirect_uri in registered and super().validate_redirect_uri(
            client_id, redirect_uri, request, *args, **kwargs
        )

    def validate_response_type(
        self,
        client_id: str,
        response_type: str,
        client: Application,
        request: Any,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        return response_type == "code" and super().validate_response_type(
            client_id, response_type, client, request, *args, **kwargs
        )

    def validate_grant_type(
        self,
        client_id: str,
        grant_type: str,
        client: Application,
        request: Any,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        return grant_type in {"authorization_code", "refresh_token"} and (
            super().validate_grant_type(
                client_id, grant_type, client, request, *args, **kwargs
            )
        )

    def _create_authorization_code(
        self, request: Any, code: dict[str, str], expires: Any = None
    ) -> Grant:
        # S256 only: oauthlib treats a missing method as "plain" (RFC 7636 §4.3).
        if request.code_challenge_method != "S256":
            from oauthlib.oauth2.rfc6749 import errors

            raise errors.InvalidRequestError(
                description='code_challenge_method must be "S256".', request=request
            )
        return super()._create_authorization_code(request, code, expires)

    def validate_bearer_token(
        self, token: str, scopes: list[str], request: Any
    ) -> bool:
        if not super().validate_bearer_token(token, scopes, request):
            return False
        if not client_is_active(request.client) or not request.user.is_active:
            request.oauth2_error = {"error": "invalid_token"}
            return False
        return True

    # -- malformed input: a refusal, never an exception --

    def _authenticate_basic_auth(self, request: Any) -> bool:
        """DOT decodes the credentials with ``base64.b64decode(str)``, which raises
        ValueError on non-ASCII text instead of refusing the client."""
        try:
            return super()._authenticate_basic_auth(request)
        except ValueError:
            return False

    def _get_key_for_token(self, token: str) -> Any:
        """The key of the client an ID token names (``aud``), or None for anything
        that is not a well-formed token of ours: DOT lets a payload that is not
        UTF-8 JSON object escape as an exception (a 500 on the logout endpoint)."""
        from jwcrypto.jws import InvalidJWSObject

        try:
            unverified = jws.JWS()
            unverified.deserialize(token)
            claims = json.loads(unverified.objects["payload"].decode("utf-8"))
        except InvalidJWSObject:
            raise
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            raise InvalidJWSObject("malformed token") from error
        audience = claims.get("aud") if isinstance(claims, dict) else None
        if isinstance(audience, str):
            audience = [audience]
        if not isinstance(audience, list) or not all(
            isinstance(a, str) and "\x00" not in a and len(a) <= 100 for a in audience
        ):
            return None
        application = self._get_client_by_audience(audience)
        return application.jwk_key if application else None

    # -- claims --

    def get_discovery_claims(self, request: Any) -> list[str]:
        return sorted(
            {
                "sub",
                "acr",
                "zw_assurance_level",
                "name",
                "preferred_username",
                "phone_number",
                "phone_number_verified",
                "zw_id_number",
                "zw_entities",
            }
        )

    def get_oidc_claims(self, token: Any, token_handler: Any, request: Any) -> dict:
        """The claims of the ID token: the subject and the assurance level only
        (those of ``openid`` alone: nothing else is looked up or decrypted)."""
        claims = user_claims(request.user, request.client, ["openid"])
        return {k: v for k, v in claims.items() if k in ID_TOKEN_CLAIMS}

    def get_userinfo_claims(self, request: Any) -> dict[str, Any]:
        person = _person(request.user)
        claims = user_claims(
            request.user, request.client, request.scopes, person=person
        )
        audit_release(
            request.user, request.client, claims, channel="userinfo", person=person
        )
        return claims

    # -- audit --

    def save_bearer_token(
        self, token: dict[str, Any], request: Any, *args: Any, **kwargs: Any
    ) -> Any:
        """Tokens issued for an authorization code: the user signed in to that
        department system (等保 8.1.4.3: every login is audited)."""
        result = super().save_bearer_token(token, request, *args, **kwargs)
        if request.grant_type == "authorization_code":
            audit.record(
                acting_user=request.user,
                event="identity.sso_login",
                target=client_policy(request.client),
                data={
                    "client_id": request.client.client_id,
                    "client": request.client.name,
                    "scopes": sorted(request.scopes or []),
                    # to recognise the code if it is presented again (below)
                    "code_sha256": _code_digest(request.code),
                },
            )
        return result

    def validate_code(
        self,
        client_id: str,
        code: str,
        client: Application,
        request: Any,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        """A code presented a second time is refused, and the tokens issued for it
        are revoked (RFC 6749 §4.1.2, RFC 9700 §4.5: the code may have leaked)."""
        if super().validate_code(client_id, code, client, request, *args, **kwargs):
            return True
        _revoke_after_code_reuse(code, client)
        return False


def _code_digest(code: str | None) -> str:
    return hashlib.sha256((code or "").encode()).hexdigest()


def _revoke_after_code_reuse(code: str, client: Application) -> None:
    exchange = (
        AuditEvent.objects.filter(
            event="identity.sso_login",
            data__code_sha256=_code_digest(code),
            data__client_id=client.client_id,
        )
        .select_related("actor")
        .first()
    )
    if exchange is None or exchange.actor is None:
        return  # unknown or expired code: nothing was issued for it
    with transaction.atomic():
        revoked = _revoke(Q(user=exchange.actor, application=client))
        audit.record(
            acting_user=None,
            actor_label=f"client:{client.client_id}",
            event="identity.sso_code_reused",
            outcome="failure",
            target=client_policy(client),
            data={
                "client_id": client.client_id,
                "user": exchange.actor.get_username(),
                "tokens_revoked": revoked,
            },
        )


# --- revocation ---------------------------------------------------------------------


@transaction.atomic
def revoke_user_tokens(user: AbstractBaseUser) -> int:
    """Revoke every access, refresh and ID token and every unused authorization code
    issued to ``user``; return how many were revoked. Called when the user logs out
    (logout ends the session everywhere); the caller audits."""
    return _revoke(Q(user=user))


def _revoke(where: Q) -> int:
    now = timezone.now()
    refreshed = RefreshToken.objects.filter(where, revoked__isnull=True).update(
        revoked=now, access_token=None
    )
    access, _ = AccessToken.objects.filter(where).delete()
    ids, _ = IDToken.objects.filter(where).delete()
    codes, _ = Grant.objects.filter(where).delete()
    return refreshed + access + ids + codes


# --- client registration (security administrator) ------------------------------------


def can_manage_clients(user: AbstractBaseUser | None) -> bool:
    """Only the security administrator registers, changes and disables SSO
    clients: not the system or audit administrators, and not a superuser either
    (separated duties, 等保 8.1.4.2; a superuser is a break-glass account and holds
    none of the administrator roles)."""
    from .facade import staff_scope  # (facade imports tokens, which imports us)

    return staff_scope(user).can_manage_security


def require_client_manager(user: AbstractBaseUser | None) -> None:
    if not can_manage_clients(user):
        raise IdentityError(
            NOT_ALLOWED, _("只有安全管理员可以管理接入系统。"), status=403
        )


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def validate_redirect_uris(raw: str, *, field: str, required: bool) -> list[str]:
    """Whitespace-separated absolute URIs: https, or http on a loopback host for
    development; no fragment, no credentials, no wildcard."""
    uris = raw.split()
    if required and not uris:
        raise ValidationError({field: _("请至少填写一个回调地址。")})
    problems = []
    for uri in uris:
        try:  # (an unclosed IPv6 bracket, a bad port, an NFKC-unsafe host)
            parts = urlsplit(uri)
            parts.port  # noqa: B018  (raises on a port that is not one)
        except ValueError:
            problems.append(_("%(uri)s：不是有效的地址。") % {"uri": uri})
            continue
        if parts.scheme == "https" and parts.hostname:
            pass
        elif parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
            pass
        else:
            problems.append(
                _(
                    "%(uri)s：须使用 https（仅本机开发可用 http://127.0.0.1 或 localhost）。"
                )
                % {"uri": uri}
            )
            continue
        if "#" in uri or "@" in parts.netloc or "*" in uri:
            problems.append(_("%(uri)s：不能含片段、用户信息或通配符。") % {"uri": uri})
    if problems:
        raise ValidationError({field: problems})
    return uris


@dataclass(frozen=True)
class ClientInput:
    name: str
    organisation: Organisation
    redirect_uris: str
    post_logout_redirect_uris: str
    allowed_scopes: list[str]
    trusted: bool


def _check(data: ClientInput) -> tuple[list[str], list[str], list[str]]:
    errors: dict[str, list[str]] = {}
    if not data.name.strip():
        errors["name"] = [_("请填写系统名称。")]
    redirect, logout = [], []
    try:
        redirect = validate_redirect_uris(
            data.redirect_uris, field="redirect_uris", required=True
        )
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        logout = validate_redirect_uris(
            data.post_logout_redirect_uris,
            field="post_logout_redirect_uris",
            required=False,
        )
    except ValidationError as error:
        errors.update(error.message_dict)
    known = available_scopes()
    unknown = [s for s in data.allowed_scopes if s not in known]
    if unknown:
        errors["allowed_scopes"] = [_("未知的授权范围：%s") % " ".join(unknown)]
    if errors:
        raise IdentityError(
            CLIENT_INVALID,
            _("接入系统信息有误，请检查标出的字段。"),
            fields=errors,
            status=422,
        )
    scopes = ["openid", *sorted(set(data.allowed_scopes) - {"openid"})]
    return redirect, logout, scopes


def _full_clean(instance: Any) -> None:
    """The model's own checks (DOT validates the redirect URIs again, more strictly
    in places) as field errors of the form, not a 500."""
    try:
        instance.full_clean()
    except ValidationError as error:
        raise IdentityError(
            CLIENT_INVALID,
            _("接入系统信息有误，请检查标出的字段。"),
            fields=validation_fields(error),
            status=422,
        ) from error


@dataclass(frozen=True)
class RegisteredClient:
    application: Application
    policy: ClientPolicy
    client_secret: str  # shown once; only its hash is stored


@transaction.atomic
def client_register(
    *, data: ClientInput, acting_user: AbstractBaseUser | None, system: str = ""
) -> RegisteredClient:
    """Register a department system: a confidential authorization-code client with
    RS256 ID tokens, and its policy. Returns the clear secret once. ``system`` names
    a management command acting without a user (``"system:register_sample_rp"``)."""
    if not system:
        require_client_manager(acting_user)
    redirect, logout, scopes = _check(data)
    secret = secrets.token_urlsafe(48)
    application = Application(
        name=data.name.strip(),
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        algorithm=Application.RS256_ALGORITHM,
        redirect_uris=" ".join(redirect),
        post_logout_redirect_uris=" ".join(logout),
        skip_authorization=data.trusted,
        client_secret=secret,
        hash_client_secret=True,
    )
    _full_clean(application)
    application.save()
    policy = ClientPolicy(
        application=application,
        organisation=data.organisation,
        allowed_scopes=scopes,
        sector_identifier=sector_of(redirect),
        trusted=data.trusted,
    )
    _full_clean(policy)
    policy.save()
    audit.record(
        acting_user=acting_user,
        event="identity.client_registered",
        target=policy,
        data=_client_data(application, policy),
        actor_label=system,
    )
    return RegisteredClient(application, policy, secret)


@transaction.atomic
def client_update(
    *, policy_pk: int, data: ClientInput, acting_user: AbstractBaseUser | None
) -> ClientPolicy:
    """Change a client's name, organisation, URIs, scopes or trust. The sector (and
    so every user's subject) stays: relying systems key their users on it."""
    require_client_manager(acting_user)
    policy = ClientPolicy.objects.select_for_update().get(pk=policy_pk)
    application = policy.application
    redirect, logout, scopes = _check(data)
    before = _client_data(application, policy)
    application.name = data.name.strip()
    application.redirect_uris = " ".join(redirect)
    application.post_logout_redirect_uris = " ".join(logout)
    application.skip_authorization = data.trusted
    _full_clean(application)
    application.save()
    policy.organisation = data.organisation
    policy.allowed_scopes = scopes
    policy.trusted = data.trusted
    _full_clean(policy)
    policy.save()
    after = _client_data(application, policy)
    changes = {k: [before[k], after[k]] for k in after if before.get(k) != after[k]}
    if changes:
        audit.record(
            acting_user=acting_user,
            event="identity.client_changed",
            target=policy,
            data={"client_id": application.client_id, "changes": changes},
        )
    return policy


@transaction.atomic
def client_set_enabled(
    *, policy_pk: int, enabled: bool, acting_user: AbstractBaseUser | None
) -> ClientPolicy:
    """Disable a client (its tokens are revoked at once and it can get no more) or
    enable it again."""
    require_client_manager(acting_user)
    policy = ClientPolicy.objects.select_for_update().get(pk=policy_pk)
    if (policy.disabled_at is None) == enabled:
        return policy
    policy.disabled_at = None if enabled else timezone.now()
    policy.save(update_fields=["disabled_at", "updated_at"])
    revoked = 0 if enabled else _revoke(Q(application=policy.application))
    audit.record(
        acting_user=acting_user,
        event="identity.client_changed",
        target=policy,
        data={
            "client_id": policy.application.client_id,
            "changes": {"enabled": [not enabled, enabled]},
            "tokens_revoked": revoked,
        },
    )
    return policy


@transaction.atomic
def client_reset_secret(
    *, policy_pk: int, acting_user: AbstractBaseUser | None
) -> RegisteredClient:
    """Give a client a new secret (the old one stops working at once); returns the
    clear secret once."""
    require_client_manager(acting_user)
    policy = ClientPolicy.objects.select_for_update().get(pk=policy_pk)
    application = policy.application
    secret = secrets.token_urlsafe(48)
    application.client_secret = secret  # hashed on save
    application.save(update_fields=["client_secret", "updated"])
    audit.record(
        acting_user=acting_user,
        event="identity.client_changed",
        target=policy,
        data={"client_id": application.client_id, "changes": {"secret": "reset"}},
    )
    return RegisteredClient(application, policy, secret)


def _client_data(application: Application, policy: ClientPolicy) -> dict[str, Any]:
    return {
        "client_id": application.client_id,
        "name": application.name,
        "organisation": policy.organisation.credit_code,
        "redirect_uris": application.redirect_uris.split(),
        "post_logout_redirect_uris": application.post_logout_redirect_uris.split(),
        "allowed_scopes": list(policy.allowed_scopes),
        "trusted": policy.trusted,
        "sector_identifier": policy.sector_identifier,
    }
