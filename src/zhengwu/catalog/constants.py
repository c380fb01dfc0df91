from django.db import models
from django.utils.translation import gettext_lazy as _


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审核")
    RETURNED = "returned", _("退回修改")
    PUBLISHED = "published", _("已发布")
    DISCARDED = "discarded", _("已作废")


OPEN_STATUSES = (VersionStatus.DRAFT, VersionStatus.SUBMITTED, VersionStatus.RETURNED)

# The only allowed status changes; every service checks against this table.
TRANSITIONS: dict[str, frozenset[str]] = {
    VersionStatus.DRAFT: frozenset({VersionStatus.SUBMITTED, VersionStatus.DISCARDED}),
    VersionStatus.RETURNED: frozenset(
        {VersionStatus.SUBMITTED, VersionStatus.DISCARDED}
    ),
    VersionStatus.SUBMITTED: frozenset(
        {VersionStatus.PUBLISHED, VersionStatus.RETURNED}
    ),
    VersionStatus.PUBLISHED: frozenset(),
    VersionStatus.DISCARDED: frozenset(),
}


class Audience(models.TextChoices):
    NATURAL_PERSON = "natural", _("自然人")
    LEGAL_PERSON = "legal", _("法人")


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("导入中")
    SUCCEEDED = "succeeded", _("导入成功")
    FAILED = "failed", _("导入失败")
