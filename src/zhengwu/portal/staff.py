"""Staff pages: workbench, listing search, draft editing, review and publication,
comparison of versions, import and export, the consistency report.

Every page needs a signed-in member of staff. Rows outside the user's scope answer 404
(their existence is not revealed); an action the user's role does not allow answers 403.
Every refusal of a service is shown as a Chinese message next to its field."""

from __future__ import annotations

import copy
import datetime
import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

import structlog
from pydantic import ValidationError

from zhengwu.catalog import pages, services, transfer
from zhengwu.catalog.constants import ImportStatus, VersionStatus
from zhengwu.catalog.errors import CatalogError
from zhengwu.catalog.guide import DEPTH_STAGES, LABELS, Guide, check_rules
from zhengwu.catalog.selectors import (
    PROBLEM_LABELS,
    consistency_report,
    diff_guides,
    open_versions_for_user,
    review_queue,
    version_in_force,
)
from zhengwu.core.errors import DomainError
from zhengwu.identity.facade import StaffScope, staff_scope

from . import guide_form
from .forms import (
    CommentForm,
    ImportForm,
    PublishForm,
    ReportForm,
    ReturnForm,
    StaffSearchForm,
)
from .views import guide_context, is_htmx

logger = structlog.get_logger(__name__)

EDITABLE = (VersionStatus.DRAFT, VersionStatus.RETURNED)
# Rule issues and schema errors on a whole object are shown at its first input.
FIELD_ALIASES = {
    "legal_limit": "legal_limit.days",
    "promised_limit": "promised_limit.days",
}
SUMMARY_LABELS = {"attachments": gettext_lazy("附件"), "__all__": ""}


def forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "403.html", {"message": message}, status=403)


def staff_required(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """Signed in (else the login page) and a member of staff (else 403)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        scope = staff_scope(request.user)
        if not scope.is_staff_member:
            return forbidden(request, _("只有事项管理工作人员可以使用工作台。"))
        return view(request, scope, *args, **kwargs)

    return login_required(wrapper)


def _version_or_404(request: HttpRequest, pk: int) -> Any:
    version = pages.staff_version(request.user, pk)
    if version is None:
        raise Http404(_("没有这个版本，或您无权查看。"))
    return version


def _field_errors(error: DomainError) -> dict[str, list[str]]:
    fields = {
        FIELD_ALIASES.get(key, key): [str(m) for m in messages_]
        for key, messages_ in (error.fields or {}).items()
    }
    return fields


# --- workbench ---------------------------------------------------------------


@require_GET
@staff_required
def workbench(request: HttpRequest, scope: StaffScope) -> HttpResponse:
    open_versions = list(open_versions_for_user(request.user)[:50])
    return render(
        request,
        "portal/staff/workbench.html",
        {
            "scope": scope,
            "counts": pages.workbench_counts(request.user),
            "open_versions": open_versions,
            "editable_ids": {
                v.pk
                for v in open_versions
                if v.status in EDITABLE
                and scope.can_edit_organisation(v.listing.organisation_id)
            },
            "queue": list(review_queue(request.user)[:50]),
            "search_form": StaffSearchForm(),
        },
    )


@require_GET
@staff_required
def listings(request: HttpRequest, scope: StaffScope) -> HttpResponse:
    form = StaffSearchForm(request.GET)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    after = pages.parse_id(request.GET.get("after"))
    rows, next_cursor = (
        pages.staff_listing_rows(request.user, query=query, after=after)
        if form.is_valid()
        else ([], None)
    )
    params = {"q": query} if query else {}
    next_url = ""
    if next_cursor:
        next_url = f"{request.path}?" + _urlencode({**params, "after": next_cursor})
    context = {
        "scope": scope,
        "form": form,
        "rows": rows,
        "query": query,
        "next_url": next_url,
        "is_later_page": after is not None,
        "first_url": f"{request.path}?" + _urlencode(params),
        "export_query": _urlencode(params),
    }
    if is_htmx(request) and request.headers.get("HX-Target") == "staff-results":
        return render(
            request, "portal/staff/listings.html#more", {**context, "oob": True}
        )
    status = 200 if form.is_valid() else 400
    return render(request, "portal/staff/listings.html", context, status=status)


def _urlencode(params: dict[str, Any]) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


@require_POST
@staff_required
def version_create(request: HttpRequest, scope: StaffScope, pk: int) -> HttpResponse:
    listing = pages.staff_listing(request.user, pk)
    if listing is None:
        raise Http404(_("没有这个实施清单，或您无权查看。"))
    if not scope.can_edit_organisation(listing.organisation_id):
        return forbidden(request, _("您只能编辑本单位的实施清单。"))
    try:
        version = services.version_create(listing=listing, acting_user=request.user)
    except CatalogError as error:
        messages.error(request, error.message)
        existing = pages.open_version(listing)
        if existing is not None:
            return redirect("portal:version_edit", pk=existing.pk)
        return redirect("portal:staff_listings")
    messages.success(request, _("已新建草稿（第%(n)s版）。") % {"n": version.number})
    return redirect("portal:version_edit", pk=version.pk)


# --- editing a draft ---------------------------------------------------------


def _rule_messages(guide: Guide) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    warnings: dict[str, list[str]] = {}
    for issue in check_rules(guide):
        target = errors if issue.severity == "error" else warnings
        target.setdefault(FIELD_ALIASES.get(issue.field, issue.field), []).append(
            issue.message
        )
    return errors, warnings


def _attachment_infos(raw: dict[str, Any], user: Any) -> dict[str, Any]:
    return pages.attachments_by_ids(guide_form.attachment_ids(raw).values(), user)


def _edit_context(
    request: HttpRequest, version: Any, form: guide_form.GuideForm, **extra: Any
) -> dict[str, Any]:
    return {
        "version": version,
        "listing": version.listing,
        "item": version.listing.base_item,
        "form": form,
        "max_rows": guide_form.MAX_ROWS,
        "comments": pages.comments_of(version),
        **extra,
    }


def _render_edit(
    request: HttpRequest,
    version: Any,
    submission: guide_form.Submission,
    *,
    errors: dict[str, list[str]] | None = None,
    message: str = "",
    status: int = 200,
) -> HttpResponse:
    form = guide_form.bind(
        submission.raw,
        change_reason=submission.change_reason,
        errors=errors,
        attachments=_attachment_infos(submission.raw, request.user),
        labels=SUMMARY_LABELS,
        autofocus_path=submission.added_path,
    )
    context = _edit_context(
        request, version, form, error_message=message, rules_checked=False
    )
    return render(request, "portal/staff/version_edit.html", context, status=status)


def _store_uploads(
    request: HttpRequest, version: Any, raw: dict[str, Any]
) -> dict[str, list[str]]:
    """Upload the files chosen in attachment slots; each slot gets the new id, or
    keeps its previous file and gets the reason the upload was refused."""
    errors: dict[str, list[str]] = {}
    limit = settings.ZHENGWU_ATTACHMENT_MAX_BYTES
    for path, pending in guide_form.pending_uploads(raw):
        guide_form.set_raw(raw, path, pending.previous)
        upload = pending.file
        if upload.size is not None and upload.size > limit:
            errors[path] = [
                _("文件超过大小限制（%(mb)s MB）。") % {"mb": limit // (1024 * 1024)}
            ]
            continue
        try:
            attachment = services.attachment_create(
                content=upload.read(limit + 1),
                filename=guide_form.clean_text(upload.name)[:200],
                acting_user=request.user,
                organisation=version.listing.organisation,
            )
        except CatalogError as error:
            reasons = [m for ms in (error.fields or {}).values() for m in ms]
            errors[path] = reasons or [error.message]
            continue
        guide_form.set_raw(raw, path, str(attachment.pk))
    return errors


def _check_attachment_refs(
    request: HttpRequest, version: Any, raw: dict[str, Any]
) -> dict[str, list[str]]:
    """Every referenced file must be usable by this organisation's draft: its own,
    already public, or already in the saved draft."""
    refs = guide_form.attachment_ids(raw)
    if not refs:
        return {}
    try:
        saved = Guide.model_validate(version.guide or {}).attachment_ids()
    except ValidationError:
        saved = set()
    usable = pages.attachment_ids_usable(
        refs.values(),
        organisation_id=version.listing.organisation_id,
        user=request.user,
    )
    return {
        path: [_("附件不存在或您无权使用，请重新上传。")]
        for path, value in refs.items()
        if value not in usable and value not in saved
    }


@staff_required
def version_edit(request: HttpRequest, scope: StaffScope, pk: int) -> HttpResponse:
    version = _version_or_404(request, pk)
    if not scope.can_edit_organisation(version.listing.organisation_id):
        return forbidden(request, _("您只能编辑本单位的实施清单。"))
    if version.status not in EDITABLE:
        messages.info(
            request,
            _("第%(n)s版当前状态为“%(s)s”，不能编辑。")
            % {"n": version.number, "s": version.get_status_display()},
        )
        return redirect("portal:version", pk=version.pk)
    if request.method == "GET":
        raw = copy.deepcopy(version.guide or {})
        try:
            errors, warnings = _rule_messages(Guide.model_validate(raw))
        except ValidationError:
            errors, warnings = {}, {}
        form = guide_form.bind(
            raw,
            change_reason=version.change_reason,
            errors=errors,
            warnings=warnings,
            attachments=_attachment_infos(raw, request.user),
            labels=SUMMARY_LABELS,
        )
        context = _edit_context(request, version, form, rules_checked=True)
        return render(request, "portal/staff/version_edit.html", context)
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})

    submission = guide_form.read_submission(request.POST, request.FILES)
    if submission.action in {"add", "remove"}:
        if is_htmx(request) and submission.section:
            form = guide_form.bind(
                submission.raw,
                attachments=_attachment_infos(submission.raw, request.user),
                autofocus_path=submission.added_path,
            )
            return render(
                request,
                "portal/staff/version_edit.html#part",
                {"bound_part": form.part(submission.section), "max_rows": 200},
            )
        return _render_edit(request, version, submission)

    errors = guide_form.url_errors(submission.raw)
    errors.update(_store_uploads(request, version, submission.raw))
    errors.update(_check_attachment_refs(request, version, submission.raw))
    if errors:
        return _render_edit(
            request,
            version,
            submission,
            errors=errors,
            message=_("办事指南内容有误，草稿未保存。请查看标出的字段。"),
            status=422,
        )
    try:
        services.version_update(
            version=version.pk,
            acting_user=request.user,
            guide=submission.raw,
            change_reason=submission.change_reason,
        )
    except CatalogError as error:
        return _render_edit(
            request,
            version,
            submission,
            errors=_field_errors(error),
            message=error.message + _("草稿未保存。"),
            status=422 if error.status < 500 else 400,
        )
    if submission.action == "submit":
        try:
            services.version_submit(version=version.pk, acting_user=request.user)
        except CatalogError as error:
            version.refresh_from_db()
            saved = copy.deepcopy(version.guide)
            return _render_edit(
                request,
                version,
                guide_form.Submission(saved, version.change_reason, "save"),
                errors=_field_errors(error),
                message=_("草稿已保存，但未能提交审核：") + error.message,
                status=422,
            )
        messages.success(request, _("已保存并提交审核。"))
        return redirect("portal:version", pk=version.pk)
    messages.success(request, _("草稿已保存。"))
    return redirect("portal:version_edit", pk=version.pk)


# --- a version: view, comment, submit, review, publish -----------------------


def _detail_context(
    request: HttpRequest, scope: StaffScope, version: Any, **forms: Any
) -> dict[str, Any]:
    context = guide_context(version, request.user)
    guide = context["guide"]
    issues = check_rules(guide)
    can_edit = scope.can_edit_organisation(version.listing.organisation_id)
    in_review = version.status == VersionStatus.SUBMITTED
    context.update(
        scope=scope,
        comments=pages.comments_of(version),
        rule_errors=[i for i in issues if i.severity == "error"],
        rule_warnings=[i for i in issues if i.severity == "warning"],
        can_edit=can_edit and version.status in EDITABLE,
        can_submit=can_edit and version.status in EDITABLE,
        can_discard=can_edit and version.status in EDITABLE,
        can_review=scope.can_review and in_review,
        versions=pages.versions_of_listing(version.listing),
        in_force=version_in_force(version.listing),
        comment_form=forms.get("comment_form") or CommentForm(),
        return_form=forms.get("return_form") or ReturnForm(),
        publish_form=forms.get("publish_form")
        or PublishForm(initial={"effective_from": timezone.localdate()}),
        action_error=forms.get("action_error", ""),
        action_fields=forms.get("action_fields", {}),
    )
    return context


@require_GET
@staff_required
def version_detail(request: HttpRequest, scope: StaffScope, pk: int) -> HttpResponse:
    version = _version_or_404(request, pk)
    return render(
        request, "portal/staff/version.html", _detail_context(request, scope, version)
    )


def _detail_error(
    request: HttpRequest, scope: StaffScope, version: Any, **forms: Any
) -> HttpResponse:
    version.refresh_from_db()
    return render(
        request,
        "portal/staff/version.html",
        _detail_context(request, scope, version, **forms),
        status=422,
    )


@require_POST
@staff_required
def version_comment(request: HttpRequest, scope: StaffScope, pk: int) -> HttpResponse:
    version = _version_or_404(request, pk)
    form = CommentForm(request.POST)
    if not form.is_valid():
        return _detail_error(request, scope, version, comment_form=form)
    try:
        services.version_comment(
            version=version.pk, acting_user=request.user, body=form.cleaned_data["body"]
        )
    except CatalogError as error:
        form.add_error("body" if "body" in error.fields else None, error.message)
        status_form = {"comment_form": form}
        if error.status == 403:
            return forbidden(request, error.message)
        return _detail_error(request, scope, version, **status_form)
    messages.success(request, _("意见已发表。"))
    return redirect(reverse("portal:version", kwargs={"pk": version.pk}) + "#comments")


@require_POST
@staff_required
def version_submit(request: HttpRequest, scope: StaffScope, pk: int) -> HttpResponse:
    version = _version_or_404(request, pk)
    try:
        services.version_submit(version=version.pk, acting_user=request.user)
    except CatalogError as error:
        if error.status == 403:
            return forbidden(request, error.message)
        return _detail_error(
            request,
            scope,
            version,
            action_error=_("未能提交审核：") + error.message,
            action_fields=_field_errors(error),
        )
    messages.success(request, _("已提交审核。"))
    return redirect("portal:version", pk=version.pk)


@require_POST
@staff_required
def version_discard(request: HttpRequest, scope: StaffScope, pk: int) -> HttpResponse:
    version = _version_or_404(request, pk)
    try:
        services.version_discard(version=version.pk, acting_user=request.user)
    except CatalogError as error:
        if error.status == 403:
            return forbidden(request, error.message)
        messages.error(request, error.message)
        return redirect("portal:version", pk=version.pk)
    messages.success(request, _("草稿已作废。"))
    return redirect("portal:workbench")


@require_POST
@staff_required
def version_return(request: HttpRequest, scope: StaffScope, pk: int) -> HttpResponse:
    version = _version_or_404(request, pk)
    if not scope.can_review:
        return forbidden(request, _("只有编委办（目录管理机构）可以执行此操作。"))
    form = ReturnForm(request.POST)
    if not form.is_valid():
        return _detail_error(request, scope, version, return_form=form)
    try:
        services.version_return(
            version=version.pk,
            acting_user=request.user,
            comment=form.cleaned_data["comment"],
        )
    except CatalogError as error:
        form.add_error("comment" if "comment" in error.fields else None, error.message)
        return _detail_error(request, scope, version, return_form=form)
    messages.success(request, _("已退回修改。"))
    return redirect("portal:workbench")


@require_POST
@staff_required
def version_publish(request: HttpRequest, scope: StaffScope, pk: int) -> HttpResponse:
    version = _version_or_404(request, pk)
    if not scope.can_review:
        return forbidden(request, _("只有编委办（目录管理机构）可以执行此操作。"))
    form = PublishForm(request.POST)
    if not form.is_valid():
        return _detail_error(request, scope, version, publish_form=form)
    data = form.cleaned_data
    try:
        services.version_publish(
            version=version.pk,
            acting_user=request.user,
            effective_from=data.get("effective_from"),
            effective_until=data.get("effective_until"),
            comment=data.get("comment") or "",
        )
    except CatalogError as error:
        placed = False
        for field, reasons in (error.fields or {}).items():
            if field in form.fields:
                for reason in reasons:
                    form.add_error(field, reason)
                placed = True
        if not placed:
            form.add_error(None, error.message)
        return _detail_error(
            request,
            scope,
            version,
            publish_form=form,
            action_fields={} if placed else _field_errors(error),
        )
    version.refresh_from_db()
    messages.success(
        request,
        _("已发布第%(n)s版，%(d)s起生效。")
        % {"n": version.number, "d": version.effective_from},
    )
    return redirect("portal:version", pk=version.pk)


# --- comparing versions ------------------------------------------------------

_ENUM_KEYS = {
    "necessity": "necessity",
    "source": "source",
    "form": "form",
    "material_type": "material_type",
    "case_type": "case_type",
    "unit": "time_unit",
}


def _labels_by_name() -> dict[str, str]:
    labels: dict[str, str] = {}
    for part in guide_form.PARTS:
        if part.repeat:
            labels[part.repeat] = str(part.title)
        for spec in part.fields:
            key = f"{part.repeat}[].{spec.name}" if part.repeat else spec.name
            labels[key] = str(spec.label)
    labels["legal_limit.days"] = _("法定办结时限")
    labels["promised_limit.days"] = _("承诺办结时限")
    labels["legal_limit.unit"] = _("法定办结时限单位")
    labels["promised_limit.unit"] = _("承诺办结时限单位")
    return labels


def path_label(path: str) -> str:
    """``materials[0].name`` → ``申请材料 1 · 材料名称``."""
    labels = _labels_by_name()
    head, _sep, rest = path.partition("[")
    if not _sep:
        return labels.get(path, path)
    index, _sep2, tail = rest.partition("]")
    tail = tail.lstrip(".")
    title = labels.get(head, head)
    number = int(index) + 1 if index.isdigit() else index
    field = labels.get(f"{head}[].{tail}", tail)
    return f"{title} {number} · {field}" if tail else f"{title} {number}"


def show_value(path: str, value: Any) -> str:
    if value is None or value == "" or value == []:
        return _("（空）")
    if isinstance(value, bool):
        return _("是") if value else _("否")
    last = path.rsplit(".", 1)[-1]
    if last == "depth_stages" and isinstance(value, list):
        return "、".join(DEPTH_STAGES.get(str(v), str(v)) for v in value)
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    kind = _ENUM_KEYS.get(last)
    if kind:
        return LABELS.get(f"{kind}.{value}", str(value))
    return str(value)


@require_GET
@staff_required
def version_compare(request: HttpRequest, scope: StaffScope, pk: int) -> HttpResponse:
    listing = pages.staff_listing(request.user, pk)
    if listing is None:
        raise Http404(_("没有这个实施清单，或您无权查看。"))
    versions = pages.versions_of_listing(listing)
    by_pk = {v.pk: v for v in versions}
    error = ""
    old_pk = pages.parse_id(request.GET.get("old"))
    new_pk = pages.parse_id(request.GET.get("new"))
    if (request.GET.get("old") and old_pk not in by_pk) or (
        request.GET.get("new") and new_pk not in by_pk
    ):
        error = _("请选择本实施清单的版本进行比较。")
    new = by_pk.get(new_pk) if new_pk else (versions[0] if versions else None)
    if old_pk in by_pk:
        old = by_pk[old_pk]
    else:
        in_force = version_in_force(listing)
        old = in_force if in_force and new and in_force.pk != new.pk else None
        if old is None and new is not None:
            older = [v for v in versions if v.number < new.number]
            old = older[0] if older else None
    changes = []
    if old is not None and new is not None:
        changes = [
            {
                "path": change.path,
                "label": path_label(change.path),
                "old": show_value(change.path, change.old),
                "new": show_value(change.path, change.new),
            }
            for change in diff_guides(old.guide or {}, new.guide or {})
        ]
    return render(
        request,
        "portal/staff/compare.html",
        {
            "listing": listing,
            "item": listing.base_item,
            "versions": versions,
            "old": old,
            "new": new,
            "changes": changes,
            "error": error,
        },
        status=400 if error else 200,
    )


# --- import and export -------------------------------------------------------


@staff_required
def import_start(request: HttpRequest, scope: StaffScope) -> HttpResponse:
    form = (
        ImportForm(request.POST, request.FILES)
        if request.method == "POST"
        else ImportForm()
    )
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        limit = settings.ZHENGWU_IMPORT_MAX_BYTES
        if upload.size is not None and upload.size > limit:
            form.add_error(
                "file",
                _("文件超过大小限制（%(mb)s MB）。") % {"mb": limit // (1024 * 1024)},
            )
        else:
            try:
                job = transfer.import_start(
                    content=upload.read(limit + 1),
                    filename=guide_form.clean_text(upload.name)[:200],
                    acting_user=request.user,
                )
            except DomainError as error:
                reasons = [m for ms in (error.fields or {}).values() for m in ms]
                for reason in reasons or [error.message]:
                    form.add_error("file", reason)
            else:
                messages.success(request, _("文件已上传，正在导入。"))
                return redirect("portal:import_job", pk=job.pk)
    elif request.method not in {"GET", "POST"}:
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "portal/staff/import.html",
        {
            "form": form,
            "jobs": pages.recent_import_jobs(request.user),
        },
        status=status,
    )


def _job_context(job: Any) -> dict[str, Any]:
    total = job.total_rows or 0
    percent = min(100, round(job.processed_rows * 100 / total)) if total else 0
    if job.status == ImportStatus.SUCCEEDED:
        percent = 100
    errors = []
    for entry in job.errors or []:
        if isinstance(entry, dict):
            errors.append(
                {
                    "sheet": entry.get("sheet", ""),
                    "row": entry.get("row", ""),
                    "column": entry.get("column", ""),
                    "reason": entry.get("reason") or entry.get("message", ""),
                }
            )
        else:
            errors.append({"sheet": "", "row": "", "column": "", "reason": str(entry)})
    summary = job.summary if isinstance(job.summary, dict) else {}

    def codes(key: str) -> list[str]:
        value = summary.get(key)
        return [str(v) for v in value] if isinstance(value, list) else []

    versions = summary.get("versions")
    drafts = (
        [
            (str(code), pages.parse_id(pk))
            for code, pk in versions.items()
            if pages.parse_id(pk)
        ]
        if isinstance(versions, dict)
        else []
    )
    warnings = [w for w in summary.get("warnings") or [] if isinstance(w, dict)]
    return {
        "job": job,
        "percent": percent,
        "running": job.status in (ImportStatus.PENDING, ImportStatus.RUNNING),
        "errors": errors,
        "created": codes("created"),
        "updated": codes("updated"),
        "unchanged": codes("unchanged"),
        "drafts": drafts,
        "warnings": warnings,
    }


@require_GET
@staff_required
def import_job(request: HttpRequest, scope: StaffScope, pk: int) -> HttpResponse:
    job = pages.import_job_for_user(request.user, pk)
    if job is None:
        raise Http404(_("没有这个导入任务。"))
    context = _job_context(job)
    if is_htmx(request):
        return render(request, "portal/staff/import_job.html#status", context)
    return render(request, "portal/staff/import_job.html", context)


@require_GET
@staff_required
def export(request: HttpRequest, scope: StaffScope, fmt: str) -> HttpResponse:
    form = StaffSearchForm(request.GET)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    versions = pages.versions_in_force_for_user(request.user, query=query)
    stamp = timezone.localdate().strftime("%Y%m%d")
    if fmt == "xlsx":
        response = HttpResponse(
            transfer.export_workbook(versions),
            content_type="application/vnd.openxmlformats-officedocument"
            ".spreadsheetml.sheet",
        )
        filename = f"catalog-{stamp}.xlsx"
    else:
        payload = json.dumps(
            transfer.export_json(versions),
            ensure_ascii=False,
            indent=1,
            default=_json_default,
        )
        response = HttpResponse(payload, content_type="application/json; charset=utf-8")
        filename = f"catalog-{stamp}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return str(value)


# --- consistency report ------------------------------------------------------


@require_GET
@staff_required
def report(request: HttpRequest, scope: StaffScope) -> HttpResponse:
    form = ReportForm(request.GET)
    division_code = None
    organisation_id = None
    if form.is_valid():
        division_code = form.cleaned_data.get("division") or None
        organisation_id = pages.parse_id(form.cleaned_data.get("organisation"))
        if form.cleaned_data.get("organisation") and organisation_id is None:
            form.add_error("organisation", _("请选择列表中的部门。"))
    result = consistency_report(
        user=request.user,
        division_code=division_code if not form.errors else None,
        organisation_id=organisation_id if not form.errors else None,
    )
    problem_keys = list(PROBLEM_LABELS)

    def table(counts: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            {
                "name": name,
                "cells": [
                    {"label": PROBLEM_LABELS[key], "count": counter.get(key, 0)}
                    for key in problem_keys
                ],
                "total": sum(counter.values()),
            }
            for name, counter in sorted(counts.items())
        ]

    return render(
        request,
        "portal/staff/report.html",
        {
            "form": form,
            "divisions": pages.division_options(),
            "organisations": pages.organisations_for_user(request.user),
            "report": result,
            "problem_labels": [PROBLEM_LABELS[k] for k in problem_keys],
            "by_division": table(result.by_division),
            "by_organisation": table(result.by_organisation),
            "rows": [
                {
                    "version": row.version,
                    "problems": [PROBLEM_LABELS.get(p, p) for p in row.problems],
                }
                for row in result.rows
            ],
            "selected_division": division_code or "",
            "selected_organisation": organisation_id,
        },
        status=400 if form.errors else 200,
    )
