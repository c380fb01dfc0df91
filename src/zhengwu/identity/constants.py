from django.db import models
from django.utils.translation import gettext_lazy as _


class StaffRole(models.TextChoices):
    """Staff roles. Every check goes through facade.py."""

    DEPARTMENT_EDITOR = "department_editor", _("部门事项编辑")
    CATALOGUE_AUTHORITY = "catalogue_authority", _("编委办审核发布")
    REVIEWER = "reviewer", _("部门审批人员")
    COUNTER_CLERK = "counter_clerk", _("窗口工作人员")
    SERVICE_POINT_CLERK = "service_point_clerk", _("村（社区）代办员")
    SYSTEM_ADMIN = "system_admin", _("系统管理员")
    SECURITY_ADMIN = "security_admin", _("安全管理员")
    AUDIT_ADMIN = "audit_admin", _("审计管理员")


# 等保 level 3 (GB/T 22239 8.1.4.2 d): the three administrator duties are separated;
# one account holds at most one of them, and none together with a business role.
ADMIN_ROLES = frozenset(
    {StaffRole.SYSTEM_ADMIN, StaffRole.SECURITY_ADMIN, StaffRole.AUDIT_ADMIN}
)


class AccountKind(models.TextChoices):
    PERSON = "person", _("自然人")
    STAFF = "staff", _("工作人员")


class AssuranceLevel(models.IntegerChoices):
    """实名认证等级."""

    REGISTERED = 1, _("L1 注册用户")
    VERIFIED = 2, _("L2 实名核验（人口库比对）")
    IN_PERSON = 3, _("L3 窗口现场核验")


class EntityKind(models.TextChoices):
    ENTERPRISE = "enterprise", _("企业")
    INSTITUTION = "institution", _("事业单位")
    SOCIAL = "social", _("社会组织")
    OTHER = "other", _("其他组织")


class AuthorisationKind(models.TextChoices):
    PERSONAL = "personal", _("个人委托代办")
    CLERK = "clerk", _("法人授权经办人")


class BasisKind(models.TextChoices):
    """Why an actor may act for a principal."""

    AUTHORISATION = "authorisation", _("授权委托")
    COUNTER = "counter", _("窗口现场核验")


class OtpPurpose(models.TextChoices):
    LOGIN = "login", _("登录")
    REGISTER = "register", _("注册")
    RESET = "reset", _("找回密码")


class LockScope(models.TextChoices):
    ACCOUNT = "account", _("账户")
    ADDRESS = "address", _("来源地址")
