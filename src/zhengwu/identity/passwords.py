"""Password policy (GB/T 22239 8.1.4.1 a; the values are assessor practice, standards
§8): at least 8 characters from at least 3 of the 4 character classes, not a common
password, not containing the username, not one of the last five, and for staff
changed every 90 days.

:class:`ComplexityValidator` is registered in ``AUTH_PASSWORD_VALIDATORS`` next to
Django's length and common-password validators, so every password form applies it."""

import datetime
import string
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

MIN_CLASSES = 3


def character_classes(password: str) -> int:
    """How many of upper case, lower case, digits and other characters occur."""
    return sum(
        [
            any(c in string.ascii_uppercase for c in password),
            any(c in string.ascii_lowercase for c in password),
            any(c.isdigit() for c in password),
            any(not (c.isascii() and c.isalnum()) for c in password),
        ]
    )


class ComplexityValidator:
    """At least three of four character classes, and not containing the username
    (case-insensitively, for usernames of three characters or more)."""

    def __init__(self, min_classes: int = MIN_CLASSES) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user: Any = None) -> None:
        if character_classes(password) < self.min_classes:
            raise ValidationError(
                _("密码须包含大写字母、小写字母、数字、符号中的至少三类。"),
                code="password_too_simple",
            )
        username = (user.get_username() if user is not None else "") or ""
        if len(username) >= 3 and username.lower() in password.lower():
            raise ValidationError(
                _("密码不能包含用户名。"), code="password_contains_username"
            )

    def get_help_text(self) -> str:
        return _(
            "密码须包含大写字母、小写字母、数字、符号中的至少三类，且不能包含用户名。"
        )


def history_limit() -> int:
    return int(settings.ZHENGWU_PASSWORD_HISTORY)


def is_recent_password(user: AbstractBaseUser, raw_password: str) -> bool:
    """Whether ``raw_password`` is the current one or one of the last
    ``ZHENGWU_PASSWORD_HISTORY`` (five) recorded in ``PasswordHistory``."""
    from .models import PasswordHistory

    hashes = PasswordHistory.objects.filter(user=user).values_list(
        "password", flat=True
    )[: history_limit()]
    return any(check_password(raw_password, encoded) for encoded in hashes)


def password_expired(
    changed_at: datetime.datetime | None, *, now: datetime.datetime | None = None
) -> bool:
    """Whether a password set at ``changed_at`` is older than
    ``ZHENGWU_STAFF_PASSWORD_MAX_AGE_DAYS`` (90; applies to staff). Never set: no."""
    if changed_at is None:
        return False
    age = (now or timezone.now()) - changed_at
    return age > datetime.timedelta(days=settings.ZHENGWU_STAFF_PASSWORD_MAX_AGE_DAYS)
