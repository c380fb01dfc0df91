"""电子印章 workbench page: the seals of the staff member's organisations (public
key fingerprint, impression, state), registration of a new seal (a department
editor of the organisation: name and an optional PNG impression, the SM2 key
pair generated on the server) and deactivation. The rules are
``licenses.seals`` (through the facade), the same as the seals API."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from zhengwu.identity.facade import staff_scope
from zhengwu.licenses import facade as licences

from .workbench_views import base_context, forbidden


class SealForm(forms.Form):
    organisation = forms.TypedChoiceField(
        label=gettext_lazy("用章机构"), coerce=int, choices=()
    )
    name = forms.CharField(
        label=gettext_lazy("印章名称"),
        max_length=100,
        help_text=gettext_lazy("例如：沈阳市人力资源和社会保障局电子证照专用章"),
    )
    image = forms.FileField(
        label=gettext_lazy("印模图像"),
        required=False,
        help_text=gettext_lazy("PNG格式，不超过512KB；可不上传。"),
    )

    def __init__(self, *args: Any, organisations=(), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [(o.pk, o.name) for o in organisations]


def _gate(request: HttpRequest) -> HttpResponse | None:
    if not licences.is_seal_staff(request.user):
        return forbidden(request, _("只有部门工作人员可以管理电子印章。"))
    return None


def _render(
    request: HttpRequest, form: SealForm | None, status: int = 200
) -> HttpResponse:
    organisations = licences.seal_organisations(request.user)
    if form is None and organisations:
        form = SealForm(organisations=organisations)
    return render(
        request,
        "portal/seals/seals.html",
        {
            **base_context(staff_scope(request.user), "seals"),
            "seals": licences.seals_for(request.user),
            "form": form if organisations else None,
        },
        status=status,
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def seals(request: HttpRequest) -> HttpResponse:
    refused = _gate(request)
    if refused is not None:
        return refused
    if request.method != "POST":
        return _render(request, None)
    organisations = licences.seal_organisations(request.user)
    form = SealForm(request.POST, request.FILES, organisations=organisations)
    if not organisations:
        return forbidden(request, _("只有本机构的事项编辑人员可以登记电子印章。"))
    if not form.is_valid():
        return _render(request, form, status=400)
    upload = form.cleaned_data.get("image")
    content = None
    if upload is not None:
        if upload.size > licences.PNG_MAX_BYTES:
            form.add_error("image", _("印模图像不能超过512KB。"))
            return _render(request, form, status=400)
        content = upload.read()
    try:
        seal = licences.seal_create(
            user=request.user,
            organisation_id=form.cleaned_data["organisation"],
            name=form.cleaned_data["name"],
            image=content,
        )
    except licences.LicenceError as error:
        if not error.fields:
            return forbidden(request, error.message)
        for field, reasons in error.fields.items():
            target = "organisation" if field == "organisation_id" else field
            for reason in reasons:
                form.add_error(target if target in form.fields else None, reason)
        return _render(request, form, status=400)
    messages.success(request, _("已登记电子印章“%(name)s”。") % {"name": seal.name})
    return redirect("portal:seals")


@never_cache
@login_required
@require_POST
def seal_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    refused = _gate(request)
    if refused is not None:
        return refused
    try:
        seal = licences.seal_deactivate(user=request.user, seal_id=pk)
    except licences.LicenceError as error:
        if error.status == 404:
            raise Http404(error.message) from error
        if error.status == 403:
            return forbidden(request, error.message)
        messages.error(request, error.message)
        return redirect("portal:seals")
    messages.success(request, _("已停用电子印章“%(name)s”。") % {"name": seal.name})
    return redirect("portal:seals")


@never_cache
@login_required
def seal_image(request: HttpRequest, pk: int) -> HttpResponse:
    refused = _gate(request)
    if refused is not None:
        return refused
    content = licences.seal_image(request.user, pk)
    if content is None:
        raise Http404(_("印模图像不存在。"))
    response = HttpResponse(content, content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
