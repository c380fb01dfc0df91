"""What the applicant's case pages read and the small forms they post, in one place:
the case (through the one access rule), my-cases pages, the progress page's
context, materials to reuse, the files of a case, and the adapters to the cases
services (lifecycle, delivery, rating)."""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengwu.cases import (
    delivery,
    files,
    notify,
    payments,
    ratings,
    selectors,
    services,
)
from zhengwu.cases import forms as case_forms
from zhengwu.cases.constants import (
    FINISHED_STATUSES,
    OPEN_STATUSES,
    TRANSITIONS,
    CaseStatus,
    DeadlineState,
    PaymentStatus,
    RectificationStatus,
)
from zhengwu.cases.errors import CaseError
from zhengwu.cases.files import upload_max_bytes
from zhengwu.cases.licences import wallet_licence_ids
from zhengwu.cases.models import (
    Case,
    CaseMaterial,
    RectificationOrder,
    SupplementRequest,
)
from zhengwu.catalog.facade import listing_for_application
from zhengwu.core.errors import DomainError
from zhengwu.identity.facade import acting_for_request, person_label_for_user

from .case_views_form import FIELD_PREFIX
from .views import stored_file_response

__all__ = [
    "CaseError",
    "CaseStatus",
    "listing_for_application",
    "services",
]

PAGE_SIZE = 20


# --- rendering ----------------------------------------------------------------------


def render_page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
) -> HttpResponse:
    """A case page with the unread-message count its sub-navigation shows."""
    context.setdefault("unread_count", notify.notification_unread_count(request.user))
    return render(request, template, context, status=status)


# --- the case, through the one access rule ----------------------------------------


def case_or_404(request: HttpRequest, pk: int) -> Case:
    """One of the applicant side's own cases (staff who handle it use the
    workbench); every other id is a 404."""
    case = (
        selectors.own_cases(request.user, acting=acting_for_request(request))
        .select_related("organisation", "division")
        .filter(pk=pk)
        .first()
    )
    if case is None:
        raise Http404(_("办件不存在。"))
    return case


# --- the form ----------------------------------------------------------------------


def _principal_label(user: Any, acting: Any) -> str:
    return acting.principal_label if acting is not None else person_label_for_user(user)


def _known_values(
    user: Any, acting: Any, listing_code: str, schema: dict[str, Any]
) -> dict[str, Any]:
    principal_label = _principal_label(user, acting)
    return case_forms.prefill(
        schema=schema,
        user=user,
        principal_label=principal_label,
        earlier=selectors.latest_submission_values(
            listing_code=listing_code, principal_label=principal_label
        ),
    )


def prefill(
    user: Any, acting: Any, listing: Any, schema: dict[str, Any]
) -> tuple[dict[str, Any], set[str]]:
    """Values the platform already knows (少填免填) and the names it filled."""
    values = _known_values(user, acting, listing.code, schema)
    return dict(values), {k for k, v in values.items() if v not in (None, "")}


def prefilled_names(
    user: Any,
    acting: Any,
    listing_code: str,
    schema: dict[str, Any],
    values: dict[str, Any],
) -> set[str]:
    """Fields (of a saved draft or a refused form) that still hold what the
    platform filled in."""
    known = _known_values(user, acting, listing_code, schema)
    return {k for k, v in known.items() if v not in (None, "") and values.get(k) == v}


def data_from_post(schema: dict[str, Any], post: Any) -> dict[str, Any]:
    posted = {
        name: (post.get(f"{FIELD_PREFIX}{name}") or "").replace("\x00", "").strip()
        for name in (schema.get("properties") or {})
    }
    data = case_forms.coerce_posted(schema, posted)
    # "1e999" parses as infinity, which no JSON column takes: keep the text so the
    # validation names the field instead.
    return {
        name: posted[name]
        if isinstance(value, float) and not math.isfinite(value)
        else value
        for name, value in data.items()
    }


def validate(
    schema: dict[str, Any], values: dict[str, Any], *, partial: bool
) -> dict[str, list[str]]:
    """Field → Chinese reasons (empty when valid). A draft may leave required fields
    empty but what it has must still be well formed."""
    if partial:
        schema = {k: v for k, v in schema.items() if k != "required"}
    try:
        case_forms.validate_form(schema, values)
    except DomainError as error:
        return {str(k): [str(m) for m in v] for k, v in error.fields.items()}
    return {}


def field_errors(error: DomainError, prefix: str = "") -> dict[str, list[str]]:
    """A refusal's field reasons, keyed as the page's fields are."""
    result: dict[str, list[str]] = {}
    for name, reasons in (error.fields or {}).items():
        key = name
        if name.startswith("form_data."):
            key = name.removeprefix("form_data.")
        result.setdefault(key, []).extend(str(r) for r in reasons)
    if not result:
        result["__all__"] = [error.message]
    return result


def material_errors(error: DomainError, listing: Any) -> dict[str, list[str]]:
    """Reasons about materials placed at their material's upload field."""
    result = field_errors(error)
    names = {m.name: index for index, m in enumerate(listing.guide.materials)}
    missing = error.context.get("missing") or (error.fields or {}).get("materials")
    if missing:
        result.pop("materials", None)
        for name in missing:
            if name in names:
                result.setdefault(f"material-{names[name]}", []).append(
                    _("请上传该材料。")
                )
        result.setdefault("__all__", [error.message])
    return result


def read_upload(upload: Any) -> bytes:
    """At most one byte past the limit: the service refuses what is too large."""
    return upload.read(upload_max_bytes() + 1)


def attached_materials(case: Case) -> dict[str, list[CaseMaterial]]:
    result: dict[str, list[CaseMaterial]] = {}
    for material in case.materials.select_related("file"):
        result.setdefault(material.material_name, []).append(material)
    return result


def material_licence_use(**kwargs: Any) -> Any:
    from zhengwu.cases.licences import material_licence_use as use

    return use(**kwargs)


def offered_licences(
    user: Any, *, acting: Any, listing: Any, handling_item_code: str, case: Any
) -> dict[str, list[tuple[str, str]]]:
    """The principal's valid electronic licences that may replace a material, by
    material name: (identifier, "type name（issuer，有效期至 …）")."""
    from zhengwu.cases.licences import offered_licences as offered

    label = case.principal_label if case is not None else _principal_label(user, acting)
    result: dict[str, list[tuple[str, str]]] = {}
    for name, summaries in offered(
        listing_code=listing.code,
        principal_label=label,
        handling_item_code=handling_item_code,
    ).items():
        result[name] = [
            (
                s.identifier,
                _("%(type)s（%(issuer)s，%(until)s）")
                % {
                    "type": s.type_name,
                    "issuer": s.issuer_name,
                    "until": (
                        _("有效期至 %(day)s") % {"day": s.valid_until.isoformat()}
                        if s.valid_until
                        else _("长期有效")
                    ),
                },
            )
            for s in summaries
        ]
    return result


def reusable_materials(
    user: Any, *, acting: Any, exclude_case: Case | None
) -> dict[str, list[tuple[str, str]]]:
    """Files handed in for the principal's earlier submitted cases, by material name:
    (material pk, "file name（办件编号）")."""
    rows = selectors.reusable_materials(
        user, acting=acting, principal_label=_principal_label(user, acting)
    )
    if exclude_case is not None:
        rows = rows.exclude(case=exclude_case)
    rows = rows[:200]
    result: dict[str, list[tuple[str, str]]] = {}
    seen: set[tuple[str, str]] = set()
    for row in rows:
        if (row.material_name, row.file.sm3) in seen:
            continue
        seen.add((row.material_name, row.file.sm3))
        result.setdefault(row.material_name, []).append(
            (
                str(row.pk),
                _("%(name)s（办件 %(number)s，%(date)s）")
                % {
                    "name": row.file.original_name,
                    "number": row.case.number,
                    "date": timezone.localdate(row.created_at).isoformat(),
                },
            )
        )
    return result


# --- my cases ----------------------------------------------------------------------


@dataclass(frozen=True)
class MyCasesPage:
    drafts: list[Case]
    cases: list[Case]
    next_cursor: int | None
    intakes: list[selectors.OpenIntake] = field(default_factory=list)


def my_cases_page(user: Any, *, acting: Any, after: str | None) -> MyCasesPage:
    base = selectors.own_cases(user, acting=acting)
    drafts = list(base.filter(status=CaseStatus.DRAFT).order_by("-pk")[:50])
    queryset = base.exclude(status=CaseStatus.DRAFT).order_by("-pk")
    cursor = int(after) if after and after.isdigit() and len(after) <= 18 else None
    if cursor is not None:
        queryset = queryset.filter(pk__lt=cursor)
    rows = list(queryset[: PAGE_SIZE + 1])
    next_cursor = rows[PAGE_SIZE - 1].pk if len(rows) > PAGE_SIZE else None
    return MyCasesPage(
        drafts=drafts if cursor is None else [],
        cases=rows[:PAGE_SIZE],
        next_cursor=next_cursor,
        # the account's own applications sent asynchronously that have no case yet;
        # not on a principal's page while acting (an intake names no principal
        # outside its encrypted form, so it cannot be told whose it is)
        intakes=(
            selectors.own_open_intakes(user)
            if cursor is None and acting is None
            else []
        ),
    )


# --- the progress page -------------------------------------------------------------

STEP_LABELS = [
    ("submit", gettext_lazy("提交申请")),
    ("accept", gettext_lazy("受理")),
    ("handle", gettext_lazy("办理")),
    ("finish", gettext_lazy("办结")),
]


def progress_steps(case: Case) -> list[dict[str, Any]]:
    """The four steps with done / current / stopped (not accepted, withdrawn)."""
    position = {
        CaseStatus.DRAFT: 0,
        CaseStatus.SUBMITTED: 1,
        CaseStatus.SUPPLEMENT_REQUESTED: 1,
        CaseStatus.ACCEPTED: 2,
        CaseStatus.APPROVED: 4,
        CaseStatus.DENIED: 4,
    }
    stopped_at = None
    if case.status == CaseStatus.NOT_ACCEPTED:
        stopped_at = 1
    elif case.status == CaseStatus.WITHDRAWN:
        stopped_at = 2 if case.accepted_at else 1
    current = stopped_at if stopped_at is not None else position.get(case.status, 0)
    steps = []
    for index, (code, label) in enumerate(STEP_LABELS):
        if index < current:
            state = "done"
        elif index == current:
            state = "stopped" if stopped_at is not None else "current"
        else:
            state = ""
        steps.append({"code": code, "label": label, "state": state})
    return steps


def deadline_badge(case: Case) -> str:
    return {
        DeadlineState.WARNING: "badge-submitted",
        DeadlineState.OVERDUE: "badge-problem",
        DeadlineState.PAUSED: "badge-draft",
        DeadlineState.NORMAL: "badge-published",
    }.get(case.deadline_state, "badge-draft")


def open_supplement(case: Case) -> SupplementRequest | None:
    if case.status != CaseStatus.SUPPLEMENT_REQUESTED:
        return None
    return case.supplements.filter(answered_at__isnull=True).order_by("-pk").first()


def supplement_material_names(case: Case, listing: Any) -> list[str]:
    """The materials the open supplement request names (else every material of the
    guide), in a stable order: the upload fields of the supplement form."""
    request = open_supplement(case)
    names: list[str] = []
    if request is not None:
        for item in request.items or []:
            name = str(item.get("material") or "") if isinstance(item, dict) else ""
            if name and name not in names:
                names.append(name)
    if not names and listing is not None:
        names = [m.name for m in listing.guide.materials]
    if not names:
        names = [_("补正材料")]
    return names


class DeliveryForm(forms.Form):
    method = forms.ChoiceField(
        label=gettext_lazy("结果送达方式"),
        choices=[
            ("online", gettext_lazy("网上下载")),
            ("pickup", gettext_lazy("窗口领取")),
            ("express", gettext_lazy("邮寄送达")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("请选择送达方式。")},
    )

    def __init__(self, *args: Any, supports_express: bool = True, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if not supports_express:
            self.fields["method"].choices = [
                c for c in self.fields["method"].choices if c[0] != "express"
            ]

    recipient_name = forms.CharField(
        label=gettext_lazy("收件人"), max_length=50, required=False
    )
    recipient_mobile = forms.CharField(
        label=gettext_lazy("收件人手机号码"), max_length=11, required=False
    )
    address = forms.CharField(
        label=gettext_lazy("收件地址"),
        max_length=200,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("method") == "express":
            if not data.get("recipient_name"):
                self.add_error("recipient_name", _("请填写收件人。"))
            mobile = data.get("recipient_mobile") or ""
            if not (len(mobile) == 11 and mobile.isdigit() and mobile[0] == "1"):
                self.add_error("recipient_mobile", _("请填写11位手机号码。"))
            if not data.get("address"):
                self.add_error("address", _("请填写收件地址。"))
        return data


RATING_LEVELS = [(str(level), label) for level, label in ratings.LEVELS.items()]


class RatingForm(forms.Form):
    """好差评: five levels and the indicators of the case's channel (网上 or 现场)."""

    level = forms.TypedChoiceField(
        label=gettext_lazy("总体评价"),
        choices=RATING_LEVELS,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("请选择评价等级。")},
    )
    indicators = forms.MultipleChoiceField(
        label=gettext_lazy("您的评价涉及哪些方面"),
        choices=[],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("可多选。"),
    )
    comment = forms.CharField(
        label=gettext_lazy("评价内容"),
        max_length=ratings.COMMENT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("评价为“不满意”或“非常不满意”时必须填写原因。"),
    )
    follow_up = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["indicators"].choices = [
            (code, label)
            for code, label in ratings.indicators_for(case).items()
            if code != "overall"
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        level = data.get("level")
        comment = (data.get("comment") or "").strip()
        if level is not None and level <= ratings.BAD_LEVEL_MAX and not comment:
            self.add_error("comment", _("选择“不满意”或“非常不满意”时请填写评价内容。"))
        return data


def choose_delivery(request: HttpRequest, case: Case, data: dict[str, Any]) -> None:
    delivery.delivery_choose(
        user=request.user,
        acting=acting_for_request(request),
        case_id=case.pk,
        method=data["method"],
        recipient_name=data.get("recipient_name") or "",
        recipient_mobile=data.get("recipient_mobile") or "",
        address=data.get("address") or "",
    )


def rate(request: HttpRequest, case: Case, data: dict[str, Any]) -> None:
    ratings.rating_create(
        user=request.user,
        acting=acting_for_request(request),
        case_id=case.pk,
        level=data["level"],
        indicators=list(data.get("indicators") or []),
        comment=(data.get("comment") or "").strip(),
        is_follow_up=bool(data.get("follow_up")),
    )


def timeline_row(entry: Any) -> dict[str, Any]:
    data = entry.data or {}
    note = next(
        (
            str(data[key])
            for key in ("opinion", "reason", "note", "result")
            if isinstance(data.get(key), str) and data.get(key)
        ),
        "",
    )
    return {"at": entry.occurred_at, "label": entry.label, "note": note[:300]}


def _payment_row(order: Any) -> Any:
    order.amount_yuan = f"{order.amount_fen / 100:.2f}"
    order.pay_url = cashier_url(order) if order.status == PaymentStatus.UNPAID else ""
    return order


def cashier_url(order: Any) -> str:
    """The local cashier page of an unpaid order (the payment provider's page)."""
    return str(payments.payment_url(order))


def case_page_context(
    request: HttpRequest,
    case: Case,
    *,
    supplement_errors: dict[str, list[str]] | None = None,
    delivery_form: DeliveryForm | None = None,
    rating_form: RatingForm | None = None,
) -> dict[str, Any]:
    listing = listing_for_application(case.listing_code)
    guide = listing.guide if listing is not None else None
    case_ratings = list(case.ratings.all())
    first_rating = next((r for r in case_ratings if not r.is_follow_up), None)
    follow_up = next((r for r in case_ratings if r.is_follow_up), None)
    rectification = (
        RectificationOrder.objects.filter(rating=first_rating).first()
        if first_rating is not None
        else None
    )
    finished = case.status in FINISHED_STATUSES
    supplement = open_supplement(case)
    payments = [_payment_row(order) for order in case.payments.all()]
    materials = list(case.materials.select_related("file"))
    shipments = delivery.shipments_for_case(case)
    supports_express = bool(guide and guide.supports_express)
    return {
        "case": case,
        "listing": listing,
        "steps": progress_steps(case),
        "deadline_badge": deadline_badge(case),
        "timeline": [timeline_row(entry) for entry in selectors.case_timeline(case)],
        "supplement": supplement,
        "supplement_fields": [
            {
                "index": index,
                "name": name,
                "errors": (supplement_errors or {}).get(f"supplement-{index}", []),
            }
            for index, name in enumerate(supplement_material_names(case, listing))
        ]
        if supplement
        else [],
        "supplement_errors": supplement_errors or {},
        "supplement_general": (supplement_errors or {}).get("__all__", []),
        "materials": materials,
        # links to 我的证照 for the licences issued on it or handed in with it
        "wallet_ids": wallet_licence_ids(case),
        "payments": payments,
        "unpaid": [p for p in payments if p.status == PaymentStatus.UNPAID],
        "shipments": [s for s in shipments if s.tracking_number],
        "pending_shipment": next((s for s in shipments if not s.tracking_number), None),
        "supports_express": supports_express,
        "can_choose_delivery": case.status in (*OPEN_STATUSES, CaseStatus.APPROVED)
        and not any(s.tracking_number for s in shipments),
        "delivery_form": delivery_form
        or DeliveryForm(
            initial={"method": case.result_delivery},
            supports_express=supports_express,
        ),
        "can_withdraw": CaseStatus.WITHDRAWN in TRANSITIONS.get(case.status, ()),
        "finished": finished,
        "rating": first_rating,
        "follow_up_rating": follow_up,
        "rectification": rectification,
        "can_rate": finished and first_rating is None,
        "can_rate_follow_up": rectification is not None
        and rectification.status == RectificationStatus.RESPONDED
        and follow_up is None,
        "rating_form": rating_form or RatingForm(case=case),
        "rating_levels": dict(RATING_LEVELS),
        "indicator_labels": ratings.indicators_for(case),
        "acting": acting_for_request(request),
        "today": timezone.localdate(),
    }


# --- files -------------------------------------------------------------------------


def file_response(
    request: HttpRequest, case: Case, file_pk: Any
) -> FileResponse | None:
    """A file of ``case`` (a material or the result document), audited; None when
    the id is not one of this case's files."""
    belongs = (
        case.result_document_id == file_pk
        or case.materials.filter(file_id=file_pk).exists()
    )
    if not belongs:
        return None
    try:
        stored = files.file_for_user(
            request.user, file_pk, acting=acting_for_request(request)
        )
    except DomainError:
        return None
    return stored_file_response(stored)


def days_left(due_on: datetime.date | None) -> int | None:
    if due_on is None:
        return None
    return (due_on - timezone.localdate()).days
