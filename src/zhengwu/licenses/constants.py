"""Licence states, holder kinds and the one transition table."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class HolderKind(models.TextChoices):
    PERSON = "person", _("自然人")
    ENTITY = "entity", _("法人和其他组织")


# 持证主体代码类型 (standards §5.2; the full table is unconfirmed)
HOLDER_CODE_TYPES = {
    HolderKind.PERSON: ("111", "居民身份证号码"),
    HolderKind.ENTITY: ("001", "统一社会信用代码"),
}


class LicenceStatus(models.TextChoices):
    VALID = "valid", _("有效")
    SUSPENDED = "suspended", _("暂停")
    REVOKED = "revoked", _("注销")
    EXPIRED = "expired", _("过期")
    SUPERSEDED = "superseded", _("已变更（旧版本）")


TRANSITIONS: dict[str, frozenset[str]] = {
    LicenceStatus.VALID: frozenset(
        {
            LicenceStatus.SUSPENDED,
            LicenceStatus.REVOKED,
            LicenceStatus.EXPIRED,
            LicenceStatus.SUPERSEDED,
        }
    ),
    LicenceStatus.SUSPENDED: frozenset(
        {LicenceStatus.VALID, LicenceStatus.REVOKED, LicenceStatus.EXPIRED}
    ),
    LicenceStatus.REVOKED: frozenset(),
    LicenceStatus.EXPIRED: frozenset({LicenceStatus.REVOKED}),
    LicenceStatus.SUPERSEDED: frozenset(),
}


class LicenceEventKind(models.TextChoices):
    ISSUE = "issue", _("颁发")
    CHANGE = "change", _("变更")
    SUSPEND = "suspend", _("暂停")
    RESUME = "resume", _("恢复")
    REVOKE = "revoke", _("注销")
    EXPIRE = "expire", _("过期")
