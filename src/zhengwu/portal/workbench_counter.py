"""Counter mode (窗口收件): a counter clerk serving a walk-in applicant whose ID was
checked on the identity counter page (an open CounterVisit, so the clerk acts for the
applicant), or a village service-point clerk acting for a citizen under an
authorisation, picks a listing, fills the same form as online, attaches the scanned
paper materials (credibility B) and submits: the case then follows the same flow.

Draft, uploads and submission run in one transaction, so a refused submission leaves
no half case behind; the submission key rendered into the form makes a double click
one case."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

import structlog

from zhengwu.cases import forms as case_forms
from zhengwu.cases import selectors, services
from zhengwu.cases.files import upload_max_bytes
from zhengwu.catalog.facade import ListingInfo, listing_for_application
from zhengwu.catalog.selectors import SearchFilters, search_versions
from zhengwu.core.errors import DomainError
from zhengwu.identity.facade import ActingFor, StaffScope, acting_for_request

from .workbench_views import base_context, case_staff_required, forbidden

logger = structlog.get_logger(__name__)

FIELD_PREFIX = "f-"
MATERIAL_PREFIX = "material-"
SEARCH_LIMIT = 20


def _is_clerk(scope: StaffScope) -> bool:
    return bool(scope.counter_organisation_ids or scope.service_point_organisation_ids)


@case_staff_required
def counter(request: HttpRequest, scope: StaffScope) -> HttpResponse:
    if not _is_clerk(scope):
        return forbidden(request, _("只有窗口工作人员和村（社区）代办员可以窗口收件。"))
    if request.method not in ("GET", "POST"):
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    acting = acting_for_request(request)
    context: dict[str, Any] = {
        **base_context(scope, "counter"),
        "acting": acting,
        "is_counter_clerk": bool(scope.counter_organisation_ids),
        "is_service_point_clerk": bool(scope.service_point_organisation_ids),
    }
    if acting is None:
        return render(request, "portal/workbench/counter.html", context)
    code = (request.POST.get("listing") or request.GET.get("listing") or "").strip()
    listing = listing_for_application(code.upper()) if code else None
    if listing is None:
        return _choose_listing(request, context, missing=bool(code))
    if not acting.covers(listing.code[19:]) and not acting.covers(listing.code):
        messages.error(request, _("您代办的授权不包括该事项。"))
        return _choose_listing(request, context, missing=False)
    if request.method == "POST":
        return _submit(request, context, acting, listing)
    return _form_page(request, context, acting, listing)


def _choose_listing(
    request: HttpRequest, context: dict[str, Any], *, missing: bool
) -> HttpResponse:
    query = "".join(ch for ch in request.GET.get("q", "") if ch.isprintable())[:100]
    results: list[Any] = []
    if query.strip():
        results, _next = search_versions(
            SearchFilters(query=query.strip()), limit=SEARCH_LIMIT
        )
    context.update(
        {
            "step": "choose",
            "query": query,
            "results": results,
            "listing_missing": missing,
        }
    )
    return render(
        request,
        "portal/workbench/counter.html",
        context,
        status=404 if missing else 200,
    )


def _form_page(
    request: HttpRequest,
    context: dict[str, Any],
    acting: ActingFor,
    listing: ListingInfo,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
    handling_item: str = "",
    submission_key: str = "",
    status: int = 200,
    top_errors: list[str] | None = None,
) -> HttpResponse:
    schema = case_forms.listing_schema(listing.code)
    if values is None:
        values = case_forms.prefill(
            schema=schema,
            user=request.user,
            principal_label=acting.principal_label,
            earlier=selectors.latest_submission_values(
                listing_code=listing.code, principal_label=acting.principal_label
            ),
        )
    errors = errors or {}
    fields = case_forms.render_spec(schema, values, errors)
    materials = [
        {
            "index": index,
            "name": material.name,
            "required": material.necessity == "1",
            "note": material.note or material.accept_standard,
            "input": f"{MATERIAL_PREFIX}{index}",
            "errors": errors.get(f"{MATERIAL_PREFIX}{index}", [])
            + errors.get(material.name, []),
        }
        for index, material in enumerate(listing.materials_for(handling_item))
    ]
    known = {f.name for f in fields} | {m["input"] for m in materials}
    known |= {m["name"] for m in materials}
    other = [
        str(reason)
        for key, reasons in errors.items()
        if key not in known and key != "handling_item_code"
        for reason in reasons
    ]
    context.update(
        {
            "step": "form",
            "listing": listing,
            "fields": fields,
            "field_prefix": FIELD_PREFIX,
            "materials": materials,
            "handling_items": listing.guide.handling_items,
            "handling_item": handling_item,
            "handling_item_errors": errors.get("handling_item_code", []),
            "submission_key": submission_key or secrets.token_urlsafe(24),
            "top_errors": (top_errors or []) + other,
        }
    )
    return render(request, "portal/workbench/counter.html", context, status=status)


def _submit(
    request: HttpRequest,
    context: dict[str, Any],
    acting: ActingFor,
    listing: ListingInfo,
) -> HttpResponse:
    schema = case_forms.listing_schema(listing.code)
    posted = {
        name: "".join(
            ch
            for ch in request.POST.get(f"{FIELD_PREFIX}{name}", "")
            if ch.isprintable() or ch in "\n\r\t"
        ).strip()
        for name in (schema.get("properties") or {})
    }
    form_data = case_forms.coerce_posted(schema, posted)
    handling_item = request.POST.get("handling_item", "")[:8]
    key = request.POST.get("submission_key", "")[:64]
    again = dict(
        values=form_data,
        handling_item=handling_item,
        submission_key=key,
    )
    earlier = selectors.submission_for_key(request.user, key)
    if earlier is not None:
        return _done(request, earlier)
    files = []
    for index, material in enumerate(listing.materials_for(handling_item)):
        upload = request.FILES.get(f"{MATERIAL_PREFIX}{index}")
        if upload is None:
            continue
        if upload.size > upload_max_bytes():
            return _form_page(
                request,
                context,
                acting,
                listing,
                errors={f"{MATERIAL_PREFIX}{index}": [_("文件过大。")]},
                status=400,
                **again,
            )
        files.append((material.name, upload.name, upload.read()))
    try:
        case = _open_and_submit(
            request,
            acting=acting,
            listing=listing,
            form_data=form_data,
            handling_item=handling_item,
            files=files,
            key=key,
        )
    except DomainError as error:  # raised inside the atomic block: all undone
        if error.status == 403:
            return forbidden(request, error.message)
        fields = {
            key.removeprefix("form_data."): value
            for key, value in (error.fields or {}).items()
        }
        for name in error.context.get("missing") or []:
            fields.pop("materials", None)
            fields.setdefault(name, []).append(_("请上传此材料的扫描件。"))
        top = [error.message]
        if files:
            top.append(_("已选择的文件没有保存，请重新选择。"))
        return _form_page(
            request,
            context,
            acting,
            listing,
            errors=fields,
            status=400 if error.status < 500 else error.status,
            top_errors=top,
            **again,
        )
    return _done(request, case)


def _open_and_submit(
    request: HttpRequest,
    *,
    acting: ActingFor,
    listing: ListingInfo,
    form_data: dict[str, Any],
    handling_item: str,
    files: list[tuple[str, str, bytes]],
    key: str,
) -> Any:
    with transaction.atomic():
        if acting.basis == "counter":
            draft = services.counter_case_open(
                acting_user=request.user,
                acting=acting,
                listing_code=listing.code,
                form_data=form_data,
                handling_item_code=handling_item,
            )
        else:
            draft = services.case_draft_save(
                user=request.user,
                acting=acting,
                listing_code=listing.code,
                form_data=form_data,
                handling_item_code=handling_item,
            )
        for material_name, filename, content in files:
            services.material_upload(
                user=request.user,
                acting=acting,
                case_id=draft.pk,
                material_name=material_name,
                filename=filename,
                content=content,
            )
        case = services.case_submit(
            user=request.user,
            acting=acting,
            case_id=draft.pk,
            submission_key=key,
        )
        if case.pk != draft.pk:  # the same key won a race: keep only that one
            transaction.set_rollback(True)
        return case


def _done(request: HttpRequest, case: Any) -> HttpResponse:
    messages.success(
        request,
        _("已提交，办件编号 %(number)s。") % {"number": case.number or case.pk},
    )
    if selectors.staff_cases_for_user(request.user).filter(pk=case.pk).exists():
        return redirect("portal:wb_case", pk=case.pk)
    return redirect(reverse("portal:wb_counter") + f"?done={case.pk}")
