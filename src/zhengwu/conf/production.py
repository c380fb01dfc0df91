"""Production hardening on top of base: nothing here may loosen a setting."""

from .base import *  # noqa: F403

DEBUG = False
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = env("SSL_REDIRECT", default=True, cast=as_bool)  # noqa: F405
SECURE_HSTS_SECONDS = 31536000
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The local SMS outbox page shows codes in clear: never in production.
ZHENGWU_SMS_OUTBOX_VISIBLE = False

for _name in ("ZHENGWU_FIELD_ENCRYPTION_KEY", "ZHENGWU_BLIND_INDEX_KEY"):
    _value = globals()[_name]
    if len(_value) != 32 or any(c not in "0123456789abcdefABCDEF" for c in _value):
        raise ImproperlyConfigured(  # noqa: F405
            f"{_name} must be set to 32 hexadecimal digits (an SM4 / HMAC-SM3 key)"
        )

# Single sign-on: a signing key from ZHENGWU_OIDC_PRIVATE_KEY_FILE and a fixed issuer.
if not OAUTH2_PROVIDER["OIDC_RSA_PRIVATE_KEY"]:  # noqa: F405
    raise ImproperlyConfigured(  # noqa: F405
        "ZHENGWU_OIDC_PRIVATE_KEY_FILE must name the PEM file of the OIDC signing key"
    )
if not OAUTH2_PROVIDER["OIDC_ISS_ENDPOINT"].startswith("https://"):  # noqa: F405
    raise ImproperlyConfigured(  # noqa: F405
        "ZHENGWU_OIDC_ISSUER must be the provider's https URL (e.g. https://host/o)"
    )

# The local payment and express providers confirm a payment nobody made and a parcel
# nobody carried: a deployment names real providers (ZHENGWU_PAYMENT_BACKEND,
# ZHENGWU_EXPRESS_BACKEND), unless it is a demonstration or benchmark that says so.
if not env("ALLOW_LOCAL_PROVIDERS", default=False, cast=as_bool):  # noqa: F405
    for _name in ("ZHENGWU_PAYMENT_BACKEND", "ZHENGWU_EXPRESS_BACKEND"):
        if globals()[_name].startswith("zhengwu.cases.providers."):
            raise ImproperlyConfigured(  # noqa: F405
                f"{_name} names the platform's local provider; set a real provider "
                "(or ZHENGWU_ALLOW_LOCAL_PROVIDERS=true for a demonstration)"
            )
