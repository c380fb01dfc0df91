"""收件: the API's asynchronous submission path (``Prefer: respond-async``).

At peak hours (a subsidy's last day, the start of a school-enrolment window) a
department system or the mobile app may send applications faster than a case can
be drafted, checked, numbered, audited and announced. This path takes an
application in with the least work that still makes it safe to answer:

1. the request is checked at the door — the sender is signed in, the idempotency
   key is well formed, the listing is open for applications and the form satisfies
   the listing's schema (both from a per-process copy at most
   ``INTAKE_RULES_SECONDS`` old);
2. the application is committed as a ``CaseIntake`` row (encrypted form, the
   sender's address and request id) with its audit record, and 202 answers;
3. the ``process_pending_intakes`` task (scheduled every
   ``ZHENGWU_INTAKE_INTERVAL_SECONDS``) turns it into a case through ``services.case_apply``
   — the same service, checks and audit as the synchronous path, run as the
   applicant and recorded from the request's address — and the intake points at
   the case (``done``) or holds the reason it was refused (``rejected``; the
   applicant gets a site message).

The door's checks are a courtesy (an immediate 4xx for what is plainly wrong); the
task's checks decide. A listing withdrawn a few seconds before the intake was taken
in is refused there. Idempotent everywhere: one intake per applicant and key, one
case per intake (the case carries the same key), and a settled intake is never
settled again. No task row is written per application: the scheduled task drains
whatever is pending, so a lost task loses nothing either."""

from __future__ import annotations

import dataclasses
import datetime
import json
import time
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

import structlog

from zhengwu.catalog.facade import ListingInfo, listing_for_application
from zhengwu.core import audit
from zhengwu.core.middleware import current_request_context, request_context
from zhengwu.identity.facade import ActingFor, person_label_for_user

from . import errors
from .constants import IntakeStatus
from .errors import CaseError, field_error, not_permitted
from .forms import validate_form
from .models import CaseIntake, HandlingConfig

logger = structlog.get_logger(__name__)

SYSTEM_INTAKE = "system:intake"
# How long a process trusts its copy of a listing's "open for applications" and
# form schema at the door (the task checks again, against the database).
INTAKE_RULES_SECONDS = 10.0
_RULES_MAX = 4096


@dataclasses.dataclass(frozen=True)
class _Rules:
    listing: ListingInfo | None
    schema: dict[str, Any] | None
    expires: float
    config: HandlingConfig | None = None


_rules: dict[str, _Rules] = {}


def clear_intake_rules() -> None:
    """Forget every listing's door rules (tests; a listing changed in-process)."""
    _rules.clear()


def _rules_for(listing_code: str) -> _Rules:
    now = time.monotonic()
    cached = _rules.get(listing_code)
    if cached is not None and cached.expires > now:
        return cached
    from .services import form_schema, handling_config

    listing = listing_for_application(listing_code)
    rules = _Rules(
        listing=listing,
        schema=(form_schema(listing_code) or None) if listing is not None else None,
        expires=now + INTAKE_RULES_SECONDS,
        config=handling_config(listing_code) if listing is not None else None,
    )
    if len(_rules) >= _RULES_MAX:
        _rules.clear()
    _rules[listing_code] = rules
    return rules


def _acting_json(acting: ActingFor | None) -> dict[str, Any] | None:
    if acting is None:
        return None
    data = dataclasses.asdict(acting)
    data["item_codes"] = list(acting.item_codes)
    return data


def _acting(data: Any) -> ActingFor | None:
    if not isinstance(data, dict):
        return None
    return ActingFor(
        principal_label=str(data["principal_label"]),
        principal_name=str(data.get("principal_name", "")),
        basis=str(data["basis"]),
        basis_id=int(data["basis_id"]),
        all_items=bool(data.get("all_items")),
        item_codes=tuple(str(code) for code in data.get("item_codes") or ()),
    )


# --- taking in ----------------------------------------------------------------------


def case_intake(
    *,
    user: AbstractBaseUser,
    acting: ActingFor | None,
    listing_code: str,
    form_data: dict[str, Any],
    submission_key: str,
    handling_item_code: str = "",
) -> tuple[CaseIntake, bool]:
    """Take an application in (收件): ``(intake, True)`` when this request made it,
    ``(earlier intake, False)`` when the key was used before by this applicant."""
    from .base_records import filing_person_label
    from .services import checked_submission_key

    if user is None or not user.is_authenticated:
        raise not_permitted(_("请先登录。"))
    key = checked_submission_key(submission_key)
    try:
        form = _checked_at_the_door(
            listing_code,
            form_data,
            handling_item_code,
            principal_label=_principal_label(user, acting),
            acting_person_label=filing_person_label(user, acting),
        )
    except CaseError:
        # A retry of an application taken in earlier gets that intake's answer,
        # even if the listing or its form changed since (looked up on refusal only).
        earlier = intake_for_key(user, key)
        if earlier is None:
            raise
        return earlier, False
    context = current_request_context()
    payload = {
        "handling_item_code": handling_item_code or "",
        "form_data": form,
        "acting": _acting_json(acting),
    }
    try:
        with transaction.atomic():
            intake = CaseIntake.objects.create(
                applicant=user,
                submission_key=key,
                listing_code=listing_code,
                payload=json.dumps(payload, ensure_ascii=False),
                source_ip=context.source_ip if context else None,
                request_id=context.request_id if context else "",
            )
            audit.record(
                acting_user=user,
                event="cases.intake_received",
                target=intake,
                data={"listing_code": listing_code},
            )
    except IntegrityError:
        earlier = intake_for_key(user, key)
        if earlier is None:
            raise
        return earlier, False
    return intake, True


def _principal_label(user: AbstractBaseUser, acting: ActingFor | None) -> str:
    """Whom the application is for, as far as the door can tell (the task checks
    the right to act for it): the acting principal, else the user's person."""
    if acting is not None:
        return acting.principal_label
    return person_label_for_user(user)


def _checked_at_the_door(
    listing_code: Any,
    form_data: Any,
    handling_item_code: str,
    *,
    principal_label: str = "",
    acting_person_label: str = "",
) -> dict[str, Any]:
    """The form, when the listing is open, the form satisfies its schema and no
    necessary material must be uploaded (a material the platform fetches from
    the base records for the principal is not asked for); else the refusal
    (``CaseError``)."""
    from .base_records import fetchable_materials
    from .services import missing_materials, missing_materials_error

    rules = _rules_for(listing_code) if isinstance(listing_code, str) else None
    if rules is None or rules.listing is None:
        raise field_error(
            errors.LISTING_UNAVAILABLE,
            "listing_code",
            _("该事项不存在或当前不可申请。"),
            status=404,
        )
    form = validate_form(rules.schema, form_data)
    code = handling_item_code or ""
    required = rules.listing.required_material_names(code)
    if required:  # this path carries no files: upload them on a draft instead
        fetched = fetchable_materials(
            rules.listing,
            rules.config,
            principal_label,
            code,
            acting_person_label=acting_person_label,
        )
        missing = missing_materials(rules.listing, code, set(), exempt=set(fetched))
        if missing:
            raise missing_materials_error(missing, without_files=True)
    return form


def intake_for_key(user: AbstractBaseUser, key: str) -> CaseIntake | None:
    """The applicant's own intake with this idempotency key (nobody else's)."""
    if user is None or not user.is_authenticated or not key:
        return None
    return (
        CaseIntake.objects.filter(applicant=user, submission_key=key)
        .select_related("case")
        .first()
    )


# --- turning intakes into cases (the scheduled task) -------------------------------


def _eligible() -> Q:
    """Pending intakes not yet tried, or whose last failed try is old enough."""
    retry_before = timezone.now() - datetime.timedelta(
        seconds=settings.ZHENGWU_INTAKE_RETRY_SECONDS
    )
    return Q(status=IntakeStatus.PENDING) & (
        Q(attempts=0)
        | Q(
            attempts__lt=settings.ZHENGWU_INTAKE_MAX_ATTEMPTS,
            updated_at__lt=retry_before,
        )
    )


def process_pending_intakes(*, budget_seconds: float | None = None) -> int:
    """Make the cases of pending intakes, oldest first, one transaction each, until
    none is left or the time budget is spent; returns how many were settled. Two
    runs at once share the work (``SKIP LOCKED``). An unexpected failure leaves the
    intake pending with the attempt counted (tried again after
    ``ZHENGWU_INTAKE_RETRY_SECONDS``; after ``ZHENGWU_INTAKE_MAX_ATTEMPTS`` it stays
    for an operator, logged as ``intake_stuck``, never dropped)."""
    budget = (
        settings.ZHENGWU_INTAKE_BUDGET_SECONDS
        if budget_seconds is None
        else budget_seconds
    )
    deadline = time.monotonic() + budget
    settled = 0
    failed: list[int] = []
    while time.monotonic() < deadline:
        intake_id = None
        try:
            with transaction.atomic():
                intake = (
                    CaseIntake.objects.select_for_update(of=("self",), skip_locked=True)
                    .select_related("applicant")
                    .filter(_eligible())
                    .exclude(pk__in=failed)
                    .order_by("pk")
                    .first()
                )
                if intake is None:
                    break
                intake_id = intake.pk
                _settle(intake)
            settled += 1
        except Exception:
            if intake_id is None:
                raise
            failed.append(intake_id)
            _count_failure(intake_id)
    return settled


def _count_failure(intake_id: int) -> None:
    CaseIntake.objects.filter(pk=intake_id, status=IntakeStatus.PENDING).update(
        attempts=F("attempts") + 1, updated_at=timezone.now()
    )
    attempts = (
        CaseIntake.objects.filter(pk=intake_id)
        .values_list("attempts", flat=True)
        .first()
    )
    if attempts is not None and attempts >= settings.ZHENGWU_INTAKE_MAX_ATTEMPTS:
        logger.error("intake_stuck", intake_id=intake_id, attempts=attempts)
    else:
        logger.exception("intake_failed", intake_id=intake_id, attempts=attempts)


def _settle(intake: CaseIntake) -> None:
    """Make the case of a locked pending intake, or record why not."""
    from .notify import user_notify
    from .services import case_apply

    payload = json.loads(intake.payload)
    acting = _acting(payload.get("acting"))
    with (
        request_context(source_ip=intake.source_ip, request_id=intake.request_id),
        audit.acting_for(acting.principal_label if acting is not None else ""),
    ):
        try:
            with transaction.atomic():  # a refusal rolls back its own writes
                case = case_apply(
                    user=intake.applicant,
                    acting=acting,
                    listing_code=intake.listing_code,
                    form_data=payload.get("form_data") or {},
                    handling_item_code=payload.get("handling_item_code") or "",
                    submission_key=intake.submission_key,
                )
        except CaseError as error:
            intake.status = IntakeStatus.REJECTED
            intake.error = {
                "code": error.code,
                "message": str(error.message),
                "fields": {k: [str(m) for m in v] for k, v in error.fields.items()},
                "status": error.status,
            }
            audit.record(
                acting_user=None,
                actor_label=SYSTEM_INTAKE,
                event="cases.intake_rejected",
                target=intake,
                data={"code": error.code},
            )
            user_notify(
                recipient=intake.applicant,
                event="intake_rejected",
                reference=f"intake:{intake.pk}:rejected",
                title=_("申请未能受理"),
                body=_("您提交的申请（幂等键 %(key)s）未能生成办件：%(reason)s")
                % {"key": intake.submission_key, "reason": error.message},
            )
        else:
            intake.status = IntakeStatus.DONE
            intake.case = case
    intake.attempts += 1
    intake.processed_at = timezone.now()
    intake.save(
        update_fields=[
            "status",
            "case",
            "error",
            "attempts",
            "processed_at",
            "updated_at",
        ]
    )
    logger.info("intake_processed", intake_id=intake.pk, status=intake.status)
