"""Helpers for the single sign-on tests: citizens with a person record, registered
clients, a browser session on the live server, and a real OIDC client (authlib)."""

from __future__ import annotations

import gc
import secrets
import threading
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet

from zhengwu.catalog.tests.factories import OrganisationFactory
from zhengwu.core.crypto import blind_index
from zhengwu.identity.constants import StaffRole
from zhengwu.identity.models import Person, StaffMembership
from zhengwu.identity.oidc import ClientInput, client_register, client_update

from .person_factories import make_id_number, make_mobile

# HTTP sessions of the current test, closed at its end (close_http_sessions): a
# live-server thread left waiting on an idle keep-alive connection would otherwise
# close its database connection later, during another test.
OPEN_SESSIONS: list[requests.Session] = []


def close_http_sessions() -> None:
    while OPEN_SESSIONS:
        OPEN_SESSIONS.pop().close()
    # A finished response can keep its socket open until the garbage collector
    # breaks its reference cycle; collect now, while the live server still runs.
    gc.collect()
    wait_for_request_threads()


def wait_for_request_threads(timeout: float = 10.0) -> None:
    """Wait until every live-server request thread has ended. Closing a connection
    only tells its thread to finish: the thread then closes its database connection
    on its own time, which may be during the next test (or after the live server
    stopped sharing the SQLite connection). A thread still waiting after
    ``timeout`` serves a connection some client of this test left open: a test
    bug, reported here rather than as a failure in another test."""
    deadline = time.monotonic() + timeout
    for thread in threading.enumerate():
        if "process_request_thread" in thread.name:
            thread.join(max(0.0, deadline - time.monotonic()))
    left = [t.name for t in threading.enumerate() if "process_request_thread" in t.name]
    assert not left, f"live-server request threads outlive the test: {left}"


def make_person_user(username: str, name: str = "张三", *, level: int = 2):
    user = get_user_model().objects.create_user(
        username=username, password=secrets.token_urlsafe(16)
    )
    id_number, mobile = make_id_number(), make_mobile()
    person = Person.objects.create(
        user=user,
        name=name,
        id_number=id_number,
        id_number_index=blind_index(id_number, purpose="id_number"),
        mobile=mobile,
        mobile_index=blind_index(mobile, purpose="mobile"),
        assurance_level=level,
    )
    user.clear_id_number = id_number
    user.clear_mobile = mobile
    user.person_record = person
    return user


def security_admin():
    """The security administrator who registers the test clients (only that role
    may: not a superuser)."""
    model = get_user_model()
    user = model.objects.filter(username="oidc-secadmin").first()
    if user is None:
        user = model.objects.create_user(
            username="oidc-secadmin", password=secrets.token_urlsafe(16)
        )
        StaffMembership.objects.create(
            user=user,
            organisation=OrganisationFactory(),
            role=StaffRole.SECURITY_ADMIN,
        )
    return user


def register(
    name: str,
    redirect_uri: str,
    *,
    scopes: tuple[str, ...] = ("openid", "profile"),
    trusted: bool = True,
    logout_uri: str = "",
    organisation=None,
):
    return client_register(
        data=ClientInput(
            name=name,
            organisation=organisation or OrganisationFactory(),
            redirect_uris=redirect_uri,
            post_logout_redirect_uris=logout_uri,
            allowed_scopes=list(scopes),
            trusted=trusted,
        ),
        acting_user=security_admin(),
    )


def withdraw_scopes(registered, *, keep):
    """The security administrator narrows the client's policy to ``keep``."""
    application, policy = registered.application, registered.policy
    client_update(
        policy_pk=policy.pk,
        data=ClientInput(
            name=application.name,
            organisation=policy.organisation,
            redirect_uris=application.redirect_uris,
            post_logout_redirect_uris=application.post_logout_redirect_uris,
            allowed_scopes=list(keep),
            trusted=policy.trusted,
        ),
        acting_user=security_admin(),
    )


def browser_for(live_server, user) -> requests.Session:
    """A browser-like session on the live server, signed in as ``user``: the session
    is made by Django's own login (which the identity signals track)."""
    django_client = Client()
    django_client.force_login(user)
    cookie = django_client.cookies[settings.SESSION_COOKIE_NAME].value
    browser = requests.Session()
    OPEN_SESSIONS.append(browser)
    host = urlsplit(live_server.url).hostname or ""
    if "." not in host:  # http.cookiejar matches "localhost" as "localhost.local"
        host += ".local"
    browser.cookies.set(settings.SESSION_COOKIE_NAME, cookie, domain=host)
    return browser


@dataclass
class Provider:
    base: str

    @property
    def issuer(self) -> str:
        return f"{self.base}/o"

    def discovery(self) -> dict:
        return requests.get(
            f"{self.base}/o/.well-known/openid-configuration", timeout=10
        ).json()

    def key_set(self) -> KeySet:
        jwks = requests.get(self.discovery()["jwks_uri"], timeout=10).json()
        return KeySet.import_key_set(jwks)


@dataclass
class RelyingParty:
    """One department system as a real OIDC client would behave (authlib)."""

    provider: Provider
    client_id: str
    client_secret: str
    redirect_uri: str
    scope: str = "openid profile"

    def session(self) -> OAuth2Session:
        oauth = OAuth2Session(
            self.client_id,
            self.client_secret,
            scope=self.scope,
            redirect_uri=self.redirect_uri,
            code_challenge_method="S256",
        )
        OPEN_SESSIONS.append(oauth)
        return oauth

    def start(self, **extra) -> tuple[OAuth2Session, str, str, str]:
        """The authorization URL with a fresh PKCE verifier and nonce."""
        oauth = self.session()
        verifier, nonce = generate_token(48), generate_token(20)
        url, _state = oauth.create_authorization_url(
            f"{self.provider.base}/o/authorize/",
            code_verifier=verifier,
            nonce=nonce,
            **extra,
        )
        return oauth, url, verifier, nonce

    def login(self, browser: requests.Session, **extra) -> dict:
        """Authorize in ``browser`` and exchange the code; return the token and the
        verified ID token claims."""
        oauth, url, verifier, nonce = self.start(**extra)
        response = browser.get(url, allow_redirects=False)
        assert response.status_code == 302, response.text[:500]
        location = response.headers["Location"]
        assert location.startswith(self.redirect_uri), location
        token = oauth.fetch_token(
            f"{self.provider.base}/o/token/",
            authorization_response=location,
            code_verifier=verifier,
        )
        claims = self.verify_id_token(token["id_token"], nonce=nonce)
        return {"token": token, "claims": claims, "oauth": oauth}

    def verify_id_token(self, id_token: str, *, nonce: str | None = None) -> dict:
        decoded = jwt.decode(id_token, self.provider.key_set(), algorithms=["RS256"])
        checks = {
            "iss": {"essential": True, "value": self.provider.issuer},
            "aud": {"essential": True, "value": self.client_id},
            "sub": {"essential": True},
            "exp": {"essential": True},
        }
        if nonce is not None:
            checks["nonce"] = {"essential": True, "value": nonce}
        jwt.JWTClaimsRegistry(**checks).validate(decoded.claims)
        assert decoded.header["alg"] == "RS256"
        return decoded.claims

    def userinfo(self, access_token: str) -> requests.Response:
        return requests.get(
            f"{self.provider.base}/o/userinfo/",
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=10,
        )


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def relying_party(live_server, registered, redirect_uri, scope="openid profile"):
    return RelyingParty(
        Provider(live_server.url),
        registered.application.client_id,
        registered.client_secret,
        redirect_uri,
        scope,
    )
