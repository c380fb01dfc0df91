"""SSO client administration under /staff/sso-clients/ (接入系统管理): the security
administrator alone registers department systems, changes them and disables them.
Everyone else signed in gets 403 — the system and audit administrators and a
superuser included (separated duties, 等保 8.1.4.2 d). The rules live in
:mod:`zhengwu.identity.oidc`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from zhengwu.core.errors import DomainError
from zhengwu.core.models import Organisation
from zhengwu.identity import oidc
from zhengwu.identity.facade import staff_scope
from zhengwu.identity.models import ClientPolicy

_NEW_CLIENT_SESSION_KEY = "identity.sso_new_client"


def _allowed(request: HttpRequest) -> bool:
    """Whether the user may manage clients; sets the scope the admin menu reads."""
    request.admin_scope = staff_scope(request.user)  # type: ignore[attr-defined]
    return oidc.can_manage_clients(request.user)


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "403.html",
        {"message": _("只有安全管理员可以管理接入系统。")},
        status=403,
    )


class ClientForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("系统名称"), max_length=255)
    organisation = forms.ModelChoiceField(
        label=gettext_lazy("所属单位"),
        queryset=Organisation.objects.order_by("name"),
        empty_label=gettext_lazy("请选择单位"),
    )
    redirect_uris = forms.CharField(
        label=gettext_lazy("回调地址"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "每行一个，须完全一致；使用 https（本机开发可用 http://127.0.0.1 或 localhost）。"
        ),
    )
    post_logout_redirect_uris = forms.CharField(
        label=gettext_lazy("退出后返回地址"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=gettext_lazy("每行一个，可不填。"),
    )
    allowed_scopes = forms.MultipleChoiceField(
        label=gettext_lazy("允许的授权范围"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    trusted = forms.BooleanField(
        label=gettext_lazy("免确认（政务部门系统，用户无需逐次确认授权）"),
        required=False,
        initial=True,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["allowed_scopes"].choices = [
            (name, f"{name}：{label}")
            for name, label in oidc.available_scopes().items()
            if name != "openid"
        ]

    def client_input(self) -> oidc.ClientInput:
        data = self.cleaned_data
        return oidc.ClientInput(
            name=data["name"],
            organisation=data["organisation"],
            redirect_uris=data["redirect_uris"],
            post_logout_redirect_uris=data["post_logout_redirect_uris"],
            allowed_scopes=list(data["allowed_scopes"]),
            trusted=data["trusted"],
        )


def _pk(value: int) -> int:
    if value > 2**63 - 1:  # no request may overflow a 64-bit column
        raise Http404
    return value


def _describe_errors(form: forms.Form) -> forms.Form:
    """Point each input in error at its help text and its error message."""
    for name in form.errors:
        if name in form.fields:
            field = form.fields[name]
            ids = [f"{form[name].auto_id}_helptext"] if field.help_text else []
            ids.append(f"{form[name].auto_id}-error")
            field.widget.attrs["aria-describedby"] = " ".join(ids)
            field.widget.attrs["aria-invalid"] = "true"
    return form


def _apply_errors(form: forms.Form, error: DomainError) -> None:
    fields = getattr(error, "fields", None) or {}
    for field, reasons in fields.items():
        for reason in reasons:
            form.add_error(field if field in form.fields else None, reason)
    if not fields:
        form.add_error(None, str(getattr(error, "message", error)))


@never_cache
@login_required
def client_list(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        return _forbidden(request)
    policies = ClientPolicy.objects.select_related(
        "application", "organisation"
    ).order_by("application__name")
    secret = request.session.pop(_NEW_CLIENT_SESSION_KEY, None)
    return render(
        request,
        "identity/clients/list.html",
        {"policies": policies, "new_secret": secret},
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def client_create(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        return _forbidden(request)
    form = ClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            registered = oidc.client_register(
                data=form.client_input(), acting_user=request.user
            )
        except DomainError as error:
            _apply_errors(form, error)
        else:
            _show_once(request, registered)
            return redirect("identity:sso_clients")
    return render(
        request,
        "identity/clients/form.html",
        {"form": _describe_errors(form), "policy": None},
        status=422 if form.errors else 200,
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def client_edit(request: HttpRequest, pk: int) -> HttpResponse:
    if not _allowed(request):
        return _forbidden(request)
    policy = get_object_or_404(
        ClientPolicy.objects.select_related("application", "organisation"),
        pk=_pk(pk),
    )
    application = policy.application
    initial = {
        "name": application.name,
        "organisation": policy.organisation,
        "redirect_uris": "\n".join(application.redirect_uris.split()),
        "post_logout_redirect_uris": "\n".join(
            application.post_logout_redirect_uris.split()
        ),
        "allowed_scopes": [s for s in policy.allowed_scopes if s != "openid"],
        "trusted": policy.trusted,
    }
    form = ClientForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            oidc.client_update(
                policy_pk=policy.pk, data=form.client_input(), acting_user=request.user
            )
        except DomainError as error:
            _apply_errors(form, error)
        else:
            return redirect("identity:sso_clients")
    return render(
        request,
        "identity/clients/form.html",
        {"form": _describe_errors(form), "policy": policy},
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def client_enable(request: HttpRequest, pk: int) -> HttpResponse:
    if not _allowed(request):
        return _forbidden(request)
    policy = get_object_or_404(ClientPolicy, pk=_pk(pk))
    oidc.client_set_enabled(
        policy_pk=policy.pk,
        enabled=request.POST.get("enabled") == "1",
        acting_user=request.user,
    )
    return redirect("identity:sso_clients")


@login_required
@require_POST
def client_reset_secret(request: HttpRequest, pk: int) -> HttpResponse:
    if not _allowed(request):
        return _forbidden(request)
    policy = get_object_or_404(ClientPolicy, pk=_pk(pk))
    reset = oidc.client_reset_secret(policy_pk=policy.pk, acting_user=request.user)
    _show_once(request, reset)
    return redirect("identity:sso_clients")


def _show_once(request: HttpRequest, registered: oidc.RegisteredClient) -> None:
    """The clear secret, for the next page only (DOT stores its hash)."""
    request.session[_NEW_CLIENT_SESSION_KEY] = {
        "name": registered.application.name,
        "client_id": registered.application.client_id,
        "client_secret": registered.client_secret,
    }


urlpatterns: list[URLPattern] = [
    path("", client_list, name="sso_clients"),
    path("new/", client_create, name="sso_client_create"),
    path("<int:pk>/", client_edit, name="sso_client_edit"),
    path("<int:pk>/enabled/", client_enable, name="sso_client_enable"),
    path("<int:pk>/secret/", client_reset_secret, name="sso_client_reset_secret"),
]
