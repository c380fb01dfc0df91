from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# The labels of the audit events this app writes (core.audit.record).
EVENT_LABELS = {
    "identity.account_expired": _("账号到期停用"),
    "identity.acting_started": _("开始代办"),
    "identity.acting_stopped": _("结束代办"),
    "identity.authorisation_granted": _("授权代办"),
    "identity.authorisation_revoked": _("撤销授权"),
    "identity.client_changed": _("修改单点登录接入应用"),
    "identity.client_registered": _("登记单点登录接入应用"),
    "identity.counter_visit_ended": _("窗口现场代办：结束"),
    "identity.counter_visit_started": _("窗口现场代办：开始"),
    "identity.entity_registered": _("登记法人"),
    "identity.factor_enrolled": _("绑定身份验证器"),
    "identity.factor_reset": _("重置身份验证器"),
    "identity.locked": _("登录锁定"),
    "identity.login": _("登录"),
    "identity.login_failed": _("登录失败"),
    "identity.login_unlocked": _("解除登录锁定"),
    "identity.logout": _("退出登录"),
    "identity.password_changed": _("修改密码"),
    "identity.password_reset": _("找回密码"),
    "identity.personal_data_released": _("向接入应用提供个人信息"),
    "identity.personal_data_viewed": _("查看完整身份信息"),
    "identity.registered": _("注册"),
    "identity.role_granted": _("授予角色"),
    "identity.role_revoked": _("撤销角色"),
    "identity.session_expired": _("会话超时"),
    "identity.sms_code_sent": _("发送短信验证码"),
    "identity.sms_code_used": _("使用短信验证码"),
    "identity.sso_code_reused": _("单点登录授权码被重复使用"),
    "identity.sso_login": _("单点登录"),
    "identity.staff_account_created": _("创建工作人员账号"),
    "identity.staff_account_disabled": _("停用工作人员账号"),
    "identity.staff_account_enabled": _("启用工作人员账号"),
    "identity.staff_account_expiry_set": _("设置工作人员账号有效期"),
    "identity.verified": _("身份核验"),
}


class IdentityConfig(AppConfig):
    name = "zhengwu.identity"
    label = "identity"
    verbose_name = "身份与权限"

    def ready(self) -> None:
        from django.contrib import admin

        from zhengwu.core.audit import register_event_labels

        register_event_labels(EVENT_LABELS)

        # Session tracking (idle expiry, logout everywhere) listens to every login.
        from . import sessions  # noqa: F401
        from .views.accounts import admin_login

        # The admin site's own password form would skip the staff second factor:
        # its login page sends people to the platform login instead.
        admin.site.login = admin_login  # type: ignore[method-assign]
