"""Two workbench pages besides the inbox: the rectification orders (差评整改) of my
organisations, and the online-handling configuration of one listing (form schema,
process model, 秒批 decision table, fee amounts, parallel departments, the
electronic licence issued on approval, materials a licence replaces and materials
fetched from the shared base records)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

import structlog

from zhengwu.cases import licences as case_licences
from zhengwu.cases import ratings, services
from zhengwu.cases.constants import ProcessTemplate, RectificationStatus
from zhengwu.cases.models import HandlingConfig
from zhengwu.catalog.facade import listing_for_application
from zhengwu.core.errors import DomainError
from zhengwu.core.models import Organisation
from zhengwu.identity.facade import StaffScope, staff_scope

from . import workbench_data as data
from .forms import apply_error
from .workbench_forms import (
    HandlingConfigForm,
    RectificationCallbackForm,
    RectificationResponseForm,
)
from .workbench_views import (
    base_context,
    case_staff_required,
    forbidden,
)

logger = structlog.get_logger(__name__)

PAGE = 20

# --- rectification orders ----------------------------------------------------------


def _orders(user: Any) -> Any:
    return ratings.rectifications_for_user(user).select_related(
        "case", "organisation", "rating"
    )


def _render_rectifications(
    request: HttpRequest,
    scope: StaffScope,
    *,
    status: int = 200,
    failed: tuple[int, Any] | None = None,
) -> HttpResponse:
    show = request.GET.get("status", "open")
    if show not in (*RectificationStatus.values, "all"):
        show = "open"
    orders = _orders(request.user)
    if show != "all":
        orders = orders.filter(status=show)
    after = data.clamp_int(request.GET.get("after"), 0, 0, 2**62)
    if after:
        orders = orders.filter(pk__gt=after)
    page = list(orders.order_by("due_on", "pk")[: PAGE + 1])
    more = len(page) > PAGE
    page = page[:PAGE]
    rows = []
    for order in page:
        form = callback_form = None
        if order.status == RectificationStatus.OPEN:
            form = RectificationResponseForm(prefix=f"r{order.pk}")
        elif order.status == RectificationStatus.RESPONDED:
            callback_form = RectificationCallbackForm(prefix=f"c{order.pk}")
        if failed and failed[0] == order.pk:
            if isinstance(failed[1], RectificationCallbackForm):
                callback_form = failed[1]
            else:
                form = failed[1]
        rows.append({"order": order, "form": form, "callback_form": callback_form})
    tabs = [
        {
            "key": key,
            "label": label,
            "current": key == show,
            "url": f"{request.path}?{urlencode({'status': key})}",
        }
        for key, label in [*RectificationStatus.choices, ("all", _("全部"))]
    ]
    context = {
        **base_context(scope, "rectifications"),
        "rows": rows,
        "tabs": tabs,
        "show": show,
        "today": timezone.localdate(),
        "next_url": f"{request.path}?{urlencode({'status': show, 'after': page[-1].pk})}"
        if more
        else "",
    }
    return render(
        request, "portal/workbench/rectifications.html", context, status=status
    )


@case_staff_required
def rectifications(request: HttpRequest, scope: StaffScope) -> HttpResponse:
    if request.method != "GET":
        return HttpResponse(status=405, headers={"Allow": "GET"})
    return _render_rectifications(request, scope)


def _rectification_action(
    request: HttpRequest,
    scope: StaffScope,
    pk: int,
    *,
    form_class: type[RectificationResponseForm] | type[RectificationCallbackForm],
    prefix: str,
    call: Callable[[Any, Any], Any],
    done: str,
) -> HttpResponse:
    """Validate the order's form and call the service with the order and the
    cleaned data; a refusal comes back onto the form, nothing changed."""
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "POST"})
    order = _orders(request.user).filter(pk=pk).first()
    if order is None:
        raise Http404(_("没有这个整改工单，或您无权查看。"))
    form = form_class(request.POST, prefix=f"{prefix}{order.pk}")
    if form.is_valid():
        try:
            call(order, form.cleaned_data)
        except DomainError as error:
            if error.status == 404:
                raise Http404(error.message) from error
            if error.status == 403:
                return forbidden(request, error.message)
            apply_error(form, error)
        else:
            messages.success(request, done)
            return redirect("portal:wb_rectifications")
    return _render_rectifications(request, scope, status=400, failed=(order.pk, form))


@case_staff_required
def rectification_respond(
    request: HttpRequest, scope: StaffScope, pk: int
) -> HttpResponse:
    return _rectification_action(
        request,
        scope,
        pk,
        form_class=RectificationResponseForm,
        prefix="r",
        call=lambda order, cleaned: ratings.rectification_respond(
            order_id=order.pk, acting_user=request.user, response=cleaned["response"]
        ),
        done=_("整改情况已提交，等待回访。"),
    )


@case_staff_required
def rectification_callback(
    request: HttpRequest, scope: StaffScope, pk: int
) -> HttpResponse:
    return _rectification_action(
        request,
        scope,
        pk,
        form_class=RectificationCallbackForm,
        prefix="c",
        call=lambda order, cleaned: ratings.rectification_callback(
            order_id=order.pk, acting_user=request.user, note=cleaned["note"]
        ),
        done=_("回访记录已保存。"),
    )


# --- handling configuration ----------------------------------------------------------


def _may_configure(scope: StaffScope, organisation_id: int) -> bool:
    return scope.can_review or scope.can_edit_organisation(organisation_id)


def _organisation_choices(listing: Any) -> list[tuple[int, str]]:
    """Departments that can review in parallel: those of the listing's division."""
    return list(
        Organisation.objects.filter(division_id=listing.division_id)
        .order_by("name")
        .values_list("pk", "name")
    )


def _initial(
    config: HandlingConfig | None, fees: list[str], materials: list[str]
) -> dict[str, Any]:
    import json

    if config is None:
        return {"process_template": ProcessTemplate.SINGLE}
    licence_materials = config.licence_materials or {}
    base_records = config.base_record_materials or {}
    initial: dict[str, Any] = {
        "licence_type_code": config.licence_type_code,
        "form_schema": json.dumps(config.form_schema, ensure_ascii=False, indent=2)
        if config.form_schema
        else "",
        "process_template": config.process_template,
        "decision_key": config.decision_key,
        "parallel_organisation_ids": list(config.parallel_organisation_ids or []),
    }
    amounts = {
        item.get("name"): item.get("amount_fen")
        for item in (config.fee_items or [])
        if isinstance(item, dict)
    }
    for index, name in enumerate(fees):
        fen = amounts.get(name)
        if isinstance(fen, int):
            initial[f"fee_{index}"] = Decimal(fen) / 100
    for index, name in enumerate(materials):
        code = licence_materials.get(name)
        if isinstance(code, str):
            initial[f"licence_material_{index}"] = code
        kind = base_records.get(name)
        if isinstance(kind, str):
            initial[f"base_record_{index}"] = kind
    return initial


@never_cache
@login_required
def handling_config(request: HttpRequest, code: str) -> HttpResponse:
    scope = staff_scope(request.user)
    listing = listing_for_application(code)
    if listing is None:
        raise Http404(_("没有这个实施清单，或它没有在用的版本。"))
    if not _may_configure(scope, listing.organisation_id):
        return forbidden(
            request,
            _("只有编委办审核人员或本部门事项编辑人员可以修改网上办理配置。"),
        )
    fees = [fee.name for fee in listing.guide.fees]
    organisations = _organisation_choices(listing)
    config = HandlingConfig.objects.filter(listing_code=listing.code).first()
    materials = _material_names(listing)
    options = {
        "fees": fees,
        "organisations": organisations,
        "licence_types": case_licences.issuable_licence_types(listing, config),
        "materials": materials,
        "type_exists": case_licences.licence_type_exists,
    }
    status = 200
    if request.method == "POST":
        form = HandlingConfigForm(
            request.POST,
            request.FILES,
            has_uploaded_model=bool(config and config.process_key),
            **options,
        )
        if form.is_valid():
            try:
                _save_config(request, listing, form, config)
            except DomainError as error:
                _config_error(form, error)
                status = 400 if error.status < 500 else error.status
            else:
                messages.success(request, _("网上办理配置已保存。"))
                return redirect("portal:wb_config", code=listing.code)
        else:
            status = 400
    elif request.method == "GET":
        form = HandlingConfigForm(initial=_initial(config, fees, materials), **options)
    else:
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    context = {
        "wb_nav": {"catalogue": scope.is_staff_member},
        "wb_section": "config",
        "listing": listing,
        "config": config,
        "form": form,
        "fee_fields": [form[f"fee_{i}"] for i in range(len(fees))],
        "fees": listing.guide.fees,
        "material_rows": form.material_rows(),
    }
    return render(request, "portal/workbench/config.html", context, status=status)


@transaction.atomic
def _save_config(
    request: HttpRequest,
    listing: Any,
    form: HandlingConfigForm,
    config: HandlingConfig | None,
) -> None:
    """Upload the BPMN model (validated by workflows, under the listing's own key)
    and save the configuration in one transaction: a refused configuration keeps
    no uploaded model either."""
    from zhengwu.workflows import facade as workflows

    cleaned = form.cleaned_data
    process_key = ""
    if cleaned["process_template"] == ProcessTemplate.CUSTOM:
        process_key = config.process_key if config else ""
        xml = cleaned.get("process_file")
        if xml:
            upload = form.files.get("process_file")
            try:
                info = workflows.upload_definition(
                    key=f"listing_{listing.code}",
                    name=(getattr(upload, "name", "") or listing.item_name)[:200],
                    xml=xml,
                    acting_user=request.user,
                )
            except DomainError as error:
                raise _on_field(error, "process_file") from error
            process_key = info.key
    services.handling_config_set(
        listing_code=listing.code,
        acting_user=request.user,
        form_schema=cleaned["form_schema"],
        process_template=cleaned["process_template"],
        process_key=process_key,
        decision_key=cleaned["decision_key"].strip(),
        fee_items=form.fee_items(),
        parallel_organisation_ids=cleaned["parallel_organisation_ids"],
        licence_type_code=cleaned["licence_type_code"] or "",
        licence_materials=form.licence_materials(),
        base_record_materials=form.base_record_materials(),
    )


def _material_names(listing: Any) -> list[str]:
    """The guide's material names, each once, in guide order."""
    return list(dict.fromkeys(m.name for m in listing.guide.materials))


def _config_error(form: HandlingConfigForm, error: DomainError) -> None:
    """A refusal of the settings onto the form: the material mappings' reasons
    (which name the material) on top, the rest at their fields."""
    fields = dict(error.fields or {})
    for key in ("licence_materials", "base_record_materials"):
        for reason in fields.pop(key, []):
            form.add_error(None, str(reason))
    if fields or not form.non_field_errors():
        apply_error(form, DomainError(error.code, error.message, fields=fields))


def _on_field(error: DomainError, field: str) -> DomainError:
    """A refusal of the uploaded model, shown at the file input."""
    reasons = [str(r) for rs in (error.fields or {}).values() for r in rs] or [
        error.message
    ]
    return DomainError(error.code, error.message, fields={field: reasons})
