"""The applicant's case pages (办件): apply online from an item's page (handling
item → form → materials → draft or submit), my cases, the progress page with its
supplement, payment, result, delivery and rating blocks, and the case's files.

Views are thin: they read through ``cases.selectors`` (one access rule; another
user's case is a 404) and write through ``cases.services``. When the user acts for
an enterprise or another person the pages apply in the principal's name
(``acting_for_request``)."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

import structlog

from zhengwu.catalog.facade import material_applies
from zhengwu.identity.facade import acting_for_request

from . import case_views_data as data
from .case_views_form import (
    CONSENT_PREFIX,
    LICENCE_PREFIX,
    MATERIAL_PREFIX,
    REUSE_PREFIX,
    MaterialView,
    base_record_sources,
    fields_from_schema,
)
from .forms import apply_error

logger = structlog.get_logger(__name__)

SUBMISSION_KEY_LENGTH = 32


def new_submission_key() -> str:
    return secrets.token_hex(SUBMISSION_KEY_LENGTH // 2)


def clean_submission_key(value: str | None) -> str:
    """The form's idempotency key when it has the shape we issue, else a fresh one
    (a tampered key only loses the double-submit protection of that request)."""
    value = (value or "").strip().lower()
    if len(value) == SUBMISSION_KEY_LENGTH and all(
        c in "0123456789abcdef" for c in value
    ):
        return value
    return new_submission_key()


class _RefusedError(Exception):
    """Raised inside the submission transaction to roll everything back."""

    def __init__(self, errors: dict[str, list[str]], message: str = "") -> None:
        super().__init__(message)
        self.errors = errors
        self.message = message


class _AlreadySubmittedError(Exception):
    def __init__(self, case: Any) -> None:
        super().__init__()
        self.case = case


# --- apply ----------------------------------------------------------------------


def _materials(
    request: HttpRequest,
    listing: Any,
    handling_item_code: str,
    case: Any | None,
    errors: dict[str, list[str]],
    reuse_values: dict[str, str] | None = None,
) -> list[MaterialView]:
    acting = acting_for_request(request)
    attached = data.attached_materials(case) if case is not None else {}
    reusable = data.reusable_materials(request.user, acting=acting, exclude_case=case)
    offered = data.offered_licences(
        request.user,
        acting=acting,
        listing=listing,
        handling_item_code=handling_item_code,
        case=case,
    )
    base_records = base_record_sources(
        request.user,
        acting=acting,
        listing=listing,
        handling_item_code=handling_item_code,
        case=case,
    )
    reuse_values = reuse_values or {}
    views = []
    for index, material in enumerate(listing.guide.materials):
        if not material_applies(material, handling_item_code):
            continue
        key = f"{MATERIAL_PREFIX}{index}"
        views.append(
            MaterialView(
                index=index,
                name=material.name,
                necessity=material.necessity,
                note=material.note or material.accept_standard,
                attached=attached.get(material.name, []),
                reusable=reusable.get(material.name, []),
                errors=errors.get(key, []) + errors.get(material.name, []),
                reuse_value=reuse_values.get(f"{REUSE_PREFIX}{index}", ""),
                licences=offered.get(material.name, []),
                licence_value=reuse_values.get(f"{LICENCE_PREFIX}{index}", ""),
                consent_checked=bool(reuse_values.get(f"{CONSENT_PREFIX}{index}")),
                base_record=base_records.get(material.name, ""),
            )
        )
    return views


def _form_context(
    request: HttpRequest,
    listing: Any,
    *,
    handling_item_code: str,
    values: dict[str, Any],
    case: Any | None = None,
    errors: dict[str, list[str]] | None = None,
    submission_key: str = "",
    general_errors: list[str] | None = None,
    reuse_values: dict[str, str] | None = None,
) -> dict[str, Any]:
    errors = errors or {}
    schema = data.case_forms.listing_schema(listing.code)
    prefilled: set[str] = set()
    if case is None and not values and not errors:
        values, prefilled = data.prefill(
            request.user, acting_for_request(request), listing, schema
        )
    else:
        prefilled = data.prefilled_names(
            request.user, acting_for_request(request), listing.code, schema, values
        )
    handling = {h.code: h.name for h in listing.guide.handling_items}
    field_views = fields_from_schema(schema, values, errors=errors, prefilled=prefilled)
    materials = _materials(
        request, listing, handling_item_code, case, errors, reuse_values
    )
    general = list(general_errors or []) + errors.get("__all__", [])
    has_errors = bool(general or any(f.errors for f in field_views)) or any(
        m.errors for m in materials
    )
    return {
        "listing": listing,
        "case": case,
        "fields": field_views,
        "materials": materials,
        "handling_item_code": handling_item_code,
        "handling_item_name": handling.get(handling_item_code, ""),
        "submission_key": submission_key or new_submission_key(),
        "has_errors": has_errors,
        "general_errors": general,
        "error_links": [(f.html_id, f.label, f.errors) for f in field_views if f.errors]
        + [(f"id_{m.upload_name}", m.name, m.errors) for m in materials if m.errors],
        "acting": acting_for_request(request),
    }


def _listing_or_404(code: str) -> Any:
    listing = data.listing_for_application(code)
    if listing is None or not listing.is_online:
        raise Http404(_("这个事项尚未开通网上申报。"))
    return listing


def _chosen_handling_item(listing: Any, value: str | None) -> str | None:
    """The handling item code picked (validated against the guide); "" when the
    guide has none; None when it has several and none is picked yet."""
    codes = [h.code for h in listing.guide.handling_items]
    if not codes:
        return ""
    if value and value in codes:
        return value
    if len(codes) == 1:
        return codes[0]
    return None


@never_cache
@login_required
def apply(request: HttpRequest, code: str) -> HttpResponse:
    """在线申报: choose the handling item, then the form. POST saves or submits."""
    listing = _listing_or_404(code)
    source = request.POST if request.method == "POST" else request.GET
    handling_item_code = _chosen_handling_item(listing, source.get("handling"))
    if handling_item_code is None:
        status = 400 if "handling" in source else 200
        return data.render_page(
            request,
            "portal/cases/choose_handling.html",
            {"listing": listing, "invalid": "handling" in source},
            status=status,
        )
    if request.method == "POST":
        return _save(request, listing, handling_item_code, case=None)
    context = _form_context(
        request, listing, handling_item_code=handling_item_code, values={}
    )
    return data.render_page(request, "portal/cases/apply.html", context)


@never_cache
@login_required
def case_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Resume a draft: the same form with what was saved."""
    case = data.case_or_404(request, pk)
    if case.status != data.CaseStatus.DRAFT:
        return redirect("portal:case", pk=case.pk)
    listing = _listing_or_404(case.listing_code)
    handling_item_code = case.handling_item_code
    if request.method == "POST":
        return _save(request, listing, handling_item_code, case=case)
    context = _form_context(
        request,
        listing,
        handling_item_code=handling_item_code,
        values=dict(case.form_data or {}),
        case=case,
    )
    return data.render_page(request, "portal/cases/apply.html", context)


def _uploads_and_reuses(
    request: HttpRequest, listing: Any
) -> tuple[dict[int, Any], dict[int, str]]:
    uploads: dict[int, Any] = {}
    reuses: dict[int, str] = {}
    for index, _material in enumerate(listing.guide.materials):
        upload = request.FILES.get(f"{MATERIAL_PREFIX}{index}")
        if upload is not None and upload.size:
            uploads[index] = upload
        reuse = (request.POST.get(f"{REUSE_PREFIX}{index}") or "").strip()
        if reuse.isdigit() and len(reuse) <= 18:
            reuses[index] = reuse
    return uploads, reuses


def _licence_uses(request: HttpRequest, listing: Any) -> dict[int, tuple[str, bool]]:
    """Per material index: the licence chosen instead of an upload (免于提交) and
    whether the applicant ticked the consent box."""
    chosen: dict[int, tuple[str, bool]] = {}
    for index, _material in enumerate(listing.guide.materials):
        identifier = (request.POST.get(f"{LICENCE_PREFIX}{index}") or "").strip()
        if identifier and len(identifier) <= 120:
            consent = request.POST.get(f"{CONSENT_PREFIX}{index}") == "yes"
            chosen[index] = (identifier, consent)
    return chosen


def _save(
    request: HttpRequest, listing: Any, handling_item_code: str, *, case: Any | None
) -> HttpResponse:
    """Save the draft or submit: all or nothing. Form errors show next to their
    fields and nothing is saved; a second submission with the same key shows the
    case the first one made."""
    submitting = request.POST.get("action") == "submit"
    key = clean_submission_key(request.POST.get("submission_key"))
    schema = data.case_forms.listing_schema(listing.code)
    values = data.data_from_post(schema, request.POST)
    reuse_values = {
        k: v
        for k, v in request.POST.items()
        if k.startswith((REUSE_PREFIX, LICENCE_PREFIX))
    }
    if submitting:
        earlier = data.selectors.submission_for_key(request.user, key)
        if earlier is not None:
            messages.info(request, _("这份申请已经提交过，以下是它的办理进度。"))
            return redirect("portal:case", pk=earlier.pk)
    errors = data.validate(schema, values, partial=not submitting)
    uploads, reuses = _uploads_and_reuses(request, listing)
    licence_uses = _licence_uses(request, listing)
    if not errors:
        try:
            saved = _save_in_transaction(
                request,
                listing,
                handling_item_code,
                case=case,
                values=values,
                uploads=uploads,
                reuses=reuses,
                licence_uses=licence_uses,
                submitting=submitting,
                key=key,
            )
        except _AlreadySubmittedError as done:
            messages.info(request, _("这份申请已经提交过，以下是它的办理进度。"))
            return redirect("portal:case", pk=done.case.pk)
        except _RefusedError as refused:
            errors = refused.errors or {"__all__": [refused.message]}
        else:
            if submitting:
                messages.success(
                    request,
                    _("申请已提交，办件编号：%(number)s。请留意办理进度和消息通知。")
                    % {"number": saved.number},
                )
                return redirect("portal:case", pk=saved.pk)
            messages.success(request, _("草稿已保存，可随时回来继续填写。"))
            return redirect("portal:case_edit", pk=saved.pk)
    general = []
    if uploads:
        general.append(_("出于安全原因，已选择的文件需要重新选择。"))
    context = _form_context(
        request,
        listing,
        handling_item_code=handling_item_code,
        values=values,
        case=case,
        errors=errors,
        submission_key=key,
        general_errors=general,
        reuse_values=reuse_values,
    )
    return data.render_page(request, "portal/cases/apply.html", context, status=400)


def _save_in_transaction(
    request: HttpRequest,
    listing: Any,
    handling_item_code: str,
    *,
    case: Any | None,
    values: dict[str, Any],
    uploads: dict[int, Any],
    reuses: dict[int, str],
    licence_uses: dict[int, tuple[str, bool]] | None = None,
    submitting: bool,
    key: str,
) -> Any:
    acting = acting_for_request(request)
    materials = listing.guide.materials
    with transaction.atomic():
        try:
            draft = data.services.case_draft_save(
                user=request.user,
                acting=acting,
                listing_code=listing.code,
                form_data=values,
                handling_item_code=handling_item_code,
                case_id=case.pk if case is not None else None,
            )
        except data.CaseError as error:
            raise _RefusedError(
                data.field_errors(error, prefix="f-"), error.message
            ) from error
        for index, upload in uploads.items():
            try:
                data.services.material_upload(
                    user=request.user,
                    acting=acting,
                    case_id=draft.pk,
                    material_name=materials[index].name,
                    filename=upload.name[:200],
                    content=data.read_upload(upload),
                )
            except data.CaseError as error:
                raise _RefusedError(
                    {f"{MATERIAL_PREFIX}{index}": [error.message]}, error.message
                ) from error
        for index, source in reuses.items():
            if index in uploads:
                continue
            try:
                data.services.material_reuse(
                    user=request.user,
                    acting=acting,
                    case_id=draft.pk,
                    material_name=materials[index].name,
                    source_material_id=int(source),
                )
            except data.CaseError as error:
                raise _RefusedError(
                    {f"{MATERIAL_PREFIX}{index}": [error.message]}, error.message
                ) from error
        for index, (identifier, consent) in (licence_uses or {}).items():
            if index in uploads or index in reuses:
                continue
            try:
                data.material_licence_use(
                    user=request.user,
                    acting=acting,
                    case_id=draft.pk,
                    material_name=materials[index].name,
                    licence_identifier=identifier,
                    consent=consent,
                )
            except data.CaseError as error:
                raise _RefusedError(
                    {f"{MATERIAL_PREFIX}{index}": [error.message]}, error.message
                ) from error
        if not submitting:
            return draft
        try:
            submitted = data.services.case_submit(
                user=request.user,
                acting=acting,
                case_id=draft.pk,
                submission_key=key,
            )
        except data.CaseError as error:
            raise _RefusedError(
                data.material_errors(error, listing), error.message
            ) from error
        if submitted.pk != draft.pk:
            # Another request with the same key won: drop this draft, show that case.
            transaction.set_rollback(True)
            raise _AlreadySubmittedError(submitted)
        return submitted


# --- my cases ---------------------------------------------------------------------


@never_cache
@login_required
def my_cases(request: HttpRequest) -> HttpResponse:
    acting = acting_for_request(request)
    page = data.my_cases_page(
        request.user, acting=acting, after=request.GET.get("after")
    )
    return data.render_page(
        request,
        "portal/cases/list.html",
        {
            "drafts": page.drafts,
            "cases": page.cases,
            "intakes": page.intakes,
            "next_url": (
                f"{reverse('portal:cases')}?after={page.next_cursor}"
                if page.next_cursor
                else ""
            ),
            "acting": acting,
        },
    )


# --- one case ---------------------------------------------------------------------


@never_cache
@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = data.case_or_404(request, pk)
    if case.status == data.CaseStatus.DRAFT:
        return redirect("portal:case_edit", pk=case.pk)
    context = data.case_page_context(request, case)
    return data.render_page(request, "portal/cases/detail.html", context)


def _render_detail_with(
    request: HttpRequest, case: Any, *, status: int = 400, **forms: Any
) -> HttpResponse:
    context = data.case_page_context(request, case, **forms)
    return data.render_page(request, "portal/cases/detail.html", context, status=status)


@require_POST
@login_required
def case_supplement(request: HttpRequest, pk: int) -> HttpResponse:
    """补正: upload the missing materials and a note, then resubmit — one transaction."""
    case = data.case_or_404(request, pk)
    acting = acting_for_request(request)
    listing = data.listing_for_application(case.listing_code)
    note = (request.POST.get("note") or "").replace("\x00", "").strip()
    errors: dict[str, list[str]] = {}
    if len(note) > 1000:
        errors["note"] = [_("说明不能超过1000字。")]
    uploads = {}
    names = data.supplement_material_names(case, listing)
    for index, name in enumerate(names):
        upload = request.FILES.get(f"supplement-{index}")
        if upload is not None and upload.size:
            uploads[index] = (name, upload)
    if not uploads and not note:
        errors["__all__"] = [_("请上传补正材料或填写补正说明。")]
    if not errors:
        try:
            with transaction.atomic():
                for index, (name, upload) in uploads.items():
                    try:
                        data.services.material_upload(
                            user=request.user,
                            acting=acting,
                            case_id=case.pk,
                            material_name=name,
                            filename=upload.name[:200],
                            content=data.read_upload(upload),
                        )
                    except data.CaseError as error:
                        raise _RefusedError(
                            {f"supplement-{index}": [error.message]}, error.message
                        ) from error
                try:
                    data.services.case_supplement(
                        user=request.user, acting=acting, case_id=case.pk, note=note
                    )
                except data.CaseError as error:
                    raise _RefusedError(
                        data.field_errors(error), error.message
                    ) from error
        except _RefusedError as refused:
            errors = refused.errors or {"__all__": [refused.message]}
        else:
            messages.success(request, _("补正材料已提交，请等待审核。"))
            return redirect("portal:case", pk=case.pk)
    context = data.case_page_context(request, case, supplement_errors=errors)
    context["note"] = note
    return data.render_page(request, "portal/cases/detail.html", context, status=400)


@require_POST
@login_required
def case_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    case = data.case_or_404(request, pk)
    try:
        data.services.case_withdraw(
            user=request.user, acting=acting_for_request(request), case_id=case.pk
        )
    except data.CaseError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("申请已撤回。"))
    return redirect("portal:case", pk=case.pk)


@require_POST
@login_required
def case_delivery(request: HttpRequest, pk: int) -> HttpResponse:
    """Choose how the result reaches the applicant: pick-up or express."""
    case = data.case_or_404(request, pk)
    listing = data.listing_for_application(case.listing_code)
    form = data.DeliveryForm(
        request.POST,
        supports_express=bool(listing and listing.guide.supports_express),
    )
    if form.is_valid():
        try:
            data.choose_delivery(request, case, form.cleaned_data)
        except data.CaseError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("送达方式已保存。"))
            return redirect(f"{reverse('portal:case', args=[case.pk])}#delivery")
    return _render_detail_with(request, case, delivery_form=form)


@require_POST
@login_required
def case_rating(request: HttpRequest, pk: int) -> HttpResponse:
    """好差评: five levels, indicators; a comment is required for a bad rating."""
    case = data.case_or_404(request, pk)
    form = data.RatingForm(request.POST, case=case)
    if form.is_valid():
        try:
            data.rate(request, case, form.cleaned_data)
        except data.CaseError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("感谢您的评价。"))
            return redirect(f"{reverse('portal:case', args=[case.pk])}#rating")
    return _render_detail_with(request, case, rating_form=form)


@login_required
def case_file(request: HttpRequest, pk: int, file_pk: Any) -> HttpResponse:
    """A material or result file of one of my cases; anything else is a 404."""
    case = data.case_or_404(request, pk)
    response = data.file_response(request, case, file_pk)
    if response is None:
        raise Http404(_("文件不存在。"))
    return response
