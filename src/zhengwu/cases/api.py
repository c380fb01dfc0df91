"""/api/v1/cases/: applying, following and answering a case (applicants), and the
workbench, transitions and handling configuration (staff), for mobile apps and the
business systems of departments.

Every handler parses, authorises, calls one service or selector and presents the
result. Authorisation has one rule: ``selectors.cases_for_user`` (the applicant and
whom they act for; staff by organisation, role and data scope). A case the caller may
not see does not exist (404), whatever its id; staff operations first ask for a staff
role (403 for an applicant), then for the case (404), then the service checks the
role the transition needs."""

import re
import uuid
from typing import Annotated, Any
from urllib.parse import quote

from django.db import transaction
from django.db.models import Prefetch, Q
from django.http import FileResponse, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

import structlog
from ninja import File, Form, Path, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.security import SessionAuth

from zhengwu.catalog.facade import listing_for_application
from zhengwu.core.crypto import mask_mobile, mask_name
from zhengwu.core.errors import DomainError, NotFoundError, PermissionDeniedError
from zhengwu.core.schemas import ERRORS, MAX_KEY
from zhengwu.identity.facade import (
    acting_for_request,
    bearer_auth,
    person_label_for_user,
    staff_scope,
)
from zhengwu.workflows import facade as workflows_facade

from . import (
    delivery,
    files,
    forms,
    notify,
    payments,
    ratings,
    selectors,
    services,
    webhooks,
    workbench,
)
from . import intake as intake_service
from .constants import CaseStatus, IntakeStatus
from .models import (
    Case,
    CaseBundle,
    CaseIntake,
    CaseMaterial,
    CaseTask,
    Extension,
    Notification,
    PaymentOrder,
    Rating,
    RectificationOrder,
    Shipment,
    StoredFile,
    WebhookSubscription,
)
from .schemas import (
    SUBMISSION_KEY_PATTERN,
    AcceptIn,
    BundleApplyIn,
    BundleOut,
    CaseApplyIn,
    CaseOut,
    CasePageIn,
    CasePageOut,
    CounterCaseIn,
    DefinitionOut,
    DeliveryIn,
    DraftIn,
    DraftUpdateIn,
    ExtensionDecideIn,
    ExtensionIn,
    ExtensionOut,
    FormSpecOut,
    HandlingConfigIn,
    HandlingConfigOut,
    HandOverIn,
    IntakeOut,
    MaterialOut,
    MaterialReuseIn,
    MessagePageIn,
    MessagePageOut,
    NotAcceptIn,
    PauseEndIn,
    PauseStartIn,
    PaymentDueOut,
    PickupIn,
    RatingIn,
    RatingOut,
    RectificationCallbackIn,
    RectificationFiltersIn,
    RectificationOut,
    RectificationPageOut,
    RectificationRespondIn,
    ShipmentIn,
    SubmitIn,
    SupplementIn,
    SupplementRequestIn,
    TaskCompleteIn,
    TaskFiltersIn,
    TaskOut,
    TaskPageOut,
    TaskReturnIn,
    TimelineEntryOut,
    WebhookIn,
    WebhookOut,
)

logger = structlog.get_logger(__name__)

router = Router(tags=["cases"])

# Applicants and staff alike: an OIDC access token (scope ``api``) first (an invalid
# one is 401 at once), else the page session with CSRF checked on unsafe methods —
# the same pair as ``catalog.auth.staff_auth``, built from identity's facade because
# cases reach the catalogue only through ``catalog.facade``.
case_auth = [bearer_auth, SessionAuth(csrf=True)]

CaseId = Annotated[int, Path(ge=1, le=MAX_KEY)]
ObjectId = Annotated[int, Path(ge=1, le=MAX_KEY)]
ListingCode = Annotated[str, Path(pattern=r"^[0-9A-Z]{31}$")]
BundleCode = Annotated[str, Path(pattern=r"^[-a-zA-Z0-9_]{1,50}$")]
IntakeKey = Annotated[str, Path(pattern=SUBMISSION_KEY_PATTERN)]

IDEMPOTENCY_HEADER = "Idempotency-Key"
_SUBMISSION_KEY = re.compile(SUBMISSION_KEY_PATTERN)
MATERIAL_NAME_MAX = 200
MODEL_MAX_BYTES = 1_000_000
# What of an audit record's data the applicant side sees on the timeline.
APPLICANT_DETAIL_KEYS = {"number", "channel", "method", "level"}
MATERIAL_FIELDS = {
    "name",
    "material_type",
    "necessity",
    "originals",
    "copies",
    "form",
    "fill_instructions",
    "handling_items",
}


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# --- helpers -------------------------------------------------------------------------


def _clean_filename(name: str | None) -> str:
    return files.clean_name(name or "")


def _read_upload(upload: UploadedFile) -> bytes:
    """The upload's bytes, reading at most one byte past the limit (the service
    refuses a file over it with a 413 naming the field)."""
    return upload.read(files.upload_max_bytes() + 1)


def _material_with_file(material: CaseMaterial) -> CaseMaterial:
    return CaseMaterial.objects.select_related("file").get(pk=material.pk)


def _timeline_entry(entry: Any, *, own_label: str | None) -> dict[str, Any]:
    """One step. ``own_label`` is the applicant side's own actor label: applicants
    see "本人", "工作人员" or the system, and no internal details (staff notes,
    colleagues' ids); staff (``own_label`` None) see everything."""
    actor = str(entry.actor or "")
    detail = dict(entry.data or {})
    if own_label is not None:
        if actor == own_label:
            actor = _("本人")
        elif actor.startswith("system:"):
            actor = _("系统")
        elif not actor.startswith(_("系统")):
            actor = _("工作人员")
        detail = {k: v for k, v in detail.items() if k in APPLICANT_DETAIL_KEYS}
    return {
        "occurred_at": entry.occurred_at,
        "event": entry.event,
        "label": str(entry.label),
        "actor": actor,
        "on_behalf_of": str(entry.on_behalf_of or ""),
        "detail": detail,
    }


def _binary_response(description: str) -> dict[str, Any]:
    return {
        "responses": {
            200: {
                "description": description,
                "content": {
                    "application/octet-stream": {
                        "schema": {"type": "string", "format": "binary"}
                    }
                },
            }
        }
    }


def _field_error(code: str, field: str, message: str, status: int = 422) -> DomainError:
    return DomainError(code, message, fields={field: [message]}, status=status)


def _not_found(message: str | None = None) -> NotFoundError:
    return NotFoundError("cases.not_found", message or _("办件不存在。"))


def _case(request: HttpRequest, case_id: int) -> Case:
    """The case if the caller may see it (the one access rule), else 404."""
    return selectors.case_for_user(
        request.auth, case_id, acting=acting_for_request(request)
    )


def _require_staff(request: HttpRequest) -> None:
    """Staff operations: a caller with no staff role is refused whatever the id, so
    the answer says nothing about the case."""
    scope = staff_scope(request.auth)
    if not (scope.has_staff_role or scope.is_superuser):
        raise PermissionDeniedError(
            "cases.staff_only", _("只有工作人员可以执行此操作。")
        )


def _staff_case(request: HttpRequest, case_id: int) -> Case:
    _require_staff(request)
    return _case(request, case_id)


def _submission_key(request: HttpRequest, body_key: str | None) -> str | None:
    header = request.headers.get(IDEMPOTENCY_HEADER)
    if header is None:
        return body_key
    header = header.strip()
    if not _SUBMISSION_KEY.match(header):
        raise _field_error(
            "request.invalid",
            IDEMPOTENCY_HEADER,
            _("幂等键应为8到64位字母、数字或 -_.: 字符。"),
        )
    return header


def _file_url(file_id: uuid.UUID) -> str:
    return reverse("api-v1:cases_file_download", kwargs={"file_id": file_id})


# --- presenters ----------------------------------------------------------------------


def _summary(case: Case) -> dict[str, Any]:
    return {
        "id": case.pk,
        "number": case.number,
        "listing_code": case.listing_code,
        "item_name": case.item_name,
        "status": case.status,
        "status_label": str(case.get_status_display()),
        "channel": case.channel,
        "deadline_state": case.deadline_state,
        "deadline_state_label": str(case.get_deadline_state_display()),
        "due_on": case.due_on,
        "submitted_at": case.submitted_at,
        "created_at": case.created_at,
        "updated_at": case.updated_at,
    }


def _file(stored: StoredFile) -> dict[str, Any]:
    return {
        "id": stored.pk,
        "name": stored.original_name,
        "content_type": stored.content_type,
        "size": stored.size,
        "sm3": stored.sm3,
        "url": _file_url(stored.pk),
    }


def _material(material: CaseMaterial) -> dict[str, Any]:
    return {
        "id": material.pk,
        "material_name": material.material_name,
        "credibility": material.credibility,
        "credibility_label": material.credibility_label,
        "licence_identifier": material.licence_identifier,
        "base_record_kind": material.base_record_kind,
        "reused_from_id": material.reused_from_id,
        "file": _file(material.file),
        "created_at": material.created_at,
    }


def _extension(extension: Extension) -> dict[str, Any]:
    return {
        "id": extension.pk,
        "case_id": extension.case_id,
        "days": extension.days,
        "reason": extension.reason,
        "status": extension.status,
        "status_label": str(extension.get_status_display()),
        "decided_at": extension.decided_at,
        "created_at": extension.created_at,
    }


def _payment(order: PaymentOrder | None) -> dict[str, Any] | None:
    if order is None:
        return None
    return {
        "order_number": order.order_number,
        "amount_fen": order.amount_fen,
        "items": order.items if isinstance(order.items, list) else [],
        "status": order.status,
        "status_label": str(order.get_status_display()),
        "paid_at": order.paid_at,
        "refunded_fen": order.refunded_fen,
    }


def _shipment(shipment: Shipment | None) -> dict[str, Any] | None:
    if shipment is None:
        return None
    return {
        "provider": shipment.provider,
        "order_number": shipment.order_number,
        "tracking_number": shipment.tracking_number,
        "recipient_name_masked": mask_name(shipment.recipient_name),
        "recipient_mobile_masked": mask_mobile(shipment.recipient_mobile or ""),
        "status": shipment.status,
        "status_label": str(shipment.get_status_display()),
        "events": shipment.events if isinstance(shipment.events, list) else [],
    }


def _rating(rating: Rating | None) -> dict[str, Any] | None:
    if rating is None:
        return None
    return {
        "id": rating.pk,
        "level": rating.level,
        "indicators": [str(i) for i in rating.indicators or []],
        "comment": rating.comment,
        "is_follow_up": rating.is_follow_up,
        "created_at": rating.created_at,
    }


def _with_details(case_id: int, request: HttpRequest) -> Case:
    """The case again with everything its detail shows, in a fixed number of
    queries, through the same access rule."""
    cases = selectors.cases_for_user(
        request.auth, acting=acting_for_request(request)
    ).filter(pk=case_id)
    case = (
        cases.select_related("organisation", "division")
        .prefetch_related(
            Prefetch(
                "materials",
                queryset=CaseMaterial.objects.select_related("file").order_by("pk"),
            ),
            "supplements",
            "pauses",
            "extensions",
            Prefetch("payments", queryset=PaymentOrder.objects.order_by("-pk")),
            Prefetch("shipments", queryset=Shipment.objects.order_by("-pk")),
            Prefetch("ratings", queryset=Rating.objects.order_by("-pk")),
        )
        .first()
    )
    if case is None:
        raise _not_found()
    return case


def _detail(case: Case) -> dict[str, Any]:
    payments = list(case.payments.all())
    shipments = list(case.shipments.all())
    ratings = list(case.ratings.all())
    return {
        **_summary(case),
        "handling_item_code": case.handling_item_code,
        "organisation": {"id": case.organisation_id, "name": case.organisation.name},
        "division_code": case.division.code,
        "applicant_name_masked": mask_name(case.applicant_name),
        "applicant_id_masked": case.applicant_id_masked,
        "contact_mobile_masked": mask_mobile(case.contact_mobile or ""),
        "principal_label": case.principal_label,
        "form_data": case.form_data if isinstance(case.form_data, dict) else {},
        "accepted_at": case.accepted_at,
        "decided_at": case.decided_at,
        "acceptance_due_on": case.acceptance_due_on,
        "is_instant": case.is_instant,
        "limit_days": case.limit_days,
        "legal_limit_days": case.legal_limit_days,
        "extended_days": case.extended_days,
        "warn_on": case.warn_on,
        "decision_opinion": case.decision_opinion,
        "legal_basis": case.legal_basis,
        "decided_by_rule": case.decided_by_rule,
        "result_delivery": case.result_delivery,
        "result_available": case.result_document_id is not None,
        "requires_payment": case.requires_payment,
        "bundle_id": case.bundle_id,
        "materials": [_material(m) for m in case.materials.all()],
        "supplements": [
            {
                "id": s.pk,
                "items": [
                    {
                        "material": str(item.get("material", "")),
                        "reason": str(item.get("reason", "")),
                    }
                    for item in (s.items or [])
                    if isinstance(item, dict)
                ],
                "note": s.note,
                "requested_at": s.created_at,
                "answered_at": s.answered_at,
            }
            for s in case.supplements.all()
        ],
        "pauses": [
            {
                "id": p.pk,
                "kind": p.kind,
                "name": p.name,
                "reason": p.reason,
                "started_on": p.started_on,
                "ended_on": p.ended_on,
                "result": p.result,
            }
            for p in case.pauses.all()
        ],
        "extensions": [_extension(e) for e in case.extensions.all()],
        "payment": _payment(payments[0] if payments else None),
        "shipment": _shipment(shipments[0] if shipments else None),
        "rating": _rating(ratings[0] if ratings else None),
    }


def _case_out(request: HttpRequest, case: Case) -> dict[str, Any]:
    return _detail(_with_details(case.pk, request))


_DETAIL_LISTS = (
    "materials",
    "supplements",
    "pauses",
    "extensions",
    "payments",
    "shipments",
    "ratings",
)


def _applied_out(request: HttpRequest, case: Case) -> dict[str, Any]:
    """The 201 body of a case this request has just drafted and submitted, from the
    case in hand: the API applies with the form only, so such a case has no
    materials, supplements, pauses, extensions, payments, shipments or ratings, and
    its organisation and division are the listing's it was saved with. A case 秒批
    decided in the same request (or without the listing at hand) is read again."""
    saved = getattr(case, "_draft_context", None)
    if saved is None or case.status != CaseStatus.SUBMITTED:
        return _case_out(request, case)
    listing = saved[0]
    case._prefetched_objects_cache = {  # type: ignore[attr-defined]
        getattr(case, name).field.remote_field.cache_name: getattr(
            case, name
        ).model.objects.none()
        for name in _DETAIL_LISTS
    }
    for name, fields in (
        (
            "organisation",
            {"pk": case.organisation_id, "name": listing.organisation_name},
        ),
        ("division", {"pk": case.division_id, "code": listing.division_code}),
    ):
        field = Case._meta.get_field(name)
        field.set_cached_value(case, field.related_model(**fields))
    return _detail(case)


def _task(task: CaseTask, user_id: int | None) -> dict[str, Any]:
    case = task.case
    return {
        "id": task.pk,
        "case_id": task.case_id,
        "case_number": case.number,
        "item_name": case.item_name,
        "node": task.node,
        "name": task.name,
        "role": task.role,
        "organisation": {"id": task.organisation_id, "name": task.organisation.name},
        "status": task.status,
        "status_label": str(task.get_status_display()),
        "assignee_id": task.assignee_id,
        "is_mine": task.assignee_id is not None and task.assignee_id == user_id,
        "due_on": task.due_on,
        "deadline_state": case.deadline_state,
        "claimed_at": task.claimed_at,
        "created_at": task.created_at,
    }


def _bundle(bundle: CaseBundle) -> dict[str, Any]:
    return {
        "id": bundle.pk,
        "number": bundle.number,
        "definition_code": bundle.definition.code,
        "name": bundle.definition.name,
        "submitted_at": bundle.submitted_at,
        "cases": [_summary(c) for c in bundle.cases.order_by("pk")],
    }


def _rectification(order: RectificationOrder) -> dict[str, Any]:
    return {
        "id": order.pk,
        "case_id": order.case_id,
        "case_number": order.case.number,
        "organisation": {
            "id": order.organisation_id,
            "name": order.organisation.name,
        },
        "rating_level": order.rating.level,
        "rating_comment": order.rating.comment,
        "due_on": order.due_on,
        "status": order.status,
        "status_label": str(order.get_status_display()),
        "response": order.response,
        "callback_note": order.callback_note,
        "responded_at": order.responded_at,
        "closed_at": order.closed_at,
    }


def _webhook(subscription: WebhookSubscription, secret: str | None = None) -> dict:
    return {
        "id": subscription.pk,
        "organisation_id": subscription.organisation_id,
        "url": subscription.url,
        "events": [str(e) for e in subscription.events or []],
        "is_active": subscription.is_active,
        "secret": secret,
        "created_at": subscription.created_at,
    }


def _content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback and the UTF-8 name (RFC 6266, 5987)."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\;' else "_"
        for c in filename
    )
    return (
        f'attachment; filename="{fallback or "download"}"; '
        f"filename*=UTF-8''{quote(filename, safe='')}"
    )


def _file_response(stored: StoredFile) -> HttpResponse:
    try:
        handle = stored.file.open("rb")
    except OSError:
        logger.error("case_file_missing", file_id=str(stored.pk))
        raise _not_found(_("文件不存在。")) from None
    response = FileResponse(handle, content_type=stored.content_type)
    response["Content-Disposition"] = _content_disposition(stored.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- applicants ------------------------------------------------------------------------


PREFER_ASYNC = re.compile(r"(^|[,;\s])respond-async([,;\s]|$)", re.IGNORECASE)


def _prefers_async(request: HttpRequest) -> bool:
    return bool(PREFER_ASYNC.search(request.headers.get("Prefer", "")))


def _intake_out(intake: CaseIntake) -> dict[str, Any]:
    return {
        "submission_key": intake.submission_key,
        "listing_code": intake.listing_code,
        "status": intake.status,
        "received_at": intake.created_at,
        "processed_at": intake.processed_at,
        "case_id": intake.case_id,
        "case_number": intake.case.number if intake.case is not None else None,
        "error": intake.error or None,
        "status_url": reverse(
            "api-v1:cases_intake_status",
            kwargs={"submission_key": intake.submission_key},
        ),
    }


def _intake_answer(
    request: HttpRequest, intake: CaseIntake, response: HttpResponse
) -> Status:
    """202 while the intake is pending; the case (200) once made; the refusal it
    met (with its code and status) once rejected — the same answers a synchronous
    request with the key would get."""
    response["Preference-Applied"] = "respond-async"
    if intake.status == IntakeStatus.DONE and intake.case_id is not None:
        return Status(200, _case_out(request, intake.case))
    if intake.status == IntakeStatus.REJECTED:
        error = intake.error or {}
        raise DomainError(
            str(error.get("code") or "cases.invalid_input"),
            str(error.get("message") or ""),
            fields=error.get("fields") or {},
            status=int(error.get("status") or 422),
        )
    body = _intake_out(intake)
    response["Location"] = body["status_url"]
    response["Retry-After"] = "1"
    return Status(202, body)


@router.post(
    "/",
    response={200: CaseOut, 201: CaseOut, 202: IntakeOut, **ERRORS},
    auth=case_auth,
    summary="Apply (draft and submit in one); idempotent by `Idempotency-Key`",
    description="The first request creates and submits the case (201); a retry "
    "with the same key (header or body `submission_key`) returns the same case "
    "(200) and creates nothing. Without a key every request is a new case.\n\n"
    "With `Prefer: respond-async` the application is taken in (收件) and answered "
    "at once with 202 and a status URL (`Location`); the case is made by a task "
    "through the same checks (its number then appears at the status URL, and a "
    "retry with the key answers 200 with the case). The form and the listing are "
    "checked at the door as well, so plain mistakes still get their 4xx at once.",
)
def apply(request: HttpRequest, payload: CaseApplyIn, response: HttpResponse) -> Status:
    key = _submission_key(request, payload.submission_key)
    if _prefers_async(request):
        intake, created = intake_service.case_intake(
            user=request.auth,
            acting=acting_for_request(request),
            listing_code=payload.listing_code,
            handling_item_code=payload.handling_item_code,
            form_data=payload.form_data,
            submission_key=key or uuid.uuid4().hex,
        )
        if not created and intake.listing_code != payload.listing_code:
            raise _key_reused()
        return _intake_answer(request, intake, response)
    case = services.case_apply(
        user=request.auth,
        acting=acting_for_request(request),
        listing_code=payload.listing_code,
        handling_item_code=payload.handling_item_code,
        form_data=payload.form_data,
        submission_key=key or uuid.uuid4().hex,
    )
    replayed = bool(getattr(case, "replayed", False))
    if replayed and case.listing_code != payload.listing_code:
        raise _key_reused()
    if replayed:
        return Status(200, _case_out(request, case))
    return Status(201, _applied_out(request, case))


def _key_reused() -> DomainError:
    return _field_error(
        "cases.submission_key_reused",
        "submission_key",
        _("该幂等键已用于另一事项的申请。"),
        status=409,
    )


class IntakeListOut(Schema):
    """The caller's applications taken in asynchronously that have no case (yet)."""

    items: list[IntakeOut]


@router.get(
    "/intakes",
    response={200: IntakeListOut, **ERRORS},
    auth=case_auth,
    url_name="cases_intake_list",
    summary="The caller's intakes without a case: pending, or rejected recently",
    description="Applications this account sent with `Prefer: respond-async` that "
    "have not become a case: `pending` ones and those `rejected` in the last "
    f"{selectors.OPEN_INTAKE_REJECTED_DAYS} days (with the refusal), newest first, "
    f"at most {selectors.OPEN_INTAKE_LIMIT}. A `done` intake is a case: see "
    "`GET /cases/`. Only the caller's own account's intakes are listed.",
)
def intake_list(request: HttpRequest) -> dict[str, Any]:
    return {
        "items": [
            {
                "submission_key": row.submission_key,
                "listing_code": row.listing_code,
                "status": row.status,
                "received_at": row.received_at,
                "processed_at": row.processed_at,
                "case_id": None,
                "case_number": None,
                "error": row.error,
                "status_url": reverse(
                    "api-v1:cases_intake_status",
                    kwargs={"submission_key": row.submission_key},
                ),
            }
            for row in selectors.own_open_intakes(request.auth)
        ]
    }


@router.get(
    "/intakes/{submission_key}",
    response={200: IntakeOut, **ERRORS},
    auth=case_auth,
    url_name="cases_intake_status",
    summary="An application taken in asynchronously (收件): pending, done or rejected",
    description="The applicant's own intake by its idempotency key: once `done` "
    "it names the case and its number; once `rejected` it holds the code, message "
    "and field reasons of the refusal. Another applicant's key is 404.",
)
def intake_status(request: HttpRequest, submission_key: IntakeKey) -> dict[str, Any]:
    intake = intake_service.intake_for_key(request.auth, submission_key)
    if intake is None:
        raise _not_found(_("没有该幂等键的收件。"))
    return _intake_out(intake)


@router.post(
    "/drafts",
    response={201: CaseOut, **ERRORS},
    auth=case_auth,
    summary="Save a new draft (form checked only on submission)",
)
def create_draft(request: HttpRequest, payload: DraftIn) -> Status:
    case = services.case_draft_save(
        user=request.auth,
        acting=acting_for_request(request),
        listing_code=payload.listing_code,
        handling_item_code=payload.handling_item_code,
        form_data=payload.form_data,
    )
    return Status(201, _case_out(request, case))


@router.patch(
    "/drafts/{int:case_id}",
    response={200: CaseOut, **ERRORS},
    auth=case_auth,
    summary="Save a draft again",
)
def update_draft(
    request: HttpRequest, case_id: CaseId, payload: DraftUpdateIn
) -> dict[str, Any]:
    case = _case(request, case_id)
    case = services.case_draft_save(
        user=request.auth,
        acting=acting_for_request(request),
        listing_code=case.listing_code,
        handling_item_code=(
            case.handling_item_code
            if payload.handling_item_code is None
            else payload.handling_item_code
        ),
        form_data=payload.form_data,
        case_id=case.pk,
    )
    return _case_out(request, case)


@router.post(
    "/{int:case_id}/submit",
    response={200: CaseOut, **ERRORS},
    auth=case_auth,
    summary="Submit a draft (idempotent: submitting again returns the case)",
)
def submit(request: HttpRequest, case_id: CaseId, payload: SubmitIn) -> dict[str, Any]:
    case = _case(request, case_id)
    key = _submission_key(request, payload.submission_key)
    submitted = services.case_submit(
        user=request.auth,
        acting=acting_for_request(request),
        case_id=case.pk,
        submission_key=key or f"draft-{case.pk}",
    )
    if submitted.pk != case.pk:
        # the key was used for another of the caller's cases
        raise _field_error(
            "cases.submission_key_reused",
            "submission_key",
            _("该幂等键已用于另一件申请。"),
            status=409,
        )
    return _case_out(request, submitted)


@router.get(
    "/",
    response={200: CasePageOut, **ERRORS},
    auth=case_auth,
    summary="The cases the caller may see (an applicant: their own), newest first",
)
def list_cases(request: HttpRequest, filters: Query[CasePageIn]) -> dict[str, Any]:
    acting = acting_for_request(request)
    cases = selectors.cases_for_user(request.auth, acting=acting).filter(
        # someone else's draft is not yet a case for the department
        ~Q(status=CaseStatus.DRAFT) | selectors.applicant_q(request.auth, acting)
    )
    if filters.status:
        cases = cases.filter(status=filters.status)
    if filters.after:
        cases = cases.filter(pk__lt=filters.after)
    page = list(cases.order_by("-pk")[: filters.limit + 1])
    more = len(page) > filters.limit
    page = page[: filters.limit]
    return {
        "items": [_summary(c) for c in page],
        "next_cursor": page[-1].pk if more else None,
    }


@router.get(
    "/messages",
    response={200: MessagePageOut, **ERRORS},
    auth=case_auth,
    summary="The caller's own site messages about their cases, newest first",
)
def list_messages(request: HttpRequest, filters: Query[MessagePageIn]) -> dict:
    messages = notify.notifications_for_user(request.auth)
    if filters.after:
        messages = messages.filter(pk__lt=filters.after)
    page: list[Notification] = list(messages[: filters.limit + 1])
    more = len(page) > filters.limit
    page = page[: filters.limit]
    return {
        "items": [
            {
                "id": m.pk,
                "case_id": m.case_id,
                "event": m.event,
                "title": m.title,
                "body": m.body,
                "created_at": m.created_at,
                "read_at": m.read_at,
            }
            for m in page
        ],
        "next_cursor": page[-1].pk if more else None,
    }


@router.get(
    "/form/{listing_code}",
    response={200: FormSpecOut, **ERRORS},
    auth=case_auth,
    summary="The application form of a listing (JSON Schema) with what is prefilled",
)
def form_spec(request: HttpRequest, listing_code: ListingCode) -> dict[str, Any]:
    user = request.auth
    acting = acting_for_request(request)
    listing = listing_for_application(listing_code)
    if listing is None:
        raise NotFoundError(
            "cases.listing_unavailable", _("该事项当前不能在网上申请。")
        )
    schema = services.form_schema(listing.code) or forms.default_schema()
    principal = acting.principal_label if acting else person_label_for_user(user)
    values = forms.prefill(
        schema=schema,
        user=user,
        principal_label=principal,
        earlier=selectors.latest_submission_values(
            listing_code=listing.code, principal_label=principal
        ),
    )
    return {
        "listing_code": listing.code,
        "item_name": listing.item_name,
        "form_schema": schema,
        "prefill": values,
        "materials": [
            m.model_dump(mode="json", include=MATERIAL_FIELDS)
            for m in listing.guide.materials
        ],
        "handling_items": [
            h.model_dump(mode="json") for h in listing.guide.handling_items
        ],
    }


@router.get(
    "/files/{file_id}",
    response=ERRORS,
    auth=case_auth,
    summary="Download a material or result file (only for those who may see its case)",
    openapi_extra=_binary_response("the file"),
    url_name="cases_file_download",
)
def download_file(request: HttpRequest, file_id: uuid.UUID) -> HttpResponse:
    stored = files.file_for_user(
        request.auth, file_id, acting=acting_for_request(request)
    )
    return _file_response(stored)


@router.get(
    "/{int:case_id}",
    response={200: CaseOut, **ERRORS},
    auth=case_auth,
    summary="One case: status, due date, deadline state, materials, supplements, "
    "payment, shipment, rating",
)
def get_case(request: HttpRequest, case_id: CaseId) -> dict[str, Any]:
    return _detail(_with_details(case_id, request))


@router.get(
    "/{int:case_id}/timeline",
    response={200: list[TimelineEntryOut], **ERRORS},
    auth=case_auth,
    summary="Every step of the case, oldest first (from the audit log)",
)
def timeline(request: HttpRequest, case_id: CaseId) -> list[dict[str, Any]]:
    case = _case(request, case_id)
    acting = acting_for_request(request)
    own_label = (
        request.auth.get_username()
        if selectors.is_applicant_side(request.auth, case, acting)
        else None
    )
    return [
        _timeline_entry(entry, own_label=own_label)
        for entry in selectors.case_timeline(case)
    ]


@router.post(
    "/{int:case_id}/materials",
    response={201: MaterialOut, **ERRORS},
    auth=case_auth,
    summary="Upload a material (multipart; type by content, size-limited, SM3-hashed)",
)
def upload_material(
    request: HttpRequest,
    case_id: CaseId,
    file: File[UploadedFile],
    material_name: str = Form(..., min_length=1, max_length=MATERIAL_NAME_MAX),
) -> Status:
    case = _case(request, case_id)
    if _CONTROL.search(material_name):
        raise _field_error("request.invalid", "material_name", _("不能包含控制字符。"))
    material = services.material_upload(
        user=request.auth,
        acting=acting_for_request(request),
        case_id=case.pk,
        material_name=material_name,
        filename=_clean_filename(file.name),
        content=_read_upload(file),
    )
    return Status(201, _material(_material_with_file(material)))


@router.post(
    "/{int:case_id}/materials/reuse",
    response={201: MaterialOut, **ERRORS},
    auth=case_auth,
    summary="Reuse a material handed in for an earlier case of the same applicant",
)
def reuse_material(
    request: HttpRequest, case_id: CaseId, payload: MaterialReuseIn
) -> Status:
    case = _case(request, case_id)
    material = services.material_reuse(
        user=request.auth,
        acting=acting_for_request(request),
        case_id=case.pk,
        material_name=payload.material_name,
        source_material_id=payload.source_material_id,
    )
    return Status(201, _material(_material_with_file(material)))


@router.post(
    "/{int:case_id}/supplement",
    response={200: CaseOut, **ERRORS},
    auth=case_auth,
    summary="Answer a supplement request (补正) and resubmit",
)
def supplement(
    request: HttpRequest, case_id: CaseId, payload: SupplementIn
) -> dict[str, Any]:
    case = _case(request, case_id)
    case = services.case_supplement(
        user=request.auth,
        acting=acting_for_request(request),
        case_id=case.pk,
        form_data=payload.form_data,
        note=payload.note,
    )
    return _case_out(request, case)


@router.post(
    "/{int:case_id}/withdraw",
    response={200: CaseOut, **ERRORS},
    auth=case_auth,
    summary="Withdraw the application",
)
def withdraw(request: HttpRequest, case_id: CaseId) -> dict[str, Any]:
    case = _case(request, case_id)
    case = services.case_withdraw(
        user=request.auth, acting=acting_for_request(request), case_id=case.pk
    )
    return _case_out(request, case)


@router.post(
    "/{int:case_id}/rating",
    response={201: RatingOut, **ERRORS},
    auth=case_auth,
    summary="Rate a finished case (好差评, five levels with indicators)",
)
def rate(request: HttpRequest, case_id: CaseId, payload: RatingIn) -> Status:
    case = _case(request, case_id)
    rating = ratings.rating_create(
        user=request.auth,
        acting=acting_for_request(request),
        case_id=case.pk,
        level=payload.level,
        indicators=payload.indicators,
        comment=payload.comment,
        is_follow_up=payload.is_follow_up,
    )
    return Status(201, _rating(rating))


@router.get(
    "/{int:case_id}/payment",
    response={200: PaymentDueOut, **ERRORS},
    auth=case_auth,
    summary="The case's fee orders and the cashier address of the unpaid one",
)
def payment(request: HttpRequest, case_id: CaseId) -> dict[str, Any]:
    case = _case(request, case_id)
    orders = payments.payments_for_case(case)
    unpaid = [o for o in orders if o.status == "unpaid"]
    return {
        "orders": [_payment(o) for o in orders],
        "pay_url": payments.payment_url(unpaid[-1]) if unpaid else "",
    }


@router.get(
    "/{int:case_id}/result",
    response=ERRORS,
    auth=case_auth,
    summary="The decision document (PDF) of a decided case",
    openapi_extra=_binary_response("the decision document"),
)
def result_document(request: HttpRequest, case_id: CaseId) -> HttpResponse:
    case = _case(request, case_id)
    if case.result_document_id is None:
        raise NotFoundError("cases.no_result", _("该办件尚无结果文书。"))
    # the same access check and audited download as any other case file
    stored = files.file_for_user(
        request.auth, case.result_document_id, acting=acting_for_request(request)
    )
    return _file_response(stored)


@router.post(
    "/{int:case_id}/delivery",
    response={200: CaseOut, **ERRORS},
    auth=case_auth,
    summary="Choose how to receive the result: online, pick-up, or express "
    "(recipient and address; booked at once when the case is decided)",
)
def choose_delivery(
    request: HttpRequest, case_id: CaseId, payload: DeliveryIn
) -> dict[str, Any]:
    if payload.method == "express":
        message = _("邮寄送达需填写此项。")
        missing = {
            name: [message]
            for name in ("recipient_name", "recipient_mobile", "address")
            if not getattr(payload, name).strip()
        }
        if missing:
            raise DomainError(
                "request.invalid",
                _("请求内容不符合要求，请检查标出的字段。"),
                fields=missing,
                status=422,
            )
    case = _case(request, case_id)
    case = delivery.delivery_choose(
        user=request.auth,
        acting=acting_for_request(request),
        case_id=case.pk,
        method=payload.method,
        recipient_name=payload.recipient_name,
        recipient_mobile=payload.recipient_mobile,
        address=payload.address,
    )
    return _case_out(request, case)


@router.post(
    "/{int:case_id}/shipments",
    response={200: CaseOut, **ERRORS},
    auth=case_auth,
    summary="Staff send a decided case's result by express (to the applicant's "
    "chosen address when the recipient is left empty); tracking number",
)
def dispatch_result(
    request: HttpRequest, case_id: CaseId, payload: ShipmentIn
) -> dict[str, Any]:
    case = _staff_case(request, case_id)
    delivery.shipment_create(
        case_id=case.pk,
        acting_user=request.auth,
        recipient_name=payload.recipient_name,
        recipient_mobile=payload.recipient_mobile,
        address=payload.address,
    )
    return _case_out(request, case)


@router.post(
    "/{int:case_id}/pickup",
    response={200: CaseOut, **ERRORS},
    auth=case_auth,
    summary="Staff record that the result was collected at the counter",
)
def record_pickup(
    request: HttpRequest, case_id: CaseId, payload: PickupIn
) -> dict[str, Any]:
    case = _staff_case(request, case_id)
    delivery.result_pickup(
        case_id=case.pk, acting_user=request.auth, picked_up_by=payload.picked_up_by
    )
    return _case_out(request, case)


@router.post(
    "/bundles/{code}/apply",
    response={200: BundleOut, 201: BundleOut, **ERRORS},
    auth=case_auth,
    summary="Apply for a 一件事一次办 bundle (idempotent like a case)",
)
def apply_bundle(
    request: HttpRequest, code: BundleCode, payload: BundleApplyIn
) -> Status:
    key = _submission_key(request, payload.submission_key)
    bundle = services.bundle_apply(
        user=request.auth,
        acting=acting_for_request(request),
        bundle_code=code,
        form_data=payload.form_data,
        submission_key=key or uuid.uuid4().hex,
    )
    replayed = bool(getattr(bundle, "replayed", False))
    return Status(200 if replayed else 201, _bundle(bundle))


# --- staff: workbench ------------------------------------------------------------------


@router.get(
    "/tasks",
    response={200: TaskPageOut, **ERRORS},
    auth=case_auth,
    summary="Workbench inbox: the caller's organisations' tasks, nearest deadline first",
)
def list_tasks(request: HttpRequest, filters: Query[TaskFiltersIn]) -> dict[str, Any]:
    _require_staff(request)
    page = workbench.inbox(
        request.auth,
        filters=workbench.InboxFilters(
            status=filters.status or "",
            mine=filters.mine,
            overdue=filters.overdue,
            warning=filters.warning,
            listing_code=filters.listing_code or "",
            item=filters.item or "",
            case_status=filters.case_status or "",
        ),
        cursor=filters.cursor or "",
        limit=filters.limit,
    )
    user_id = request.auth.pk
    return {
        "items": [_task(task, user_id) for task in page.tasks],
        "next_cursor": page.next_cursor or None,
        "counts": dict(page.counts),
    }


def _task_out(request: HttpRequest, task: CaseTask) -> dict[str, Any]:
    task = CaseTask.objects.select_related("case", "organisation").get(pk=task.pk)
    return _task(task, request.auth.pk)


@router.post(
    "/tasks/{int:task_id}/claim",
    response={200: TaskOut, **ERRORS},
    auth=case_auth,
    summary="Claim a task",
)
def claim_task(request: HttpRequest, task_id: ObjectId) -> dict[str, Any]:
    _require_staff(request)
    return _task_out(
        request, workbench.task_claim(task_id=task_id, acting_user=request.auth)
    )


@router.post(
    "/tasks/{int:task_id}/hand-over",
    response={200: TaskOut, **ERRORS},
    auth=case_auth,
    summary="Hand a claimed task over to a colleague of the same organisation",
)
def hand_over_task(
    request: HttpRequest, task_id: ObjectId, payload: HandOverIn
) -> dict[str, Any]:
    _require_staff(request)
    return _task_out(
        request,
        workbench.task_hand_over(
            task_id=task_id,
            acting_user=request.auth,
            to_user_id=payload.to_user_id,
            note=payload.note,
        ),
    )


@router.post(
    "/tasks/{int:task_id}/return",
    response={200: TaskOut, **ERRORS},
    auth=case_auth,
    summary="Give a claimed task back to the pool, with the reason",
)
def return_task(
    request: HttpRequest, task_id: ObjectId, payload: TaskReturnIn
) -> dict[str, Any]:
    _require_staff(request)
    return _task_out(
        request,
        workbench.task_return(
            task_id=task_id, acting_user=request.auth, reason=payload.reason
        ),
    )


@router.post(
    "/tasks/{int:task_id}/complete",
    response={200: TaskOut, **ERRORS},
    auth=case_auth,
    summary="Complete a claimed task with its outcome and opinion",
)
def complete_task(
    request: HttpRequest, task_id: ObjectId, payload: TaskCompleteIn
) -> dict[str, Any]:
    _require_staff(request)
    return _task_out(
        request,
        workbench.task_complete(
            task_id=task_id,
            acting_user=request.auth,
            outcome=payload.outcome,
            opinion=payload.opinion,
        ),
    )


# --- staff: acceptance and the clock -------------------------------------------------


@router.post(
    "/{int:case_id}/accept",
    response={200: CaseOut, **ERRORS},
    auth=case_auth,
    summary="Accept (受理) a submitted case",
)
def accept(request: HttpRequest, case_id: CaseId, payload: AcceptIn) -> dict[str, Any]:
    case = _staff_case(request, case_id)
    case = services.case_accept(
        case_id=case.pk, acting_user=request.auth, opinion=payload.opinion
    )
    return _case_out(request, case)


@router.post(
    "/{int:case_id}/request-supplement",
    response={200: CaseOut, **ERRORS},
    auth=case_auth,
    summary="Ask for everything missing at once (一次性告知补正)",
)
def request_supplement(
    request: HttpRequest, case_id: CaseId, payload: SupplementRequestIn
) -> dict[str, Any]:
    case = _staff_case(request, case_id)
    case = services.case_request_supplement(
        case_id=case.pk,
        acting_user=request.auth,
        items=[item.model_dump() for item in payload.items],
        note=payload.note,
    )
    return _case_out(request, case)


@router.post(
    "/{int:case_id}/not-accept",
    response={200: CaseOut, **ERRORS},
    auth=case_auth,
    summary="Refuse acceptance (不予受理) with the reason and legal basis",
)
def not_accept(
    request: HttpRequest, case_id: CaseId, payload: NotAcceptIn
) -> dict[str, Any]:
    case = _staff_case(request, case_id)
    case = services.case_not_accept(
        case_id=case.pk,
        acting_user=request.auth,
        reason=payload.reason,
        legal_basis=payload.legal_basis,
    )
    return _case_out(request, case)


@router.post(
    "/{int:case_id}/pauses",
    response={200: CaseOut, **ERRORS},
    auth=case_auth,
    summary="Start a special procedure: the clock stops (行政许可法 第45条)",
)
def start_pause(
    request: HttpRequest, case_id: CaseId, payload: PauseStartIn
) -> dict[str, Any]:
    case = _staff_case(request, case_id)
    services.pause_start(
        case_id=case.pk,
        acting_user=request.auth,
        name=payload.name,
        reason=payload.reason,
    )
    return _case_out(request, case)


@router.post(
    "/{int:case_id}/pauses/end",
    response={200: CaseOut, **ERRORS},
    auth=case_auth,
    summary="End the open special procedure: the clock runs again",
)
def end_pause(
    request: HttpRequest, case_id: CaseId, payload: PauseEndIn
) -> dict[str, Any]:
    case = _staff_case(request, case_id)
    services.pause_end(case_id=case.pk, acting_user=request.auth, result=payload.result)
    return _case_out(request, case)


@router.post(
    "/{int:case_id}/extensions",
    response={201: ExtensionOut, **ERRORS},
    auth=case_auth,
    summary="Ask for an extension of the limit (approved by another person)",
)
def request_extension(
    request: HttpRequest, case_id: CaseId, payload: ExtensionIn
) -> Status:
    case = _staff_case(request, case_id)
    extension = services.extension_request(
        case_id=case.pk,
        acting_user=request.auth,
        days=payload.days,
        reason=payload.reason,
    )
    return Status(201, _extension(extension))


@router.post(
    "/extensions/{int:extension_id}/decide",
    response={200: ExtensionOut, **ERRORS},
    auth=case_auth,
    summary="Approve or refuse an extension request",
)
def decide_extension(
    request: HttpRequest, extension_id: ObjectId, payload: ExtensionDecideIn
) -> dict[str, Any]:
    _require_staff(request)
    extension = services.extension_decide(
        extension_id=extension_id, acting_user=request.auth, approve=payload.approve
    )
    return _extension(extension)


@router.post(
    "/counter",
    response={201: CaseOut, **ERRORS},
    auth=case_auth,
    summary="Open a draft for the walk-in applicant of the clerk's open counter "
    "visit; the clerk then uploads the scanned materials and submits it",
)
def open_counter_case(request: HttpRequest, payload: CounterCaseIn) -> Status:
    _require_staff(request)
    case = services.counter_case_open(
        acting_user=request.auth,
        acting=acting_for_request(request),
        visit_id=payload.visit_id,
        listing_code=payload.listing_code,
        handling_item_code=payload.handling_item_code,
        form_data=payload.form_data,
    )
    return Status(201, _case_out(request, case))


# --- staff: handling configuration ---------------------------------------------------


@router.put(
    "/config/{listing_code}",
    response={200: HandlingConfigOut, **ERRORS},
    auth=case_auth,
    summary="Set how a listing is handled online: form, process, decision table, "
    "fees, the licence issued on approval, materials a licence replaces or the "
    "base records supply",
)
def set_handling_config(
    request: HttpRequest, listing_code: ListingCode, payload: HandlingConfigIn
) -> dict[str, Any]:
    _require_staff(request)
    config = services.handling_config_set(
        listing_code=listing_code,
        acting_user=request.auth,
        **payload.model_dump(exclude_unset=True),
    )
    return {
        "listing_code": config.listing_code,
        "form_schema": config.form_schema,
        "process_template": config.process_template,
        "process_key": config.process_key,
        "decision_key": config.decision_key,
        "fee_items": config.fee_items,
        "parallel_organisation_ids": config.parallel_organisation_ids,
        "licence_type_code": config.licence_type_code,
        "licence_materials": config.licence_materials or {},
        "base_record_materials": config.base_record_materials or {},
        "updated_at": config.updated_at,
    }


def _upload_model(
    request: HttpRequest, listing_code: str, file: UploadedFile, name: str, kind: str
) -> dict[str, Any]:
    """Upload a model under the listing's own key and point the listing's handling
    configuration at it, in one transaction: a refused configuration keeps no model
    either. ``kind``: "bpmn" (the process) or "dmn" (the 秒批 decision table)."""
    _require_staff(request)
    listing = listing_for_application(listing_code)
    scope = staff_scope(request.auth)
    if listing is None or not (
        scope.can_review or scope.can_edit_organisation(listing.organisation_id)
    ):
        # The same answer for an unknown listing and someone else's.
        raise NotFoundError("cases.listing_unavailable", _("实施清单不存在。"))
    if file.size is not None and file.size > MODEL_MAX_BYTES:
        raise _field_error(
            "cases.file_too_large", "file", _("模型文件不能超过1MB。"), status=413
        )
    key = f"listing_{listing.code}" if kind == "bpmn" else f"decision_{listing.code}"
    upload = (
        workflows_facade.upload_definition
        if kind == "bpmn"
        else workflows_facade.upload_decision
    )
    with transaction.atomic():
        info = upload(
            key=key,
            name=_clean_filename(name or file.name or key),
            xml=file.read(MODEL_MAX_BYTES + 1),
            acting_user=request.auth,
        )
        fields = (
            {"process_template": "custom", "process_key": info.key}
            if kind == "bpmn"
            else {"decision_key": info.key}
        )
        services.handling_config_set(
            listing_code=listing.code, acting_user=request.auth, **fields
        )
    return {"key": info.key, "name": info.name, "version": info.version}


@router.post(
    "/config/{listing_code}/bpmn",
    response={201: DefinitionOut, **ERRORS},
    auth=case_auth,
    summary="Upload a BPMN process model for a listing (validated; the listing "
    "then runs it)",
)
def upload_bpmn(
    request: HttpRequest,
    listing_code: ListingCode,
    file: File[UploadedFile],
    name: str = Form("", max_length=200),
) -> Status:
    return Status(201, _upload_model(request, listing_code, file, name, "bpmn"))


@router.post(
    "/config/{listing_code}/dmn",
    response={201: DefinitionOut, **ERRORS},
    auth=case_auth,
    summary="Upload a DMN decision table for rule-based instant approval (秒批)",
)
def upload_dmn(
    request: HttpRequest,
    listing_code: ListingCode,
    file: File[UploadedFile],
    name: str = Form("", max_length=200),
) -> Status:
    return Status(201, _upload_model(request, listing_code, file, name, "dmn"))


# --- staff: webhooks and rectification ------------------------------------------------


@router.post(
    "/webhooks",
    response={201: WebhookOut, **ERRORS},
    auth=case_auth,
    summary="Subscribe a department system to signed status changes "
    "(the secret is shown once)",
)
def create_webhook(request: HttpRequest, payload: WebhookIn) -> Status:
    _require_staff(request)
    subscription, secret = webhooks.webhook_subscribe(
        acting_user=request.auth,
        organisation_id=payload.organisation_id,
        url=payload.url,
        events=payload.events,
    )
    return Status(201, _webhook(subscription, secret))


@router.get(
    "/webhooks",
    response={200: list[WebhookOut], **ERRORS},
    auth=case_auth,
    summary="The subscriptions of the caller's organisations",
)
def list_webhooks(request: HttpRequest) -> list[dict[str, Any]]:
    _require_staff(request)
    return [_webhook(s) for s in webhooks.subscriptions_for_user(request.auth)[:200]]


@router.delete(
    "/webhooks/{int:subscription_id}",
    response={204: None, **ERRORS},
    auth=case_auth,
    summary="End a subscription",
)
def delete_webhook(request: HttpRequest, subscription_id: ObjectId) -> Status:
    _require_staff(request)
    subscription = (
        webhooks.subscriptions_for_user(request.auth).filter(pk=subscription_id).first()
    )
    if subscription is None:
        raise NotFoundError("cases.webhook_not_found", _("订阅不存在。"))
    webhooks.webhook_unsubscribe(
        acting_user=request.auth, subscription_id=subscription.pk
    )
    return Status(204, None)


@router.get(
    "/rectifications",
    response={200: RectificationPageOut, **ERRORS},
    auth=case_auth,
    summary="Rectification orders (差评整改) of the caller's organisations",
)
def list_rectifications(
    request: HttpRequest, filters: Query[RectificationFiltersIn]
) -> dict[str, Any]:
    _require_staff(request)
    orders = ratings.rectifications_for_user(request.auth).select_related(
        "case", "organisation", "rating"
    )
    if filters.status:
        orders = orders.filter(status=filters.status)
    if filters.after:
        orders = orders.filter(pk__gt=filters.after)
    page = list(orders.order_by("pk")[: filters.limit + 1])
    more = len(page) > filters.limit
    page = page[: filters.limit]
    return {
        "items": [_rectification(o) for o in page],
        "next_cursor": page[-1].pk if more else None,
    }


@router.post(
    "/rectifications/{int:order_id}/respond",
    response={200: RectificationOut, **ERRORS},
    auth=case_auth,
    summary="Answer a rectification order",
)
def respond_rectification(
    request: HttpRequest, order_id: ObjectId, payload: RectificationRespondIn
) -> dict[str, Any]:
    _require_staff(request)
    order = ratings.rectification_respond(
        order_id=order_id, acting_user=request.auth, response=payload.response
    )
    order = RectificationOrder.objects.select_related(
        "case", "organisation", "rating"
    ).get(pk=order.pk)
    return _rectification(order)


@router.post(
    "/rectifications/{int:order_id}/callback",
    response={200: RectificationOut, **ERRORS},
    auth=case_auth,
    summary="Record the call back to the applicant after the answer (回访)",
)
def rectification_callback(
    request: HttpRequest, order_id: ObjectId, payload: RectificationCallbackIn
) -> dict[str, Any]:
    _require_staff(request)
    order = ratings.rectification_callback(
        order_id=order_id, acting_user=request.auth, note=payload.note
    )
    order = RectificationOrder.objects.select_related(
        "case", "organisation", "rating"
    ).get(pk=order.pk)
    return _rectification(order)
