"""All settings. Values come from ``ZHENGWU_*`` variables through ``env`` only."""

from ipaddress import ip_network
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from .env import as_bool, as_database, as_int, as_list, env

SRC_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = SRC_DIR.parent.parent
VAR_DIR = Path(env("VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env("DEBUG", default=False, cast=as_bool)
_DEV_SECRET = "insecure-development-key-only-for-debug"  # noqa: S105
SECRET_KEY = env("SECRET_KEY", default=_DEV_SECRET) if DEBUG else env("SECRET_KEY")
if not DEBUG and SECRET_KEY == _DEV_SECRET:
    raise ImproperlyConfigured("ZHENGWU_SECRET_KEY must be set when DEBUG is off")
ALLOWED_HOSTS = env("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"], cast=as_list)
CSRF_TRUSTED_ORIGINS = env("CSRF_TRUSTED_ORIGINS", default=[], cast=as_list)
# Reverse proxies (addresses or networks) whose X-Forwarded-For names the client:
# without them every user behind the proxy would share its address (login locks).
ZHENGWU_TRUSTED_PROXIES = env("TRUSTED_PROXIES", default=[], cast=as_list)
for _proxy in ZHENGWU_TRUSTED_PROXIES:
    try:
        ip_network(_proxy, strict=False)
    except ValueError as _error:
        raise ImproperlyConfigured(
            f"environment variable ZHENGWU_TRUSTED_PROXIES: {_error}"
        ) from _error

DATABASES = {
    "default": env(
        "DATABASE_URL",
        default=f"sqlite:///{VAR_DIR / 'zhengwu.sqlite3'}",
        cast=as_database,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # serves its Swagger UI from our static files, not a CDN
    "django_tasks_db",
    "oauth2_provider",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "zhengwu.core",
    "zhengwu.identity",
    "zhengwu.catalog",
    "zhengwu.workflows",
    "zhengwu.cases",
    "zhengwu.licenses",
    "zhengwu.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "zhengwu.core.middleware.FormEncodingMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "zhengwu.identity.middleware.SessionPolicyMiddleware",
    "zhengwu.identity.middleware.ActingMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Inside the CSP middleware: lets SSO sign-in forms redirect to the client.
    "zhengwu.identity.oidc_csp.SsoFormActionMiddleware",
    "zhengwu.core.middleware.RequestContextMiddleware",
]

ROOT_URLCONF = "zhengwu.urls"
WSGI_APPLICATION = "zhengwu.wsgi.application"
ASGI_APPLICATION = "zhengwu.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [SRC_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    # 等保 8.1.4.1 a: ≥ 3 of 4 character classes, not containing the username.
    {"NAME": "zhengwu.identity.passwords.ComplexityValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"

# --- Single sign-on: the OpenID Connect provider (django-oauth-toolkit) ---------------
# Department systems (clients) use the authorization code flow with PKCE S256 only and
# get RS256-signed ID tokens with pairwise subjects (zhengwu.identity.oidc). The signing
# key is a PEM file: `make run` generates var/oidc-signing-key.pem (ensure_oidc_key),
# the test settings generate one per process, production.py requires the file.
ZHENGWU_OIDC_PRIVATE_KEY_FILE = env("OIDC_PRIVATE_KEY_FILE", default="")
_oidc_private_key = ""
if ZHENGWU_OIDC_PRIVATE_KEY_FILE:
    _oidc_key_path = Path(ZHENGWU_OIDC_PRIVATE_KEY_FILE)
    if _oidc_key_path.is_file():
        _oidc_private_key = _oidc_key_path.read_text()
    elif not DEBUG:
        raise ImproperlyConfigured(
            f"ZHENGWU_OIDC_PRIVATE_KEY_FILE: no such file {_oidc_key_path}"
        )
ZHENGWU_OIDC_SCOPES = {
    "openid": "登录身份（成对主体标识）和实名等级",
    "profile": "姓名",
    "phone": "手机号码",
    "id_number": "公民身份号码（仅限获准的接入系统）",
    "enterprise": "所代表或经办的法人",
    "api": "以本人身份调用平台接口",
}
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": _oidc_private_key,
    # A stable issuer; empty derives it from the request (development only).
    "OIDC_ISS_ENDPOINT": env("OIDC_ISSUER", default=""),
    "OAUTH2_VALIDATOR_CLASS": "zhengwu.identity.oidc.ZhengwuOAuth2Validator",
    "OAUTH2_SERVER_CLASS": "oauthlib.openid.Server",
    "SCOPES": ZHENGWU_OIDC_SCOPES,
    "DEFAULT_SCOPES": ["openid"],
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_GRANT_TYPES_SUPPORTED": ["authorization_code", "refresh_token"],
    "OIDC_SUBJECT_TYPES_SUPPORTED": ["pairwise"],
    # PKCE on every authorization request, S256 only (plain refused: RFC 9700 2.1.1).
    "PKCE_REQUIRED": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,  # only token checksums at rest
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "ACCESS_TOKEN_EXPIRE_SECONDS": env(
        "OIDC_ACCESS_TOKEN_SECONDS", default=600, cast=as_int
    ),
    "ID_TOKEN_EXPIRE_SECONDS": env(
        "OIDC_ACCESS_TOKEN_SECONDS", default=600, cast=as_int
    ),
    "REFRESH_TOKEN_EXPIRE_SECONDS": env(
        "OIDC_REFRESH_TOKEN_SECONDS", default=8 * 3600, cast=as_int
    ),
    # A used refresh token is replaced; presenting an old one revokes the family.
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "REQUEST_APPROVAL_PROMPT": "auto",
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https", "http"],  # http: loopback only (forms)
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": False,
    "OIDC_RP_INITIATED_LOGOUT_STRICT_REDIRECT_URIS": True,
    "OIDC_RP_INITIATED_LOGOUT_DELETE_TOKENS": True,
}
# Personal data at rest: SM4 key and blind-index key, 32 hex digits each. Empty is
# allowed with DEBUG on and in the test settings only (derived from SECRET_KEY);
# production.py refuses to start without them.
ZHENGWU_FIELD_ENCRYPTION_KEY = env("FIELD_ENCRYPTION_KEY", default="")
ZHENGWU_BLIND_INDEX_KEY = env("BLIND_INDEX_KEY", default="")

LOGIN_URL = "identity:login"
LOGIN_REDIRECT_URL = "portal:workbench"
LOGOUT_REDIRECT_URL = "portal:home"

LANGUAGE_CODE = "zh-hans"
# Chinese only: the interface text has no English catalogue, so offering "en" made
# Django's, django-otp's and django-oauth-toolkit's own messages (form errors, OAuth
# error descriptions) turn English for an English browser inside Chinese pages.
LANGUAGES = [("zh-hans", "简体中文")]
LOCALE_PATHS = [SRC_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Serve app static files straight from the finders under make run (no collectstatic).
WHITENOISE_USE_FINDERS = DEBUG
STATICFILES_DIRS = [SRC_DIR / "static"]
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Attachments are served through a view that checks access, never from MEDIA_URL.
MEDIA_URL = "/_private-media/"  # never routed: no view serves this prefix
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
ZHENGWU_ATTACHMENT_MAX_BYTES = env(
    "ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024, cast=as_int
)
ZHENGWU_IMPORT_MAX_BYTES = env(
    "IMPORT_MAX_BYTES", default=20 * 1024 * 1024, cast=as_int
)
_unpacked = env("IMPORT_MAX_UNPACKED_BYTES", default=0, cast=as_int)
if _unpacked:  # otherwise ten times ZHENGWU_IMPORT_MAX_BYTES (catalog.transfer)
    ZHENGWU_IMPORT_MAX_UNPACKED_BYTES = _unpacked
ZHENGWU_IMPORT_MAX_ROWS = env("IMPORT_MAX_ROWS", default=50_000, cast=as_int)
ZHENGWU_EXPORT_MAX_ROWS = env("EXPORT_MAX_ROWS", default=10_000, cast=as_int)
ZHENGWU_LICENCE_IMPORT_MAX_ROWS = env(
    "LICENCE_IMPORT_MAX_ROWS", default=5_000, cast=as_int
)
ZHENGWU_LICENCE_IMPORT_LEASE_SECONDS = env(
    "LICENCE_IMPORT_LEASE_SECONDS", default=3_600, cast=as_int
)
ZHENGWU_LICENCE_IMPORT_REQUEUE_INTERVAL_SECONDS = env(
    "LICENCE_IMPORT_REQUEUE_INTERVAL_SECONDS", default=300, cast=as_int
)
_divisions_csv = env("DIVISIONS_CSV", default="")
if _divisions_csv:
    ZHENGWU_DIVISIONS_CSV = _divisions_csv

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

TASKS = {
    "default": {
        "BACKEND": env("TASK_BACKEND", default="django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env("SESSION_AGE_SECONDS", default=30 * 60, cast=as_int)
SESSION_SAVE_EVERY_REQUEST = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CSP = {
    "default-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}

# Province this deployment serves (GB/T 2260 code) and its catalogue prefix (§1.2).
ZHENGWU_PROVINCE_CODE = env("PROVINCE_CODE", default="210000")
ZHENGWU_CATALOG_PREFIX = env("CATALOG_PREFIX", default=ZHENGWU_PROVINCE_CODE[:2])
ZHENGWU_AUDIT_SEAL_SECONDS = env("AUDIT_SEAL_SECONDS", default=5, cast=as_int)
ZHENGWU_API_PAGE_SIZE_MAX = 100

# Accounts and login (等保 8.1.4.1; the values are assessor practice, standards §8).
ZHENGWU_STAFF_PASSWORD_MAX_AGE_DAYS = env(
    "STAFF_PASSWORD_MAX_AGE_DAYS", default=90, cast=as_int
)
ZHENGWU_PASSWORD_HISTORY = env("PASSWORD_HISTORY", default=5, cast=as_int)
ZHENGWU_LOGIN_MAX_FAILURES = env("LOGIN_MAX_FAILURES", default=5, cast=as_int)
ZHENGWU_LOGIN_LOCK_MINUTES = env("LOGIN_LOCK_MINUTES", default=15, cast=as_int)
ZHENGWU_LOGIN_ADDRESS_WINDOW_MINUTES = env(
    "LOGIN_ADDRESS_WINDOW_MINUTES", default=15, cast=as_int
)
ZHENGWU_LOGIN_PENDING_MINUTES = env("LOGIN_PENDING_MINUTES", default=5, cast=as_int)
ZHENGWU_SESSION_IDLE_MINUTES = env("SESSION_IDLE_MINUTES", default=30, cast=as_int)
ZHENGWU_STAFF_SESSION_IDLE_MINUTES = env(
    "STAFF_SESSION_IDLE_MINUTES", default=15, cast=as_int
)
ZHENGWU_SMS_BACKEND = env("SMS_BACKEND", default="zhengwu.core.sms.OutboxSmsGateway")
ZHENGWU_SMS_OUTBOX_VISIBLE = env("SMS_OUTBOX_VISIBLE", default=False, cast=as_bool)
ZHENGWU_SMS_CODE_MINUTES = env("SMS_CODE_MINUTES", default=5, cast=as_int)
ZHENGWU_SMS_CODE_MAX_ATTEMPTS = env("SMS_CODE_MAX_ATTEMPTS", default=5, cast=as_int)
ZHENGWU_SMS_CODE_INTERVAL_SECONDS = env(
    "SMS_CODE_INTERVAL_SECONDS", default=60, cast=as_int
)
ZHENGWU_SMS_CODES_PER_MOBILE_PER_DAY = env(
    "SMS_CODES_PER_MOBILE_PER_DAY", default=10, cast=as_int
)
ZHENGWU_SMS_CODES_PER_ADDRESS_PER_HOUR = env(
    "SMS_CODES_PER_ADDRESS_PER_HOUR", default=20, cast=as_int
)
ZHENGWU_ACCOUNT_EXPIRY_SECONDS = env("ACCOUNT_EXPIRY_SECONDS", default=300, cast=as_int)
# Base records (identity.registry): dotted paths of the population and legal-person
# registries; the defaults read the platform's own tables.
ZHENGWU_POPULATION_REGISTRY = env(
    "POPULATION_REGISTRY", default="zhengwu.identity.registry.LocalPopulationRegistry"
)
ZHENGWU_LEGAL_PERSON_REGISTRY = env(
    "LEGAL_PERSON_REGISTRY",
    default="zhengwu.identity.registry.LocalLegalPersonRegistry",
)
ZHENGWU_AUTHORISATION_MAX_DAYS = env("AUTHORISATION_MAX_DAYS", default=365, cast=as_int)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # Django's own default config gives "django" a second console handler in debug:
    # one handler, no propagation, so each line (requests, tasks) is printed once.
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# --- cases: uploads, deadlines, notifications, payment, express, webhooks, ratings ---
# Largest file accepted for one case material.
ZHENGWU_CASE_UPLOAD_MAX_BYTES = env(
    "CASE_UPLOAD_MAX_BYTES", default=10 * 1024 * 1024, cast=as_int
)
# Working days before the due date from which an open case shows the warning state.
ZHENGWU_CASE_WARNING_DAYS = env("CASE_WARNING_DAYS", default=3, cast=as_int)
# Whether the first and last day of a special procedure (clock pause) still count
# toward the limit; the texts do not fix it (standards §10). Default: neither counts.
ZHENGWU_CASE_PAUSE_EDGE_DAYS_COUNT = env(
    "CASE_PAUSE_EDGE_DAYS_COUNT", default="false", cast=as_bool
)
# Email of case notifications (Django's mail API, MAILERS); SMTP unless told otherwise.
_EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
MAILERS = {
    "default": {
        "BACKEND": _EMAIL_BACKEND,
        "OPTIONS": {
            "host": env("EMAIL_HOST", default="localhost"),
            "port": env("EMAIL_PORT", default=25, cast=as_int),
        }
        if _EMAIL_BACKEND.endswith("smtp.EmailBackend")
        else {},
    }
}
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="noreply@zhengwu.local")
ZHENGWU_NOTIFICATION_MAX_ATTEMPTS = env(
    "NOTIFICATION_MAX_ATTEMPTS", default=5, cast=as_int
)
# A pending notification untouched this long lost its worker: the sweeper re-enqueues it.
ZHENGWU_NOTIFICATION_STALE_SECONDS = env(
    "NOTIFICATION_STALE_SECONDS", default=120, cast=as_int
)
# Finished task results are kept this many days (failed ones longer), then pruned.
ZHENGWU_TASK_RESULTS_KEEP_DAYS = env("TASK_RESULTS_KEEP_DAYS", default=14, cast=as_int)
ZHENGWU_TASK_FAILED_KEEP_DAYS = env("TASK_FAILED_KEEP_DAYS", default=90, cast=as_int)
# Applications taken in on the API's asynchronous path (收件): the scheduled task that
# makes their cases runs this often, for at most this long; a failed one is tried
# again after the retry delay, up to the attempts limit (then left to an operator).
ZHENGWU_INTAKE_INTERVAL_SECONDS = env("INTAKE_INTERVAL_SECONDS", default=2, cast=as_int)
ZHENGWU_INTAKE_BUDGET_SECONDS = env("INTAKE_BUDGET_SECONDS", default=50, cast=as_int)
ZHENGWU_INTAKE_RETRY_SECONDS = env("INTAKE_RETRY_SECONDS", default=60, cast=as_int)
ZHENGWU_INTAKE_MAX_ATTEMPTS = env("INTAKE_MAX_ATTEMPTS", default=10, cast=as_int)
# Where providers post their asynchronous notifications (this platform's base URL).
ZHENGWU_CALLBACK_BASE_URL = env("CALLBACK_BASE_URL", default="http://127.0.0.1:8000")
ZHENGWU_CALLBACK_MAX_SKEW_SECONDS = env(
    "CALLBACK_MAX_SKEW_SECONDS", default=300, cast=as_int
)
ZHENGWU_PAYMENT_BACKEND = env(
    "PAYMENT_BACKEND",
    default="zhengwu.cases.providers.payment_local.LocalPaymentGateway",
)
# Shared secrets of the local payment and express providers (HMAC-SM3); empty =
# derived from SECRET_KEY (development and tests only).
ZHENGWU_PAYMENT_LOCAL_SECRET = env("PAYMENT_LOCAL_SECRET", default="")
ZHENGWU_EXPRESS_BACKEND = env(
    "EXPRESS_BACKEND",
    default="zhengwu.cases.providers.express_local.LocalExpressGateway",
)
ZHENGWU_EXPRESS_LOCAL_SECRET = env("EXPRESS_LOCAL_SECRET", default="")
ZHENGWU_PROVIDER_NOTIFY_MAX_ATTEMPTS = env(
    "PROVIDER_NOTIFY_MAX_ATTEMPTS", default=8, cast=as_int
)
ZHENGWU_WEBHOOK_MAX_ATTEMPTS = env("WEBHOOK_MAX_ATTEMPTS", default=8, cast=as_int)
ZHENGWU_WEBHOOK_TIMEOUT_SECONDS = env("WEBHOOK_TIMEOUT_SECONDS", default=5, cast=as_int)
# Whether webhook receivers may be loopback, private, link-local or other non-public
# addresses (SSRF guard; checked at subscription and before each delivery). Only for
# development and tests with a local receiver.
ZHENGWU_WEBHOOK_ALLOW_PRIVATE_TARGETS = env(
    "WEBHOOK_ALLOW_PRIVATE_TARGETS", default="false", cast=as_bool
)
# 差评整改: working days the department has to answer a bad rating.
ZHENGWU_RECTIFICATION_DAYS = env("RECTIFICATION_DAYS", default=15, cast=as_int)
# TrueType CJK font embedded in generated PDFs (decision documents, demo forms).
ZHENGWU_PDF_FONT = env(
    "PDF_FONT", default="/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
)
