"""The sample relying party: authorization code flow with PKCE S256 (authlib's
requests-based ``OAuth2Session``), the ID token verified against the provider's
published JWKS (joserfc), the user's name from userinfo, its own HMAC-signed cookie,
and RP-initiated logout at the provider.

Configuration (environment, or ``--env-file``):
``ZHENGWU_SAMPLE_RP_ISSUER`` (e.g. ``http://127.0.0.1:8000/o``),
``ZHENGWU_SAMPLE_RP_CLIENT_ID``, ``ZHENGWU_SAMPLE_RP_CLIENT_SECRET``,
``ZHENGWU_SAMPLE_RP_PORT`` (8001), ``ZHENGWU_SAMPLE_RP_BASE_URL``
(``http://localhost:<port>``)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import os
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlencode

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet

COOKIE = "sample_rp"
COOKIE_MAX_AGE = 30 * 60
StartResponse = Callable[[str, list[tuple[str, str]]], Any]


@dataclass
class Config:
    issuer: str
    client_id: str
    client_secret: str
    base_url: str
    cookie_key: bytes = field(repr=False, default=b"")

    @classmethod
    def from_environ(cls, environ: dict[str, str] | None = None) -> Config:
        source = os.environ if environ is None else environ

        def required(name: str) -> str:
            value = source.get(f"ZHENGWU_SAMPLE_RP_{name}", "")
            if not value:
                raise SystemExit(
                    f"environment variable ZHENGWU_SAMPLE_RP_{name} is required"
                )
            return value

        port = source.get("ZHENGWU_SAMPLE_RP_PORT", "8001")
        secret = required("CLIENT_SECRET")
        return cls(
            issuer=required("ISSUER").rstrip("/"),
            client_id=required("CLIENT_ID"),
            client_secret=secret,
            base_url=source.get("ZHENGWU_SAMPLE_RP_BASE_URL", "")
            or f"http://localhost:{port}",
            cookie_key=hashlib.sha256(b"sample-rp-cookie|" + secret.encode()).digest(),
        )

    @property
    def redirect_uri(self) -> str:
        return f"{self.base_url}/callback"


def load_env_file(path: str) -> None:
    """``KEY=value`` lines into the environment (values already set win)."""
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, _, value = line.partition("=")
                os.environ.setdefault(key.strip(), value.strip())


class SampleRelyingParty:
    def __init__(self, config: Config) -> None:
        self.config = config
        self._metadata: dict[str, Any] | None = None
        self._keys: tuple[float, KeySet] | None = None

    # -- provider metadata --

    def metadata(self) -> dict[str, Any]:
        if self._metadata is None:
            url = f"{self.config.issuer}/.well-known/openid-configuration"
            response = requests.get(url, timeout=10)
            response.raise_for_status()
            document = response.json()
            if document["issuer"].rstrip("/") != self.config.issuer:
                raise ValueError("the discovery document names another issuer")
            self._metadata = document
        return self._metadata

    def key_set(self, *, refresh: bool = False) -> KeySet:
        if refresh or self._keys is None or time.time() - self._keys[0] > 3600:
            response = requests.get(self.metadata()["jwks_uri"], timeout=10)
            response.raise_for_status()
            self._keys = (time.time(), KeySet.import_key_set(response.json()))
        return self._keys[1]

    def oauth(self, **kwargs: Any) -> OAuth2Session:
        return OAuth2Session(
            self.config.client_id,
            self.config.client_secret,
            scope="openid profile",
            redirect_uri=self.config.redirect_uri,
            code_challenge_method="S256",
            **kwargs,
        )

    def verify_id_token(self, id_token: str, nonce: str) -> dict[str, Any]:
        try:
            decoded = jwt.decode(id_token, self.key_set(), algorithms=["RS256"])
        except Exception:  # noqa: BLE001  (a rotated key: fetch the JWKS once more)
            decoded = jwt.decode(
                id_token, self.key_set(refresh=True), algorithms=["RS256"]
            )
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": self.metadata()["issuer"]},
            aud={"essential": True, "value": self.config.client_id},
            sub={"essential": True},
            exp={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(decoded.claims)
        return dict(decoded.claims)

    # -- the signed cookie --

    def _sign(self, payload: bytes) -> str:
        mac = hmac.new(self.config.cookie_key, payload, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def read_session(self, environ: dict[str, Any]) -> dict[str, Any]:
        cookie = SimpleCookie(environ.get("HTTP_COOKIE", ""))
        if COOKIE not in cookie:
            return {}
        value = cookie[COOKIE].value
        body, _, signature = value.rpartition(".")
        try:
            payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except ValueError:
            return {}
        if not hmac.compare_digest(self._sign(payload), signature):
            return {}
        data = json.loads(payload)
        if data.get("exp", 0) < time.time():
            return {}
        return data

    def session_cookie(self, data: dict[str, Any] | None) -> tuple[str, str]:
        if not data:
            return (
                "Set-Cookie",
                f"{COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax",
            )
        data = {**data, "exp": int(time.time()) + COOKIE_MAX_AGE}
        payload = json.dumps(data, separators=(",", ":")).encode()
        body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
        value = f"{body}.{self._sign(payload)}"
        secure = "; Secure" if self.config.base_url.startswith("https://") else ""
        return (
            "Set-Cookie",
            f"{COOKIE}={value}; Path=/; Max-Age={COOKIE_MAX_AGE}; HttpOnly; "
            f"SameSite=Lax{secure}",
        )

    # -- pages --

    def __call__(
        self, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        session = self.read_session(environ)
        try:
            if path == "/":
                return self.home(session, start_response)
            if path == "/login":
                return self.login(start_response)
            if path == "/callback":
                query = {
                    k: v[0]
                    for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()
                }
                return self.callback(session, query, start_response)
            if path == "/logout":
                return self.logout(session, start_response)
        except Exception as error:  # noqa: BLE001  (a sample: show what went wrong)
            return self.page(
                start_response,
                "502 Bad Gateway",
                f"<p>登录未完成：{html.escape(type(error).__name__)}"
                f" {html.escape(str(error)[:200])}</p><p><a href='/'>返回</a></p>",
            )
        return self.page(start_response, "404 Not Found", "<p>页面不存在。</p>")

    def page(
        self,
        start_response: StartResponse,
        status: str,
        body: str,
        headers: list[tuple[str, str]] | None = None,
    ) -> Iterable[bytes]:
        document = (
            "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            "<title>示例接入系统</title></head><body><main>"
            "<h1>示例接入系统（单点登录演示）</h1>" + body + "</main></body></html>"
        ).encode()
        start_response(
            status,
            [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Length", str(len(document))),
                ("Cache-Control", "no-store"),
                ("Content-Security-Policy", "default-src 'none'; form-action 'self'"),
                *(headers or []),
            ],
        )
        return [document]

    def redirect(
        self, start_response: StartResponse, location: str, cookie: tuple[str, str]
    ) -> Iterable[bytes]:
        start_response(
            "302 Found", [("Location", location), ("Cache-Control", "no-store"), cookie]
        )
        return [b""]

    def home(
        self, session: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        if session.get("sub"):
            body = (
                f"<p>已登录：<strong id='user-name'>{html.escape(session.get('name', ''))}</strong></p>"
                f"<p>成对主体标识（sub）：<code id='user-sub'>{html.escape(session['sub'])}</code></p>"
                f"<p>实名等级：{html.escape(str(session.get('acr', '')))}</p>"
                "<p><a href='/logout'>退出</a></p>"
            )
        else:
            body = "<p>尚未登录。</p><p><a href='/login'>登录</a></p>"
        return self.page(start_response, "200 OK", body)

    def login(self, start_response: StartResponse) -> Iterable[bytes]:
        verifier, nonce = generate_token(48), generate_token(20)
        with self.oauth() as oauth:
            url, state = oauth.create_authorization_url(
                self.metadata()["authorization_endpoint"],
                code_verifier=verifier,
                nonce=nonce,
            )
        pending = {"state": state, "verifier": verifier, "nonce": nonce}
        return self.redirect(start_response, url, self.session_cookie(pending))

    def callback(
        self,
        session: dict[str, Any],
        query: dict[str, str],
        start_response: StartResponse,
    ) -> Iterable[bytes]:
        if "error" in query:
            return self.page(
                start_response,
                "400 Bad Request",
                f"<p>登录被拒绝：{html.escape(query['error'])}</p><p><a href='/'>返回</a></p>",
            )
        state = session.get("state")
        if not state or not hmac.compare_digest(state, query.get("state", "")):
            return self.page(
                start_response, "400 Bad Request", "<p>登录状态无效，请重新登录。</p>"
            )
        with self.oauth(state=state) as oauth:
            token = oauth.fetch_token(
                self.metadata()["token_endpoint"],
                code=query.get("code", ""),
                code_verifier=session["verifier"],
            )
        claims = self.verify_id_token(token["id_token"], session["nonce"])
        info = requests.get(
            self.metadata()["userinfo_endpoint"],
            headers={"Authorization": f"Bearer {token['access_token']}"},
            timeout=10,
        ).json()
        if info.get("sub") != claims["sub"]:
            raise ValueError("userinfo names another subject")
        signed_in = {
            "sub": claims["sub"],
            "acr": claims.get("acr", ""),
            "name": info.get("name", ""),
            "id_token": token["id_token"],
        }
        return self.redirect(start_response, "/", self.session_cookie(signed_in))

    def logout(
        self, session: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        end_session = self.metadata().get("end_session_endpoint")
        if not session.get("id_token") or not end_session:
            return self.redirect(start_response, "/", self.session_cookie(None))
        params = {
            "id_token_hint": session["id_token"],
            "post_logout_redirect_uri": f"{self.config.base_url}/",
            "state": secrets.token_urlsafe(12),
        }
        return self.redirect(
            start_response,
            f"{end_session}?{urlencode(params)}",
            self.session_cookie(None),
        )


def make_app(environ: dict[str, str] | None = None) -> SampleRelyingParty:
    return SampleRelyingParty(Config.from_environ(environ))
