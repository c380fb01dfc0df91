"""Settings for the test suite: fast hashing, debug off, a fixed test key."""

import os

os.environ.setdefault("ZHENGWU_DEBUG", "false")
os.environ.setdefault("ZHENGWU_SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault("ZHENGWU_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")

from .base import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Field encryption and blind-index keys derived from the test SECRET_KEY (outside
# DEBUG, core.crypto refuses derived keys unless this says so).
ZHENGWU_DERIVED_KEYS_ALLOWED = True
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
}
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405  (WhiteNoise expects it)

# A fresh OIDC signing key for each test process, never written anywhere.
if not OAUTH2_PROVIDER["OIDC_RSA_PRIVATE_KEY"]:  # noqa: F405
    from zhengwu.identity.keys import generate_rsa_private_key_pem

    OAUTH2_PROVIDER["OIDC_RSA_PRIVATE_KEY"] = generate_rsa_private_key_pem(2048)  # noqa: F405
