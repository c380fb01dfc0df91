"""Staff administration pages under /staff/admin/, one area per separated
administrator (等保 8.1.4.2):

- ``/staff/admin/``: the system administrator's staff accounts (list, create,
  roles, disable, expiry);
- ``/staff/admin/security/``: the security administrator's login locks and
  second-factor resets;
- ``/staff/admin/audit/``: the audit administrator's read-only audit log.

Each page refuses every other signed-in user with 403 and sends the anonymous to
the login page. Views are thin: the rules live in :mod:`zhengwu.identity.staff`."""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, register_converter
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhengwu.core.errors import DomainError
from zhengwu.core.models import AuditEvent
from zhengwu.identity import staff
from zhengwu.identity.constants import StaffRole
from zhengwu.identity.facade import StaffScope, staff_scope
from zhengwu.identity.models import Account, StaffMembership

PAGE_SIZE = 50
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class _PkConverter:
    """A database id of 1–18 digits: no request can overflow a 64-bit column."""

    regex = "[1-9][0-9]{0,17}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(_PkConverter, "identity_pk")


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "403.html", {"message": message}, status=403)


def _role_required(
    check: Callable[[StaffScope], bool], message: str
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            scope = staff_scope(request.user)
            if not check(scope):
                return _forbidden(request, message)
            request.admin_scope = scope  # type: ignore[attr-defined]  (the menu)
            return view(request, scope, *args, **kwargs)

        return never_cache(login_required(wrapper))

    return decorator


system_admin_required = _role_required(
    lambda s: s.can_administer_staff,
    gettext_lazy("只有系统管理员可以管理工作人员账户。"),
)
security_admin_required = _role_required(
    lambda s: s.can_manage_security,
    gettext_lazy("只有安全管理员可以使用此页面。"),
)
audit_admin_required = _role_required(
    lambda s: s.can_view_audit_log,
    gettext_lazy("只有审计管理员可以查看审计日志。"),
)


# --- forms -------------------------------------------------------------------


class DescribedForm(forms.Form):
    """Inputs point at their help text and their error (aria-describedby), as
    ``_field.html`` renders them (``<id>-help``, ``<id>-error``)."""

    def _describe(self, name: str) -> None:
        field = self.fields[name]
        bound = self[name]
        ids = []
        if field.help_text:
            ids.append(f"{bound.auto_id}-help")
        if name in (self._errors or {}):
            ids.append(f"{bound.auto_id}-error")
        if ids:
            field.widget.attrs["aria-describedby"] = " ".join(ids)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.fields:
            self._describe(name)

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        for name in list(self._errors or {}):
            if name in self.fields:
                self._describe(name)


def _role_choices() -> list[tuple[str, str]]:
    return [(r.value, str(r.label)) for r in staff.BUSINESS_ROLES]


class StaffFilterForm(DescribedForm):
    q = forms.CharField(
        label=gettext_lazy("用户名或姓名"), required=False, max_length=50
    )
    organisation = forms.TypedChoiceField(
        label=gettext_lazy("单位"), required=False, coerce=int, empty_value=None
    )
    role = forms.ChoiceField(label=gettext_lazy("角色"), required=False)

    def __init__(self, *args: Any, organisations: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [("", _("全部"))] + [
            (o.pk, o.name) for o in organisations
        ]
        self.fields["role"].choices = [("", _("全部"))] + _role_choices()


class RoleFieldsMixin(DescribedForm):
    organisation = forms.TypedChoiceField(
        label=gettext_lazy("单位"), coerce=int, empty_value=None
    )
    scope_division = forms.TypedChoiceField(
        label=gettext_lazy("数据范围（区划）"),
        required=False,
        coerce=str,
        empty_value="",
        help_text=gettext_lazy("不选：该单位所在区划及其下级区划。"),
    )

    def setup_choices(self, organisations: list, divisions: list) -> None:
        self.fields["organisation"].choices = [("", _("请选择"))] + [
            (o.pk, f"{o.name}（{o.division.name}）") for o in organisations
        ]
        self.fields["scope_division"].choices = [("", _("单位所在区划"))] + [
            (d.code, f"{d.name}（{d.code}）") for d in divisions
        ]
        self._organisations = {o.pk: o for o in organisations}
        self._divisions = {d.code: d for d in divisions}

    def role_requests(self, roles: list[str]) -> list[staff.RoleRequest]:
        organisation = self._organisations[self.cleaned_data["organisation"]]
        division = self._divisions.get(self.cleaned_data["scope_division"] or "")
        return [
            staff.RoleRequest(
                organisation=organisation, role=r, scope_division=division
            )
            for r in roles
        ]


class StaffCreateForm(RoleFieldsMixin):
    username = forms.CharField(
        label=gettext_lazy("用户名"),
        max_length=30,
        help_text=gettext_lazy(
            "3至30位，小写字母开头，可含小写字母、数字、“_”“.”“-”。"
        ),
    )
    full_name = forms.CharField(label=gettext_lazy("姓名"), max_length=50)
    roles = forms.MultipleChoiceField(
        label=gettext_lazy("业务角色"), widget=forms.CheckboxSelectMultiple
    )
    expires_on = forms.DateField(
        label=gettext_lazy("账户有效期至"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("不填：长期有效。到期后账户自动停用。"),
    )
    field_order = [
        "username",
        "full_name",
        "organisation",
        "roles",
        "scope_division",
        "expires_on",
    ]

    def __init__(self, *args: Any, organisations: list, divisions: list, **kw: Any):
        super().__init__(*args, **kw)
        self.setup_choices(organisations, divisions)
        self.fields["roles"].choices = _role_choices()

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip().lower()
        if not staff.USERNAME_RE.match(username):
            raise forms.ValidationError(staff.USERNAME_RULE)
        return username


class RoleGrantForm(RoleFieldsMixin):
    role = forms.ChoiceField(label=gettext_lazy("业务角色"))
    field_order = ["organisation", "role", "scope_division"]

    def __init__(self, *args: Any, organisations: list, divisions: list, **kw: Any):
        super().__init__(*args, **kw)
        self.setup_choices(organisations, divisions)
        self.fields["role"].choices = [("", _("请选择"))] + _role_choices()


class ExpiryForm(DescribedForm):
    expires_on = forms.DateField(
        label=gettext_lazy("账户有效期至"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("清空：长期有效。"),
    )


class AuditFilterForm(DescribedForm):
    since = forms.DateField(
        label=gettext_lazy("起始日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = forms.DateField(
        label=gettext_lazy("截止日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    actor = forms.CharField(
        label=gettext_lazy("操作人"), required=False, max_length=150
    )
    event = forms.CharField(
        label=gettext_lazy("事件"),
        required=False,
        max_length=80,
        help_text=gettext_lazy("前缀匹配，如 identity."),
    )
    target = forms.CharField(
        label=gettext_lazy("对象"),
        required=False,
        max_length=80,
        help_text=gettext_lazy("对象类型（如 identity.staffmembership）或标识。"),
    )
    outcome = forms.ChoiceField(
        label=gettext_lazy("结果"),
        required=False,
        choices=[
            ("", gettext_lazy("全部")),
            ("success", gettext_lazy("成功")),
            ("failure", gettext_lazy("失败")),
            ("denied", gettext_lazy("拒绝")),
        ],
    )
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


def _end_of_day(day: datetime.date) -> datetime.datetime:
    start = datetime.datetime.combine(day, datetime.time.min)
    return timezone.make_aware(start) + datetime.timedelta(days=1)


def _apply_errors(form: forms.Form, error: DomainError) -> None:
    for name, reasons in (error.fields or {}).items():
        target = name if name in form.fields else None
        for reason in reasons:
            form.add_error(target, reason)
    if not error.fields:
        form.add_error(None, error.message)


# --- system administrator: staff accounts ------------------------------------


def _scope_lists(scope: StaffScope) -> tuple[list, list]:
    return (
        list(staff.organisations_in_scope(scope).order_by("division__code", "name")),
        list(staff.divisions_in_scope(scope).order_by("code")),
    )


@require_GET
@system_admin_required
def staff_list(request: HttpRequest, scope: StaffScope) -> HttpResponse:
    organisations, _divisions = _scope_lists(scope)
    form = StaffFilterForm(request.GET or None, organisations=organisations)
    rows: list = []
    next_url = ""
    if not form.is_bound or form.is_valid():
        data = form.cleaned_data if form.is_bound else {}
        rows, cursor = staff.staff_page(
            scope,
            limit=PAGE_SIZE,
            q=data.get("q") or "",
            organisation=data.get("organisation"),
            role=data.get("role") or "",
            # The cursor is a username; control characters (NUL: a 500 on
            # PostgreSQL) dropped.
            after=_CONTROL.sub("", request.GET.get("after", ""))[:150],
        )
        if cursor:
            params = {k: v for k, v in request.GET.items() if k != "after"}
            next_url = "?" + urlencode({**params, "after": cursor})
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(
        request,
        "identity/staff_admin/staff_list.html",
        {"form": form, "rows": rows, "next_url": next_url},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@system_admin_required
def staff_create(request: HttpRequest, scope: StaffScope) -> HttpResponse:
    organisations, divisions = _scope_lists(scope)
    form = StaffCreateForm(
        request.POST or None, organisations=organisations, divisions=divisions
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = staff.staff_account_create(
                username=data["username"],
                full_name=data["full_name"],
                roles=form.role_requests(data["roles"]),
                expires_at=_end_of_day(data["expires_on"])
                if data["expires_on"]
                else None,
                acting_user=request.user,
            )
        except DomainError as error:
            _apply_errors(form, error)
        else:
            # The initial password is shown on this response only, never again.
            response = render(
                request,
                "identity/staff_admin/staff_created.html",
                {"created": created},
            )
            response["Cache-Control"] = "no-store"
            return response
    status = 400 if request.method == "POST" else 200
    return render(
        request, "identity/staff_admin/staff_create.html", {"form": form}, status=status
    )


def _detail_context(scope: StaffScope, user: Any, **forms_: Any) -> dict[str, Any]:
    organisations, divisions = _scope_lists(scope)

    account = Account.objects.filter(user=user).first()
    return {
        "member": user,
        "account": account,
        "memberships": list(
            StaffMembership.objects.filter(user=user)
            .select_related("organisation__division", "scope_division")
            .order_by("organisation__name", "role")
        ),
        "grant_form": forms_.get("grant_form")
        or RoleGrantForm(organisations=organisations, divisions=divisions),
        "expiry_form": forms_.get("expiry_form")
        or ExpiryForm(
            initial={
                "expires_on": timezone.localdate(account.expires_at)
                if account and account.expires_at
                else None
            }
        ),
    }


def _staff_or_404(scope: StaffScope, user_id: int) -> Any:
    try:
        return staff._staff_user_for_admin(scope, user_id)
    except DomainError as error:
        raise Http404(error.message) from error


@require_GET
@system_admin_required
def staff_detail(request: HttpRequest, scope: StaffScope, pk: int) -> HttpResponse:
    user = _staff_or_404(scope, pk)
    return render(
        request, "identity/staff_admin/staff_detail.html", _detail_context(scope, user)
    )


@require_POST
@system_admin_required
def role_grant(request: HttpRequest, scope: StaffScope, pk: int) -> HttpResponse:
    user = _staff_or_404(scope, pk)
    organisations, divisions = _scope_lists(scope)
    form = RoleGrantForm(request.POST, organisations=organisations, divisions=divisions)
    if form.is_valid():
        try:
            staff.staff_role_grant(
                user_id=user.pk,
                request=form.role_requests([form.cleaned_data["role"]])[0],
                acting_user=request.user,
            )
        except DomainError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("已授予角色。"))
            return redirect("identity:staff_detail", pk=user.pk)
    return render(
        request,
        "identity/staff_admin/staff_detail.html",
        _detail_context(scope, user, grant_form=form),
        status=400,
    )


@require_POST
@system_admin_required
def role_revoke(
    request: HttpRequest, scope: StaffScope, pk: int, membership_id: int
) -> HttpResponse:
    user = _staff_or_404(scope, pk)
    try:
        staff.staff_role_revoke(
            user_id=user.pk, membership_id=membership_id, acting_user=request.user
        )
    except DomainError as error:
        if error.status == 404:
            raise Http404(error.message) from error
        messages.error(request, error.message)
    else:
        messages.success(request, _("已撤销角色。"))
    return redirect("identity:staff_detail", pk=user.pk)


@require_POST
@system_admin_required
def staff_set_active(request: HttpRequest, scope: StaffScope, pk: int) -> HttpResponse:
    user = _staff_or_404(scope, pk)
    active = request.POST.get("active") == "1"
    try:
        staff.staff_account_set_active(
            user_id=user.pk, active=active, acting_user=request.user
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("账户已启用。") if active else _("账户已停用。"))
    return redirect("identity:staff_detail", pk=user.pk)


@require_POST
@system_admin_required
def staff_set_expiry(request: HttpRequest, scope: StaffScope, pk: int) -> HttpResponse:
    user = _staff_or_404(scope, pk)
    form = ExpiryForm(request.POST)
    if form.is_valid():
        day = form.cleaned_data["expires_on"]
        try:
            staff.staff_account_set_expiry(
                user_id=user.pk,
                expires_at=_end_of_day(day) if day else None,
                acting_user=request.user,
            )
        except DomainError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("已更新账户有效期。"))
            return redirect("identity:staff_detail", pk=user.pk)
    return render(
        request,
        "identity/staff_admin/staff_detail.html",
        _detail_context(scope, user, expiry_form=form),
        status=400,
    )


# --- security administrator --------------------------------------------------


@require_GET
@security_admin_required
def security(request: HttpRequest, scope: StaffScope) -> HttpResponse:
    # A search text: control characters (NUL: a 500 on PostgreSQL) are dropped.
    query = _CONTROL.sub("", request.GET.get("q") or "").strip()[:50]
    members: list = []
    if query:
        members = list(
            staff.staff_users()
            .filter(Q(username__icontains=query) | Q(first_name__icontains=query))
            .exclude(pk=request.user.pk)
            .order_by("username")[:PAGE_SIZE]
        )
    locks = list(staff.current_locks()[:200])
    labels = staff.lock_labels(locks)
    for lock in locks:
        lock.label = labels.get(lock.pk, "")
    return render(
        request,
        "identity/staff_admin/security.html",
        {
            "locks": locks,
            "now": timezone.now(),
            "query": query,
            "members": members,
        },
    )


@require_POST
@security_admin_required
def lock_clear(request: HttpRequest, scope: StaffScope, pk: int) -> HttpResponse:
    try:
        staff.login_lock_clear(lock_id=pk, acting_user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已解除锁定。"))
    return redirect("identity:staff_security")


@require_POST
@security_admin_required
def factor_reset(request: HttpRequest, scope: StaffScope, pk: int) -> HttpResponse:
    try:
        staff.staff_factor_reset(user_id=pk, acting_user=request.user)
    except DomainError as error:
        if error.status == 404:
            raise Http404(error.message) from error
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("已重置身份验证器：该工作人员下次登录时须重新绑定。")
        )
    return redirect("identity:staff_security")


# --- audit administrator -------------------------------------------------------


OUTCOME_LABELS = {
    "success": gettext_lazy("成功"),
    "failure": gettext_lazy("失败"),
    "denied": gettext_lazy("拒绝"),
}


def audit_events(form: AuditFilterForm) -> tuple[list[AuditEvent], int | None]:
    """One page of audit records after the form's filters (days: whole days), with
    the next page's cursor (``staff.audit_page``)."""
    data = form.cleaned_data
    since, until = data.get("since"), data.get("until")
    rows, cursor = staff.audit_page(
        limit=PAGE_SIZE,
        since=_end_of_day(since) - datetime.timedelta(days=1) if since else None,
        until=_end_of_day(until) if until else None,
        actor=(data.get("actor") or "").strip(),
        event=(data.get("event") or "").strip(),
        target=(data.get("target") or "").strip(),
        outcome=data.get("outcome") or "",
        before=data.get("before"),
    )
    for row in rows:
        row.outcome_label = str(OUTCOME_LABELS.get(row.outcome, row.outcome))
        row.data_text = json.dumps(row.data, ensure_ascii=False, sort_keys=True)
    return rows, cursor


@require_GET
@audit_admin_required
def audit_log(request: HttpRequest, scope: StaffScope) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    rows: list[AuditEvent] = []
    next_url = ""
    if form.is_valid():
        rows, cursor = audit_events(form)
        if cursor:
            params = {k: v for k, v in request.GET.items() if k != "before" and v}
            next_url = "?" + urlencode({**params, "before": cursor})
    status = 200 if form.is_valid() else 400
    return render(
        request,
        "identity/staff_admin/audit.html",
        {"form": form, "rows": rows, "next_url": next_url},
        status=status,
    )


urlpatterns: list[URLPattern] = [
    path("", staff_list, name="staff_list"),
    path("new/", staff_create, name="staff_create"),
    path("<identity_pk:pk>/", staff_detail, name="staff_detail"),
    path("<identity_pk:pk>/roles/", role_grant, name="staff_role_grant"),
    path(
        "<identity_pk:pk>/roles/<identity_pk:membership_id>/revoke/",
        role_revoke,
        name="staff_role_revoke",
    ),
    path("<identity_pk:pk>/active/", staff_set_active, name="staff_set_active"),
    path("<identity_pk:pk>/expiry/", staff_set_expiry, name="staff_set_expiry"),
    path("security/", security, name="staff_security"),
    path("security/locks/<identity_pk:pk>/clear/", lock_clear, name="staff_lock_clear"),
    path(
        "security/staff/<identity_pk:pk>/reset-factor/",
        factor_reset,
        name="staff_factor_reset",
    ),
    path("audit/", audit_log, name="staff_audit"),
]

ROLE_LABELS = {r.value: str(r.label) for r in StaffRole}
