"""The provider's endpoints under /o/ (namespace ``oauth2_provider``): only what the
authorization code flow and OpenID Connect need, and token introspection (RFC 7662,
views.introspect). django-oauth-toolkit's own
application-management pages (where any signed-in user could register a client),
its device flow and dynamic registration are not routed: department systems are
registered by the security administrator at /staff/sso-clients/."""

from django.urls import path, re_path

from oauth2_provider import views

from .views.introspect import SsoIntrospectView
from .views.sso import SsoAuthorizationView, SsoLogoutView, refuse_malformed

app_name = "oauth2_provider"

urlpatterns = [
    path(
        "authorize/",
        refuse_malformed(SsoAuthorizationView.as_view()),
        name="authorize",
    ),
    path("token/", refuse_malformed(views.TokenView.as_view()), name="token"),
    path(
        "revoke_token/",
        refuse_malformed(views.RevokeTokenView.as_view()),
        name="revoke-token",
    ),
    # RFC 7662, for department systems acting as resource servers (views.introspect).
    path(
        "introspect/",
        refuse_malformed(SsoIntrospectView.as_view()),
        name="introspect",
    ),
    re_path(
        r"^\.well-known/openid-configuration/?$",
        refuse_malformed(views.ConnectDiscoveryInfoView.as_view()),
        name="oidc-connect-discovery-info",
    ),
    path(
        ".well-known/jwks.json",
        refuse_malformed(views.JwksInfoView.as_view()),
        name="jwks-info",
    ),
    path("userinfo/", refuse_malformed(views.UserInfoView.as_view()), name="user-info"),
    # Logging out from a department system ends the platform sessions everywhere.
    path(
        "logout/", refuse_malformed(SsoLogoutView.as_view()), name="rp-initiated-logout"
    ),
]
