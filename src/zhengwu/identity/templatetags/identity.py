from typing import Any

from django import template
from django.shortcuts import resolve_url
from django.utils.translation import gettext as _

from zhengwu.core.audit import event_label
from zhengwu.identity.constants import AccountKind
from zhengwu.identity.facade import staff_scope
from zhengwu.identity.models import Account
from zhengwu.identity.staff import landing_url

register = template.Library()


def _is_staff(user: Any) -> bool:
    """``accounts.is_staff_user`` for the header, rendered on every page: the
    membership part reads the request's cached ``staff_scope`` (which
    ``landing_url`` and the staff pages use next) instead of a query of its own."""
    if user.is_superuser or user.is_staff or staff_scope(user).has_staff_role:
        return True
    return Account.objects.filter(user=user, kind=AccountKind.STAFF).exists()


@register.simple_tag(takes_context=True)
def account_home(context: template.Context) -> dict[str, Any]:
    """The header's link for the signed-in user: staff to the page their role starts
    on, citizens to their own space (``staff`` tells the two apart)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    cached = getattr(request, "_zhengwu_account_home", None)
    if cached is None:
        if _is_staff(user):
            cached = {"url": landing_url(user), "label": _("工作台"), "staff": True}
        else:
            cached = {
                "url": resolve_url("identity:me_profile"),
                "label": _("我的"),
                "staff": False,
            }
        request._zhengwu_account_home = cached
    return cached


@register.filter(name="event_label")
def event_label_filter(code: str) -> str:
    """An audit event code as people read it (``identity.login`` → 登录)."""
    return event_label(code)
