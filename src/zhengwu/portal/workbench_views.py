"""The staff case workbench (办件工作台): the inbox of tasks and of cases waiting for
acceptance, and the staff page of one case with its actions (accept, ask for
supplements at once, refuse; claim, hand over, return and complete tasks; special
procedures, extensions, refunds).

Views are thin: they read through ``cases.selectors`` (which apply the one access rule)
and write through the case services, which check the role, audit and refuse with
stable codes. A case or task outside the user's scope answers 404 (its existence is
not revealed); a refused action shows the service's Chinese message next to the field
it names and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial, wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

import structlog

from zhengwu.cases import services, workbench
from zhengwu.cases.licences import licence_checks
from zhengwu.core.errors import DomainError
from zhengwu.identity.facade import StaffScope, staff_scope
from zhengwu.licenses import facade as licences

from . import workbench_data as data
from .forms import apply_error
from .views import is_htmx, stored_file_response
from .workbench_forms import (
    AcceptForm,
    CompleteForm,
    ExtensionDecideForm,
    ExtensionRequestForm,
    HandOverForm,
    InboxFilterForm,
    NotAcceptForm,
    PauseEndForm,
    PauseStartForm,
    RefundForm,
    ReturnForm,
    SupplementNoteForm,
    supplement_formset,
)

logger = structlog.get_logger(__name__)

SUPPLEMENT_ROWS = 3
SUPPLEMENT_ROWS_MAX = 30


# --- access -----------------------------------------------------------------------


def forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "403.html", {"message": message}, status=403)


def _may_import_licences(scope: StaffScope) -> bool:
    """The right the import page checks: some (licence type, issuing organisation)
    pair the user may issue for (a reviewer of that organisation)."""
    if not (scope.is_superuser or scope.reviewer_organisation_ids):
        return False
    user = get_user_model().objects.filter(pk=scope.user_id).first()
    return bool(user is not None and licences.import_choices(user))


def workbench_nav(scope: StaffScope) -> dict[str, bool | Callable[[], bool]]:
    """Which workbench sections the user's roles open. ``licence_imports`` is a
    callable (the template calls it) so that only a rendered page pays its
    queries."""
    handles_cases = bool(
        scope.reviewer_organisation_ids
        or scope.counter_organisation_ids
        or scope.service_point_organisation_ids
    )
    return {
        "cases": handles_cases,
        "counter": bool(
            scope.counter_organisation_ids or scope.service_point_organisation_ids
        ),
        "rectifications": bool(scope.reviewer_organisation_ids),
        "catalogue": scope.is_staff_member,
        "visits": bool(scope.counter_organisation_ids),
        # 电子印章: registering seals is for the organisations' department
        # editors (licences.seal_organisations' rule).
        "seals": bool(scope.is_superuser or scope.editor_organisation_ids),
        "licence_imports": partial(_may_import_licences, scope),
    }


def case_staff_required(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """Signed in (else the login page) and holding a case-handling role: reviewer,
    counter clerk or service-point clerk (else 403)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        scope = staff_scope(request.user)
        if not workbench_nav(scope)["cases"]:
            return forbidden(
                request, _("只有审批、窗口和代办工作人员可以使用办件工作台。")
            )
        return view(request, scope, *args, **kwargs)

    return never_cache(login_required(wrapper))


def base_context(scope: StaffScope, section: str) -> dict[str, Any]:
    return {"wb_nav": workbench_nav(scope), "wb_section": section}


# --- inbox ------------------------------------------------------------------------


@require_GET
@case_staff_required
def inbox(request: HttpRequest, scope: StaffScope) -> HttpResponse:
    form = InboxFilterForm(request.GET or None)
    valid = form.is_valid() if request.GET else True
    cleaned = form.cleaned_data if request.GET and valid else {}
    tab = cleaned.get("tab") or "open"
    filters = {
        "item": cleaned.get("item", ""),
        "status": cleaned.get("status", ""),
    }
    cursor = data.clean_cursor(request.GET.get("after"))
    # "加载更多" appends rows and the pager only: no tab counts, no acceptance queue
    more = is_htmx(request) and request.headers.get("HX-Target") == "wb-tasks"
    if valid:
        page = data.inbox_page(
            request.user,
            tab=tab,
            filters=filters,
            cursor=cursor,
            with_counts=not more,
        )
        tasks, next_cursor, counts = page.tasks, page.next_cursor, page.counts
    else:
        tasks, next_cursor, counts = [], "", {}
    params = {"tab": tab, **{k: v for k, v in filters.items() if v}}
    next_url = (
        f"{request.path}?" + urlencode({**params, "after": next_cursor})
        if next_cursor
        else ""
    )
    tabs = [
        {
            "key": key,
            "label": label,
            "count": counts.get(key, 0),
            "current": key == tab,
            "url": f"{request.path}?" + urlencode({**params, "tab": key}),
        }
        for key, label in InboxFilterForm.TABS
    ]
    acceptance, acceptance_count = (None, 0)
    if data.may_accept_any(scope) and not more:
        acceptance, acceptance_count = data.acceptance_queue(request.user, limit=20)
    context = {
        **base_context(scope, "cases"),
        "filter_form": form,
        "tab": tab,
        "tabs": tabs,
        "tasks": tasks,
        "filtered": any(filters.values()),
        "next_url": next_url,
        "is_later_page": cursor is not None,
        "first_url": f"{request.path}?" + urlencode(params),
        "empty_text": data.EMPTY_TEXT[tab],
        "show_tasks": bool(scope.reviewer_organisation_ids),
        "acceptance": acceptance,
        "acceptance_count": acceptance_count,
        "today": timezone.localdate(),
    }
    if more:
        return render(
            request, "portal/workbench/inbox.html#more", {**context, "oob": True}
        )
    return render(
        request, "portal/workbench/inbox.html", context, status=200 if valid else 400
    )


# --- one case -----------------------------------------------------------------------


def _case_or_404(request: HttpRequest, pk: int) -> Any:
    case = data.case_for_staff(request.user, pk)
    if case is None:
        raise Http404(_("没有这个办件，或您无权查看。"))
    return case


def _render_case(
    request: HttpRequest,
    scope: StaffScope,
    case: Any,
    *,
    status: int = 200,
    open_action: str = "",
    forms: dict[str, Any] | None = None,
) -> HttpResponse:
    forms = forms or {}
    listing = data.listing_of(case)
    can = data.case_actions(request.user, scope, case)
    material_names = [m.name for m in listing.guide.materials] if listing else []
    rows_wanted = data.clamp_int(
        request.GET.get("supplement_rows"), SUPPLEMENT_ROWS, 1, SUPPLEMENT_ROWS_MAX
    )
    supplement_rows = forms.get("supplement") or supplement_formset(
        rows=rows_wanted, materials=material_names
    )
    task_rows = []
    for task in data.case_tasks(case):
        actions = data.task_actions(request.user, scope, task) if case else set()
        row = {
            "task": task,
            "actions": actions,
            "assignee_name": data.user_name(task.assignee) if task.assignee_id else "",
            "organisation_name": task.organisation.name
            if task.organisation_id != case.organisation_id
            else "",
            "complete_key": f"complete-{task.pk}",
            "hand_over_key": f"hand_over-{task.pk}",
            "return_key": f"return-{task.pk}",
        }
        if "complete" in actions:
            row["complete_form"] = forms.get(row["complete_key"]) or CompleteForm(
                prefix=f"t{task.pk}"
            )
        if "hand_over" in actions:
            row["hand_over_form"] = forms.get(row["hand_over_key"]) or HandOverForm(
                prefix=f"t{task.pk}",
                colleagues=data.colleagues(request.user, task),
            )
        if "return" in actions:
            row["return_form"] = forms.get(row["return_key"]) or ReturnForm(
                prefix=f"t{task.pk}"
            )
        task_rows.append(row)
    extension_rows = [
        {
            "extension": extension,
            "form": (
                forms.get(f"decide-{extension.pk}")
                or ExtensionDecideForm(prefix=f"e{extension.pk}")
            )
            if data.may_decide_extension(request.user, scope, case, extension)
            else None,
        }
        for extension in case.extensions.all()
    ]
    pauses = list(case.pauses.all())
    context = {
        **base_context(scope, "cases"),
        "case": case,
        "can": can,
        "any_action": any(can.values()) or any(row["actions"] for row in task_rows),
        "open_action": open_action,
        "accept_form": forms.get("accept") or AcceptForm(),
        "supplement_formset": supplement_rows,
        "supplement_more_rows": min(
            max(rows_wanted, supplement_rows.total_form_count()) + 3,
            SUPPLEMENT_ROWS_MAX,
        ),
        "supplement_note_form": forms.get("supplement_note") or SupplementNoteForm(),
        "refuse_form": forms.get("refuse") or NotAcceptForm(),
        "pause_form": forms.get("pause") or PauseStartForm(),
        "pause_end_form": forms.get("pause_end") or PauseEndForm(),
        "extension_form": forms.get("extend") or ExtensionRequestForm(),
        "refund_form": forms.get("refund") or RefundForm(),
        "task_rows": task_rows,
        "extension_rows": extension_rows,
        "pauses": pauses,
        "open_pause": next((p for p in pauses if p.ended_on is None), None),
        "special_procedures": [p.name for p in listing.guide.special_procedures]
        if listing
        else [],
        "form_rows": data.form_rows(case),
        "materials": list(case.materials.select_related("file")),
        # one verification per licence handed in (免于提交), not one per access
        "licence_checks": licence_checks(case),
        "missing_materials": data.missing_materials(case, listing),
        "supplements": list(case.supplements.all()),
        "timeline": data.timeline(case),
        "payments": data.payment_rows(case),
        "masked_mobile": data.masked_mobile(case),
        "submitted_by_name": data.user_name(case.submitted_by)
        if case.submitted_by_id and case.submitted_by_id != case.applicant_id
        else "",
        "handling_item_name": data.handling_item_name(case, listing),
    }
    return render(request, "portal/workbench/case.html", context, status=status)


@require_GET
@case_staff_required
def case_detail(request: HttpRequest, scope: StaffScope, pk: int) -> HttpResponse:
    return _render_case(request, scope, _case_or_404(request, pk))


def _back_to_case(case: Any, anchor: str = "") -> HttpResponse:
    return redirect(reverse("portal:wb_case", args=[case.pk]) + anchor)


def _run(
    request: HttpRequest,
    scope: StaffScope,
    case: Any,
    *,
    key: str,
    form: Any,
    call: Callable[[], Any],
    done: str,
    forms: dict[str, Any] | None = None,
) -> HttpResponse:
    """Validate ``form``, call the service, and either go back to the case with
    ``done`` or show the case again with the errors on the form (nothing changed)."""
    forms = {key: form, **(forms or {})}
    if not all(f.is_valid() for f in forms.values()):
        return _render_case(
            request, scope, case, status=400, open_action=key, forms=forms
        )
    try:
        call()
    except DomainError as error:
        if error.status == 404:
            raise Http404(error.message) from error
        if error.status == 403:
            return forbidden(request, error.message)
        apply_error(form, error)
        logger.info("workbench_action_refused", case_id=case.pk, code=error.code)
        fresh = data.case_for_staff(request.user, case.pk) or case
        return _render_case(
            request,
            scope,
            fresh,
            status=409 if error.status == 409 else 400,
            open_action=key,
            forms=forms,
        )
    messages.success(request, done)
    return _back_to_case(case)


@require_POST
@case_staff_required
def case_accept(request: HttpRequest, scope: StaffScope, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    form = AcceptForm(request.POST)
    return _run(
        request,
        scope,
        case,
        key="accept",
        form=form,
        call=lambda: services.case_accept(
            case_id=case.pk,
            acting_user=request.user,
            opinion=form.cleaned_data["opinion"],
        ),
        done=_("已受理。"),
    )


@require_POST
@case_staff_required
def case_supplement(request: HttpRequest, scope: StaffScope, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    listing = data.listing_of(case)
    names = [m.name for m in listing.guide.materials] if listing else []
    formset = supplement_formset(request.POST, materials=names)
    note = SupplementNoteForm(request.POST)

    def call() -> Any:
        return services.case_request_supplement(
            case_id=case.pk,
            acting_user=request.user,
            items=formset.items(),
            note=note.cleaned_data["note"],
        )

    return _run(
        request,
        scope,
        case,
        key="supplement",
        form=formset,
        forms={"supplement_note": note},
        call=call,
        done=_("已一次性告知申请人补正。"),
    )


@require_POST
@case_staff_required
def case_refuse(request: HttpRequest, scope: StaffScope, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    form = NotAcceptForm(request.POST)
    return _run(
        request,
        scope,
        case,
        key="refuse",
        form=form,
        call=lambda: services.case_not_accept(
            case_id=case.pk,
            acting_user=request.user,
            reason=form.cleaned_data["reason"],
            legal_basis=form.cleaned_data["legal_basis"],
        ),
        done=_("已作出不予受理决定。"),
    )


# --- tasks ---------------------------------------------------------------------------


def _task_or_404(request: HttpRequest, pk: int) -> tuple[Any, Any]:
    task = data.task_for_staff(request.user, pk)
    if task is None:
        raise Http404(_("没有这个任务，或您无权查看。"))
    return task, task.case


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@require_POST
@case_staff_required
def task_claim(request: HttpRequest, scope: StaffScope, pk: int) -> HttpResponse:
    task, case = _task_or_404(request, pk)
    case_url = reverse("portal:wb_case", args=[case.pk])
    try:
        workbench.task_claim(task_id=task.pk, acting_user=request.user)
    except DomainError as error:
        if error.status == 404:
            raise Http404(error.message) from error
        if error.status == 403:
            return forbidden(request, error.message)
        messages.error(request, error.message)
        return redirect(_safe_next(request, case_url))
    messages.success(request, _("已认领“%(name)s”。") % {"name": task.name})
    return redirect(case_url)


@require_POST
@case_staff_required
def task_hand_over(request: HttpRequest, scope: StaffScope, pk: int) -> HttpResponse:
    task, case = _task_or_404(request, pk)
    form = HandOverForm(
        request.POST,
        prefix=f"t{task.pk}",
        colleagues=data.colleagues(request.user, task),
    )
    return _run(
        request,
        scope,
        case,
        key=f"hand_over-{task.pk}",
        form=form,
        call=lambda: workbench.task_hand_over(
            task_id=task.pk,
            acting_user=request.user,
            to_user_id=form.cleaned_data["to_user"],
        ),
        done=_("已转交。"),
    )


@require_POST
@case_staff_required
def task_return(request: HttpRequest, scope: StaffScope, pk: int) -> HttpResponse:
    task, case = _task_or_404(request, pk)
    form = ReturnForm(request.POST, prefix=f"t{task.pk}")
    return _run(
        request,
        scope,
        case,
        key=f"return-{task.pk}",
        form=form,
        call=lambda: workbench.task_return(
            task_id=task.pk,
            acting_user=request.user,
            reason=form.cleaned_data["reason"],
        ),
        done=_("已退回。"),
    )


@require_POST
@case_staff_required
def task_complete(request: HttpRequest, scope: StaffScope, pk: int) -> HttpResponse:
    task, case = _task_or_404(request, pk)
    form = CompleteForm(request.POST, prefix=f"t{task.pk}")
    return _run(
        request,
        scope,
        case,
        key=f"complete-{task.pk}",
        form=form,
        call=lambda: workbench.task_complete(
            task_id=task.pk,
            acting_user=request.user,
            outcome=form.cleaned_data["outcome"],
            opinion=form.cleaned_data["opinion"],
        ),
        done=_("已提交办理结果。"),
    )


# --- clock: special procedures and extensions ------------------------------------------


@require_POST
@case_staff_required
def pause_start(request: HttpRequest, scope: StaffScope, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    form = PauseStartForm(request.POST)
    return _run(
        request,
        scope,
        case,
        key="pause",
        form=form,
        call=lambda: services.pause_start(
            case_id=case.pk,
            acting_user=request.user,
            name=form.cleaned_data["name"],
            reason=form.cleaned_data["reason"],
        ),
        done=_("特别程序已开始，办理时限暂停计算。"),
    )


@require_POST
@case_staff_required
def pause_end(request: HttpRequest, scope: StaffScope, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    form = PauseEndForm(request.POST)
    return _run(
        request,
        scope,
        case,
        key="pause_end",
        form=form,
        call=lambda: services.pause_end(
            case_id=case.pk,
            acting_user=request.user,
            result=form.cleaned_data["result"],
        ),
        done=_("特别程序已结束，办理时限恢复计算。"),
    )


@require_POST
@case_staff_required
def extension_request(request: HttpRequest, scope: StaffScope, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    form = ExtensionRequestForm(request.POST)
    return _run(
        request,
        scope,
        case,
        key="extend",
        form=form,
        call=lambda: services.extension_request(
            case_id=case.pk,
            acting_user=request.user,
            days=form.cleaned_data["days"],
            reason=form.cleaned_data["reason"],
        ),
        done=_("延期申请已提交，待负责人审批。"),
    )


@require_POST
@case_staff_required
def extension_decide(
    request: HttpRequest, scope: StaffScope, pk: int, extension_pk: int
) -> HttpResponse:
    case = _case_or_404(request, pk)
    extension = case.extensions.filter(pk=extension_pk).first()
    if extension is None:
        raise Http404(_("没有这个延期申请。"))
    form = ExtensionDecideForm(request.POST, prefix=f"e{extension.pk}")
    return _run(
        request,
        scope,
        case,
        key=f"decide-{extension.pk}",
        form=form,
        call=lambda: services.extension_decide(
            extension_id=extension.pk,
            acting_user=request.user,
            approve=form.cleaned_data["decision"] == "approve",
        ),
        done=_("延期申请已审批。"),
    )


@require_POST
@case_staff_required
def refund(request: HttpRequest, scope: StaffScope, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    form = RefundForm(request.POST)
    return _run(
        request,
        scope,
        case,
        key="refund",
        form=form,
        call=lambda: data.refund_case(
            case=case, acting_user=request.user, reason=form.cleaned_data["reason"]
        ),
        done=_("退款已提交。"),
    )


# --- files ---------------------------------------------------------------------------


@require_GET
@case_staff_required
def material_download(
    request: HttpRequest, scope: StaffScope, pk: int, material_pk: int
) -> HttpResponse:
    case = _case_or_404(request, pk)
    material = case.materials.filter(pk=material_pk).first()
    if material is None:
        raise Http404(_("没有这份材料。"))
    stored = data.file_for_staff(request.user, material.file_id)
    if stored is None:
        raise Http404(_("没有这份材料。"))
    return stored_file_response(stored)
