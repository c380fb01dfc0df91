"""证照批量导入 workbench page: a reviewer picks a licence type and issuing
organisation they may issue for, downloads its template, uploads the filled
workbook and watches the job (progress, every bad cell, or the licences issued).
The rules are ``licenses.imports`` (through the facade), the same as the API; a
job is seen only by its uploader."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from zhengwu.identity.facade import staff_scope
from zhengwu.licenses import facade as licences

from .views import is_htmx
from .workbench_views import base_context, forbidden

SECTION = "licence_imports"


class LicenceImportForm(forms.Form):
    target = forms.ChoiceField(
        label=gettext_lazy("证照类型和颁发机构"),
        choices=(),
        help_text=gettext_lazy("每个文件只能包含一种证照，由所选机构颁发。"),
    )
    file = forms.FileField(
        label=gettext_lazy("导入文件"),
        help_text=gettext_lazy(
            "Excel工作簿（.xlsx），请先下载所选证照类型的模板填写。"
            "任何一行有误时不导入任何证照。"
        ),
    )

    def __init__(self, *args: Any, choices=(), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = [(c.key, c.label) for c in choices]


def _choices_or_refusal(
    request: HttpRequest,
) -> tuple[list[licences.ImportChoice], HttpResponse | None]:
    choices = licences.import_choices(request.user)
    if not choices:
        return [], forbidden(
            request, _("只有可以颁发电子证照的审批人员可以批量导入证照。")
        )
    return choices, None


def _render(
    request: HttpRequest,
    form: LicenceImportForm,
    choices: list[licences.ImportChoice],
    status: int = 200,
) -> HttpResponse:
    types = {c.type_code: c.type_name for c in choices}
    return render(
        request,
        "portal/workbench/licence_imports.html",
        {
            **base_context(staff_scope(request.user), SECTION),
            "form": form,
            "types": sorted(types.items(), key=lambda t: t[1]),
            "jobs": licences.import_jobs_view(request.user),
        },
        status=status,
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def licence_imports(request: HttpRequest) -> HttpResponse:
    choices, refused = _choices_or_refusal(request)
    if refused is not None:
        return refused
    if request.method != "POST":
        return _render(request, LicenceImportForm(choices=choices), choices)
    form = LicenceImportForm(request.POST, request.FILES, choices=choices)
    if not form.is_valid():
        return _render(request, form, choices, status=400)
    chosen = next(c for c in choices if c.key == form.cleaned_data["target"])
    upload = form.cleaned_data["file"]
    limit = licences.import_max_bytes()
    content = upload.read(limit + 1)
    try:
        job = licences.import_start_view(
            request.user,
            content=content,
            filename=upload.name or "",
            type_code=chosen.type_code,
            issuer_organisation_id=chosen.issuer_id,
        )
    except licences.LicenceError as error:
        if error.status == 403:
            return forbidden(request, error.message)
        reasons = [r for rs in error.fields.values() for r in rs] or [error.message]
        for reason in reasons:
            form.add_error("file", reason)
        return _render(request, form, choices, status=400)
    return redirect("portal:licence_import_job", pk=job.id)


@never_cache
@login_required
@require_GET
def licence_import_job(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        job = licences.import_job_view(request.user, pk)
    except licences.LicenceError as error:
        raise Http404(error.message) from error
    context = {**base_context(staff_scope(request.user), SECTION), "job": job}
    if is_htmx(request):
        return render(
            request, "portal/workbench/licence_import_job.html#status", context
        )
    return render(request, "portal/workbench/licence_import_job.html", context)


@never_cache
@login_required
@require_GET
def licence_import_template(request: HttpRequest) -> HttpResponse:
    try:
        name, content = licences.import_template(
            request.user, request.GET.get("type_code", "")
        )
    except licences.LicenceError as error:
        raise Http404(error.message) from error
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument"
        ".spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
