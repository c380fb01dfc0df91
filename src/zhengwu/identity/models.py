"""Who people are on the platform: accounts, natural and legal persons, staff roles,
authorisations to act for someone, and the records that keep logins safe.

Personal identifiers (ID numbers, mobiles) are stored SM4-encrypted
(``EncryptedCharField``) and found through a keyed SM3 blind index column
(``*_index``, see ``core.crypto.blind_index``). Nothing here stores them in clear."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengwu.core.fields import EncryptedCharField
from zhengwu.core.models import BaseModel, Division, Organisation
from zhengwu.core.validators import validate_uscc

from .constants import (
    AccountKind,
    AssuranceLevel,
    AuthorisationKind,
    EntityKind,
    LockScope,
    OtpPurpose,
    StaffRole,
)

User = settings.AUTH_USER_MODEL


# --- accounts ---------------------------------------------------------------------


class Account(BaseModel):
    """The security state of one login account (every user has one)."""

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="account", verbose_name=_("用户")
    )
    kind = models.CharField(_("账户类型"), max_length=20, choices=AccountKind.choices)
    password_changed_at = models.DateTimeField(_("密码修改时间"), null=True, blank=True)
    must_change_password = models.BooleanField(_("下次登录须修改密码"), default=False)
    expires_at = models.DateTimeField(
        _("账户有效期至"),
        null=True,
        blank=True,
        help_text=_("到期后账户自动停用。"),
    )

    class Meta:
        verbose_name = _("账户")
        verbose_name_plural = _("账户")

    def __str__(self) -> str:
        return f"{self.user} ({self.get_kind_display()})"


class PasswordHistory(models.Model):
    """Earlier password hashes, so a new password cannot repeat the last five."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    password = models.CharField(_("密码摘要"), max_length=256)
    created_at = models.DateTimeField(_("设置时间"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("历史密码")
        verbose_name_plural = _("历史密码")
        indexes = [
            models.Index(fields=["user", "-created_at"], name="pwhistory_user_idx")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.created_at:%Y-%m-%d}"


class LoginLock(models.Model):
    """Failed logins counted per account and per source address; five failures lock
    that key for fifteen minutes (等保 8.1.4.1 b). ``key`` is a blind index of the
    login name, or the address itself."""

    scope = models.CharField(_("范围"), max_length=20, choices=LockScope.choices)
    key = models.CharField(_("键"), max_length=64)
    failures = models.PositiveIntegerField(_("连续失败次数"), default=0)
    first_failure_at = models.DateTimeField(_("首次失败时间"), null=True, blank=True)
    locked_until = models.DateTimeField(_("锁定至"), null=True, blank=True)

    class Meta:
        verbose_name = _("登录锁定")
        verbose_name_plural = _("登录锁定")
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "key"], name="loginlock_unique_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key[:8]}"


class OneTimeCode(models.Model):
    """An SMS verification code: stored only as a keyed hash, single use, expiring,
    a few attempts at most."""

    purpose = models.CharField(_("用途"), max_length=20, choices=OtpPurpose.choices)
    mobile_index = models.CharField(_("手机号索引"), max_length=64)
    code_hash = models.CharField(_("验证码摘要"), max_length=64)
    created_at = models.DateTimeField(_("发送时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("失效时间"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    source_ip = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)

    class Meta:
        verbose_name = _("短信验证码")
        verbose_name_plural = _("短信验证码")
        indexes = [
            models.Index(fields=["mobile_index", "-created_at"], name="otp_mobile_idx"),
            models.Index(fields=["source_ip", "-created_at"], name="otp_ip_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {self.created_at:%Y-%m-%d %H:%M}"


class UserSession(models.Model):
    """Every session a user has open, so logging out ends all of them (and the
    tokens issued to department systems)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    session_key = models.CharField(_("会话标识"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("登录时间"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("最近活动"), default=timezone.now)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    source_ip = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    user_agent = models.CharField(_("浏览器"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("登录会话")
        verbose_name_plural = _("登录会话")
        indexes = [
            models.Index(fields=["user", "ended_at"], name="usersession_user_idx")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at:%Y-%m-%d %H:%M}"


# --- natural and legal persons ------------------------------------------------------


class Person(BaseModel):
    """A natural person (自然人). ``user`` is empty for someone served at a counter who
    has no online account yet; registering later with the same ID number links it."""

    user = models.OneToOneField(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="person",
        verbose_name=_("登录账户"),
    )
    name = models.CharField(_("姓名"), max_length=50)
    id_number = EncryptedCharField(_("公民身份号码"))
    id_number_index = models.CharField(_("身份号码索引"), max_length=64, unique=True)
    mobile = EncryptedCharField(_("手机号码"), blank=True)
    mobile_index = models.CharField(_("手机号索引"), max_length=64, blank=True)
    assurance_level = models.PositiveSmallIntegerField(
        _("实名等级"), choices=AssuranceLevel.choices, default=AssuranceLevel.REGISTERED
    )
    verified_at = models.DateTimeField(_("核验时间"), null=True, blank=True)
    verified_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("现场核验人"),
    )

    class Meta:
        verbose_name = _("自然人")
        verbose_name_plural = _("自然人")
        constraints = [
            models.UniqueConstraint(
                fields=["mobile_index"],
                condition=Q(user__isnull=False) & ~Q(mobile_index=""),
                name="person_unique_account_mobile",
            )
        ]

    def __str__(self) -> str:
        from zhengwu.core.crypto import mask_name

        return mask_name(self.name)


class LegalEntity(BaseModel):
    """A legal person or other organisation that applies for services (法人)."""

    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, validators=[validate_uscc]
    )
    name = models.CharField(_("名称"), max_length=200)
    kind = models.CharField(_("类型"), max_length=20, choices=EntityKind.choices)
    legal_representative = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        related_name="represented_entities",
        verbose_name=_("法定代表人"),
    )
    verified_at = models.DateTimeField(_("核验时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("法人")
        verbose_name_plural = _("法人")

    def __str__(self) -> str:
        return self.name


class PopulationRecord(BaseModel):
    """人口基础信息: the population base records L2 verification compares against.

    A table in the platform for now; read only through ``identity.registry`` so the
    data-exchange work can put the shared population database behind it."""

    class Status(models.TextChoices):
        NORMAL = "normal", _("正常")
        CANCELLED = "cancelled", _("已注销")

    name = models.CharField(_("姓名"), max_length=50)
    id_number = EncryptedCharField(_("公民身份号码"))
    id_number_index = models.CharField(_("身份号码索引"), max_length=64, unique=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.NORMAL
    )

    class Meta:
        verbose_name = _("人口基础信息")
        verbose_name_plural = _("人口基础信息")


class LegalPersonRecord(BaseModel):
    """法人基础信息: the legal-person base records (credit code, name, legal
    representative) an enterprise's registration is checked against."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("存续")
        DEREGISTERED = "deregistered", _("注销")

    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, validators=[validate_uscc]
    )
    name = models.CharField(_("名称"), max_length=200)
    kind = models.CharField(_("类型"), max_length=20, choices=EntityKind.choices)
    representative_name = models.CharField(_("法定代表人姓名"), max_length=50)
    representative_id_index = models.CharField(
        _("法定代表人身份号码索引"), max_length=64
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )

    class Meta:
        verbose_name = _("法人基础信息")
        verbose_name_plural = _("法人基础信息")


# --- acting for someone -------------------------------------------------------------


class Authorisation(BaseModel):
    """An authorisation to act for a principal (a person, or a legal entity through
    its clerk) on named items for a period. Revoking takes effect at once."""

    kind = models.CharField(_("类型"), max_length=20, choices=AuthorisationKind.choices)
    principal_person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="authorisations_given",
        verbose_name=_("委托人"),
    )
    principal_entity = models.ForeignKey(
        LegalEntity,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="authorisations_given",
        verbose_name=_("委托单位"),
    )
    agent = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        related_name="authorisations_received",
        verbose_name=_("受托人"),
    )
    all_items = models.BooleanField(_("全部事项"), default=False)
    item_codes = models.JSONField(
        _("授权事项"),
        default=list,
        blank=True,
        help_text=_("事项基本编码（12位）列表。"),
    )
    valid_from = models.DateTimeField(_("生效时间"))
    valid_until = models.DateTimeField(_("截止时间"))
    granted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("授权操作人")
    )
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("撤销操作人"),
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("授权委托")
        verbose_name_plural = _("授权委托")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(principal_person__isnull=False, principal_entity__isnull=True)
                    | Q(principal_person__isnull=True, principal_entity__isnull=False)
                ),
                name="authorisation_one_principal",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__gt=models.F("valid_from")),
                name="authorisation_valid_period",
            ),
        ]
        indexes = [
            models.Index(
                fields=["agent", "valid_until"], name="authorisation_agent_idx"
            )
        ]


class CounterVisit(BaseModel):
    """A walk-in applicant served at a counter: the clerk checked the ID document
    and may act for the person until the visit ends."""

    class Document(models.TextChoices):
        ID_CARD = "id_card", _("居民身份证")
        TEMPORARY_ID = "temporary_id", _("临时居民身份证")
        HOUSEHOLD = "household", _("户口簿")

    clerk = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("窗口人员")
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("服务大厅"),
    )
    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        related_name="counter_visits",
        verbose_name=_("办事人"),
    )
    document = models.CharField(_("查验证件"), max_length=20, choices=Document.choices)
    started_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("窗口代办")
        verbose_name_plural = _("窗口代办")


# --- staff -------------------------------------------------------------------------


class StaffMembership(BaseModel):
    """A staff member's role in one organisation. A user may hold several.

    The data scope is the organisation (department) and a region: ``scope_division``
    and the divisions below it; empty means the organisation's own division."""

    user = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("用户"),
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("单位")
    )
    role = models.CharField(_("角色"), max_length=40, choices=StaffRole.choices)
    scope_division = models.ForeignKey(
        Division,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("数据范围（区划）"),
    )

    class Meta:
        verbose_name = _("人员角色")
        verbose_name_plural = _("人员角色")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="membership_unique_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.organisation} · {self.get_role_display()}"


# --- single sign-on -----------------------------------------------------------------


class ClientPolicy(BaseModel):
    """What a registered department system (OIDC client) may ask for: its owning
    organisation, the scopes it may be granted, and the sector its pairwise subject
    identifiers are computed for."""

    application = models.OneToOneField(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        on_delete=models.CASCADE,
        related_name="policy",
        verbose_name=_("接入系统"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("所属单位"),
    )
    allowed_scopes = models.JSONField(_("允许的授权范围"), default=list)
    sector_identifier = models.CharField(
        _("主体标识分区"),
        max_length=200,
        help_text=_("同一分区的系统得到相同的用户标识；默认取回调地址的主机名。"),
    )
    trusted = models.BooleanField(
        _("免确认"), default=True, help_text=_("政务部门系统：用户无需逐次确认授权。")
    )
    disabled_at = models.DateTimeField(
        _("停用时间"),
        null=True,
        blank=True,
        help_text=_("停用后该系统的令牌全部作废，也不能再获取令牌。"),
    )

    class Meta:
        verbose_name = _("接入系统策略")
        verbose_name_plural = _("接入系统策略")
