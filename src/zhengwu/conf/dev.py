"""Embedded single-machine settings used by ``make run``."""

import os
from pathlib import Path

os.environ.setdefault("ZHENGWU_DEBUG", "true")
# The OIDC signing key `manage.py ensure_oidc_key` (make setup) generates once.
os.environ.setdefault(
    "ZHENGWU_OIDC_PRIVATE_KEY_FILE",
    str(
        Path(
            os.environ.get("ZHENGWU_VAR_DIR")
            or Path(__file__).resolve().parents[3] / "var"
        )
        / "oidc-signing-key.pem"
    ),
)
# The demo reads its SMS codes from the local outbox page (with DEBUG only: these
# settings run with DEBUG off would otherwise publish every login code).
if os.environ["ZHENGWU_DEBUG"].strip().lower() in {"1", "true", "yes", "on"}:
    os.environ.setdefault("ZHENGWU_SMS_OUTBOX_VISIBLE", "true")

from .base import *  # noqa: E402, F403

VAR_DIR.mkdir(parents=True, exist_ok=True)  # noqa: F405
