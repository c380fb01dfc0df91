"""Embedded single-machine settings used by ``make run``."""

import os

os.environ.setdefault("ZHENGWU_DEBUG", "true")

from .base import *  # noqa: E402, F403

VAR_DIR.mkdir(parents=True, exist_ok=True)  # noqa: F405
