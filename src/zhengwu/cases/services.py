"""The lifecycle of a case (办件): draft, submission, materials, acceptance,
supplement, refusal, withdrawal, 秒批, decision, counter and service-point
channels, bundles, clock pauses and extensions, and the online-handling settings
of a listing. Every write is a service: keyword-only, one transaction, checked
against ``constants.TRANSITIONS``, audited in the same transaction."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

import structlog

from zhengwu.catalog.facade import ListingInfo, listing_for_application
from zhengwu.core import audit
from zhengwu.core.models import Organisation
from zhengwu.identity.facade import (
    ActingFor,
    StaffRole,
    applicant_profile,
    counter_visit_info,
    may_act_for,
    person_label_for_user,
    staff_scope,
    user_principal_labels,
)

from . import deadlines, errors
from .constants import (
    TRANSITIONS,
    BaseRecordKind,
    CaseStatus,
    Channel,
    Credibility,
    DeadlineState,
    ExtensionStatus,
    PauseKind,
    ProcessTemplate,
    TaskStatus,
)
from .errors import CaseError, field_error, invalid_transition, not_permitted
from .files import store_file
from .forms import check_draft, schema_errors, validate_form
from .models import (
    BundleDefinition,
    Case,
    CaseBundle,
    CaseMaterial,
    CaseTask,
    ClockPause,
    Extension,
    HandlingConfig,
    SupplementRequest,
)
from .numbers import case_number
from .selectors import applicant_q, cases_for_user, submission_for_key
from .staff_rights import ACCEPTING_ROLES, staff_handles_case

logger = structlog.get_logger(__name__)

SUBMISSION_KEY_MAX = 64
TEXT_MAX = 2000
SYSTEM_DEADLINES = "system:deadlines"
SYSTEM_RULES = "system:rules"


# --- side channels (helper B2's modules, called from here only) ---------------------


def _announce(case: Case, event: str, *, first: bool = False) -> None:
    """Tell the applicant and subscribed department systems (same transaction);
    ``first``: the event cannot have happened to the case before (notify.case_notify)."""
    from .notify import case_notify
    from .webhooks import webhook_case_event

    case_notify(case=case, event=event, first=first)
    webhook_case_event(case=case, event=event)


def _payment_order(case: Case, acting_user: AbstractBaseUser | None) -> None:
    from .payments import payment_order_for_case

    payment_order_for_case(case=case, acting_user=acting_user)


def _is_paid(case: Case) -> bool:
    from .payments import case_is_paid

    return case_is_paid(case)


def _decision_document(case: Case) -> None:
    from .documents import decision_document_create

    decision_document_create(case=case)


def _issue_licence(case: Case, acting_user: AbstractBaseUser | None) -> None:
    from .licences import issue_case_licence

    issue_case_licence(case, acting_user=acting_user)


def _record_licence_uses(case: Case, acting_user: AbstractBaseUser | None) -> None:
    from .licences import record_licence_uses

    record_licence_uses(case, acting_user=acting_user)


def _workflows():
    from zhengwu.workflows import facade

    return facade


# --- helpers ----------------------------------------------------------------------


def subject(case: Case) -> str:
    return f"case:{case.pk}"


def _text(value: Any, field: str, *, required: bool, max_length: int = TEXT_MAX) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise field_error(errors.INVALID_INPUT, field, _("必填。"))
    if len(text) > max_length:
        raise field_error(
            errors.INVALID_INPUT, field, _("不能超过%(n)s个字符。") % {"n": max_length}
        )
    if any(not ch.isprintable() and ch not in "\n\r\t" for ch in text):
        raise field_error(errors.INVALID_INPUT, field, _("不能包含控制字符。"))
    return text


def _listing(code: Any) -> ListingInfo:
    listing = listing_for_application(code) if isinstance(code, str) else None
    if listing is None:
        raise field_error(
            errors.LISTING_UNAVAILABLE,
            "listing_code",
            _("该事项不存在或当前不可申请。"),
            status=404,
        )
    return listing


def handling_config(listing_code: str) -> HandlingConfig | None:
    return HandlingConfig.objects.filter(listing_code=listing_code).first()


def form_schema(listing_code: str) -> dict[str, Any]:
    config = handling_config(listing_code)
    return config.form_schema if config is not None and config.form_schema else {}


def _transition(case: Case, target: str) -> None:
    if target not in TRANSITIONS[case.status]:
        raise invalid_transition(case.status, target=target)
    case.status = target


def _principal(
    user: AbstractBaseUser,
    acting: ActingFor | None,
    listing_code: str,
    principal_label: str = "",
) -> tuple[str, str]:
    """(principal label, channel) of an application by ``user``: for themself,
    for an entity they represent, under an authorisation (a village service-point
    clerk: the service-point channel) or at a counter visit (counter channel)."""
    if user is None or not user.is_authenticated:
        raise not_permitted(_("请先登录。"))
    if acting is not None:
        if acting.basis == "counter":
            visit = counter_visit_info(user, acting.basis_id)
            if visit is None or visit.principal_label != acting.principal_label:
                raise not_permitted(_("窗口代办已结束，请重新查验申请人证件。"))
            return visit.principal_label, Channel.COUNTER
        if not may_act_for(user, acting.principal_label, listing_code[19:]):
            raise not_permitted(_("您未获得办理该事项的授权。"))
        if staff_scope(user).service_point_organisation_ids:
            return acting.principal_label, Channel.SERVICE_POINT
        return acting.principal_label, Channel.ONLINE
    own = user_principal_labels(user)
    if principal_label:
        if principal_label not in own:
            raise not_permitted(_("您不能以该主体身份申请。"))
        return principal_label, Channel.ONLINE
    label = person_label_for_user(user)
    if not label:
        raise not_permitted(_("请以实名认证的个人账户申请。"))
    return label, Channel.ONLINE


def _applicant_case(
    user: AbstractBaseUser, acting: ActingFor | None, case_id: Any
) -> Case:
    """The case locked for an applicant-side change; 404 for anyone else."""
    try:
        pk = int(case_id)
    except (TypeError, ValueError):
        raise errors.not_found() from None
    if user is None or not user.is_authenticated or not 0 < pk < 2**63:
        raise errors.not_found()
    case = (
        Case.objects.select_for_update()
        .filter(applicant_q(user, acting), pk=pk)
        .first()
    )
    if case is None:
        raise errors.not_found()
    return case


def _staff_case(
    user: AbstractBaseUser,
    case_id: Any,
    roles: tuple[str, ...] = ACCEPTING_ROLES,
) -> Case:
    """The case locked for a staff action: 404 when the user cannot see it, 403
    when they see it but hold none of ``roles`` in its organisation and scope."""
    try:
        pk = int(case_id)
    except (TypeError, ValueError):
        raise errors.not_found() from None
    if not 0 < pk < 2**63:
        raise errors.not_found()
    visible = cases_for_user(user).filter(pk=pk).exists()
    if not visible:
        raise errors.not_found()
    case = Case.objects.select_for_update().select_related("division").get(pk=pk)
    if not staff_handles_case(user, case, roles=roles):
        raise not_permitted()
    return case


def _validated_form(listing_code: str, form_data: Any) -> dict[str, Any]:
    return validate_form(form_schema(listing_code) or None, form_data)


def _submission_context(case: Case) -> tuple[ListingInfo, HandlingConfig | None]:
    """The listing and handling settings of a draft being submitted: those the
    draft was just saved with in this request (``case_apply``: no second lookup),
    else looked up once."""
    saved = getattr(case, "_draft_context", None)
    if saved is not None:
        return saved
    return _listing(case.listing_code), handling_config(case.listing_code)


def checked_submission_key(value: Any) -> str:
    key = value.strip() if isinstance(value, str) else ""
    if not key:
        raise field_error(
            errors.SUBMISSION_KEY_REQUIRED, "submission_key", _("缺少提交幂等键。")
        )
    if len(key) > SUBMISSION_KEY_MAX or not key.isprintable():
        raise field_error(
            errors.INVALID_INPUT,
            "submission_key",
            _("提交幂等键应为不超过64个可见字符。"),
        )
    return key


# --- drafts and submission --------------------------------------------------------


@transaction.atomic
def case_draft_save(
    *,
    user: AbstractBaseUser,
    acting: ActingFor | None,
    listing_code: str,
    form_data: dict[str, Any],
    handling_item_code: str = "",
    case_id: int | None = None,
    principal_label: str = "",
) -> Case:
    """Create or update a draft. A draft keeps whatever was typed (checked for size
    and control characters only); the form is validated at submission."""
    return _draft_save(
        user=user,
        acting=acting,
        listing_code=listing_code,
        form_data=form_data,
        handling_item_code=handling_item_code,
        case_id=case_id,
        principal_label=principal_label,
    )


def _draft_save(
    *,
    user: AbstractBaseUser,
    acting: ActingFor | None,
    listing_code: str,
    form_data: dict[str, Any],
    handling_item_code: str = "",
    case_id: int | None = None,
    principal_label: str = "",
) -> Case:
    """case_draft_save in the caller's transaction (case_apply: no savepoint)."""
    check_draft(form_data)
    handling_item_code = _text(
        handling_item_code, "handling_item_code", required=False, max_length=8
    )
    if case_id is not None:
        case = _applicant_case(user, acting, case_id)
        if case.status != CaseStatus.DRAFT:
            raise invalid_transition(case.status)
        case.form_data = form_data
        case.handling_item_code = handling_item_code or case.handling_item_code
        case.save(update_fields=["form_data", "handling_item_code", "updated_at"])
        audit.record(acting_user=user, event="cases.draft_saved", target=case)
        return case
    listing = _listing(listing_code)
    if handling_item_code and handling_item_code not in {
        h.code for h in listing.guide.handling_items
    }:
        raise field_error(
            errors.INVALID_INPUT, "handling_item_code", _("不是该事项的业务办理项。")
        )
    label, channel = _principal(user, acting, listing.code, principal_label)
    profile = applicant_profile(user, label)
    if profile is None:
        raise not_permitted(_("申请主体不存在。"))
    guide = listing.guide
    config = handling_config(listing.code)
    case = Case(
        listing_code=listing.code,
        listing_version=listing.version_number,
        item_name=listing.item_name[:200],
        handling_item_code=handling_item_code,
        organisation_id=listing.organisation_id,
        division_id=listing.division_id,
        applicant=user,
        principal_label=label,
        applicant_name=profile.name[:200],
        applicant_id_masked=profile.id_masked[:40],
        contact_mobile=profile.mobile if "*" not in profile.mobile else "",
        channel=channel,
        submitted_by=user if channel != Channel.ONLINE else None,
        form_data=form_data,
        is_instant=guide.case_type == "instant"
        or (config is not None and config.process_template == ProcessTemplate.INSTANT),
        limit_days=guide.promised_limit.days,
        limit_unit=guide.promised_limit.unit,
        legal_limit_days=guide.legal_limit.days,
        requires_payment=bool(
            guide.is_fee
            and config is not None
            and any(
                int(f.get("amount_fen", 0) or 0) > 0 for f in config.fee_items or []
            )
        ),
    )
    case.save(force_insert=True)
    case._draft_context = (listing, config)  # type: ignore[attr-defined]
    audit.record(
        acting_user=user,
        event="cases.draft_saved",
        target=case,
        on_behalf_of=label if label not in user_principal_labels(user) else "",
        data={"listing_code": listing.code, "channel": channel},
    )
    return case


def _replayed(case: Case) -> Case:
    case.replayed = True  # type: ignore[attr-defined]
    return case


def missing_materials_error(
    missing: list[str], *, without_files: bool = False
) -> CaseError:
    """The refusal of an application lacking necessary materials (the same on
    the synchronous path and at the asynchronous intake door, which carries no
    files: ``without_files`` tells the applicant to upload on a draft)."""
    names = "、".join(missing)
    message = (
        _("该事项须上传申请材料（%(names)s），请先保存草稿并上传后提交。")
        if without_files
        else _("缺少必要的申请材料：%(names)s。")
    ) % {"names": names}
    return CaseError(
        errors.MISSING_MATERIALS,
        message,
        fields={
            "materials": [_("请上传“%(name)s”。") % {"name": name} for name in missing]
        },
        status=422,
        missing=list(missing),
    )


def missing_materials(
    listing: ListingInfo,
    handling_item_code: str,
    present: set[str],
    *,
    exempt: set[str] | frozenset[str] = frozenset(),
) -> list[str]:
    """The guide's necessary materials neither handed in nor ``exempt`` (fetched
    from the base records), in guide order."""
    return [
        name
        for name in listing.required_material_names(handling_item_code)
        if name not in present and name not in exempt
    ]


def _fetch_base_records(
    case: Case,
    listing: ListingInfo,
    config: HandlingConfig | None,
    user: AbstractBaseUser,
) -> None:
    from .base_records import fetch_base_record_materials

    fetch_base_record_materials(case, listing, config, acting_user=user)


def _check_materials(case: Case, listing: ListingInfo) -> None:
    present = set(case.materials.values_list("material_name", flat=True))
    missing = missing_materials(listing, case.handling_item_code, present)
    if missing:
        raise missing_materials_error(missing)


def _do_submit(case: Case, *, user: AbstractBaseUser, key: str) -> Case:
    """Submit a locked draft: validate, number, acceptance limit, 秒批."""
    listing, config = _submission_context(case)
    schema = config.form_schema if config is not None and config.form_schema else None
    case.form_data = validate_form(schema, case.form_data)
    _fetch_base_records(case, listing, config, user)
    _check_materials(case, listing)
    _transition(case, CaseStatus.SUBMITTED)
    now = timezone.now()
    case.submission_key = key
    case.submitted_at = now
    case.number = case_number(case.listing_code, now)
    case.acceptance_due_on = deadlines.acceptance_due(deadlines.local_day(now))
    mobile = case.form_data.get("contact_mobile")
    if isinstance(mobile, str) and mobile and not case.contact_mobile:
        case.contact_mobile = mobile
    case.save(
        update_fields=[
            "status",
            "submission_key",
            "submitted_at",
            "number",
            "acceptance_due_on",
            "form_data",
            "contact_mobile",
            "updated_at",
        ]
    )
    audit.record(
        acting_user=user,
        event="cases.submitted",
        target=case,
        data={"number": case.number, "channel": case.channel},
    )
    _record_licence_uses(case, user)
    # A draft is submitted once (draft -> submitted only), under its row lock.
    _announce(case, "submitted", first=True)
    _instant_decision(case, config)
    return case


def case_submit(
    *,
    user: AbstractBaseUser,
    acting: ActingFor | None,
    case_id: int,
    submission_key: str,
    channel: str = Channel.ONLINE,
) -> Case:
    """Submit a draft. Idempotent: the same ``submission_key`` again returns the
    case submitted with it (``case.replayed`` is True), however often it comes."""
    key = checked_submission_key(submission_key)
    existing = submission_for_key(user, key)
    if existing is not None:
        return _replayed(existing)
    try:
        with transaction.atomic():
            case = _applicant_case(user, acting, case_id)
            if case.status != CaseStatus.DRAFT:
                if case.submission_key == key:
                    return _replayed(case)
                raise invalid_transition(case.status)
            return _do_submit(case, user=user, key=key)
    except IntegrityError:
        existing = submission_for_key(user, key)
        if existing is None:
            raise
        return _replayed(existing)


def case_apply(
    *,
    user: AbstractBaseUser,
    acting: ActingFor | None,
    listing_code: str,
    form_data: dict[str, Any],
    submission_key: str,
    handling_item_code: str = "",
    principal_label: str = "",
    materials: list[dict[str, Any]] | None = None,
    reuse: list[dict[str, Any]] | None = None,
    licences: list[dict[str, Any]] | None = None,
) -> Case:
    """Draft and submit in one (the API): ``materials`` are uploads
    ({material_name, filename, content}), ``reuse`` earlier materials
    ({material_name, source_material_id}), ``licences`` valid electronic licences
    used instead ({material_name, licence_identifier, consent}). Idempotent on
    ``submission_key``."""
    key = checked_submission_key(submission_key)
    existing = submission_for_key(user, key)
    if existing is not None:
        return _replayed(existing)
    try:
        with transaction.atomic():
            case = _draft_save(
                user=user,
                acting=acting,
                listing_code=listing_code,
                form_data=form_data,
                handling_item_code=handling_item_code,
                principal_label=principal_label,
            )
            for item in materials or []:
                material_upload(
                    user=user,
                    acting=acting,
                    case_id=case.pk,
                    material_name=item.get("material_name", ""),
                    filename=item.get("filename", ""),
                    content=item.get("content", b""),
                )
            for item in reuse or []:
                material_reuse(
                    user=user,
                    acting=acting,
                    case_id=case.pk,
                    material_name=item.get("material_name", ""),
                    source_material_id=item.get("source_material_id"),
                )
            for item in licences or []:
                from .licences import material_licence_use

                material_licence_use(
                    user=user,
                    acting=acting,
                    case_id=case.pk,
                    material_name=item.get("material_name", ""),
                    licence_identifier=item.get("licence_identifier", ""),
                    consent=item.get("consent") is True,
                )
            if materials or reuse or licences:  # the draft row changed: read again
                case = Case.objects.select_for_update().get(pk=case.pk)
            # else the row inserted above, unseen by any other transaction
            return _do_submit(case, user=user, key=key)
    except IntegrityError:
        existing = submission_for_key(user, key)
        if existing is None:
            raise
        return _replayed(existing)


# --- materials --------------------------------------------------------------------


def _material_name(case: Case, name: Any) -> str:
    name = _text(name, "material_name", required=True, max_length=200)
    listing = listing_for_application(case.listing_code)
    known = {m.name for m in listing.guide.materials} if listing is not None else set()
    requested = {
        item.get("material", "")
        for s in case.supplements.all()
        for item in (s.items or [])
        if isinstance(item, dict)
    }
    if known and name not in known | requested and name != _("其他材料"):
        raise field_error(
            errors.INVALID_INPUT,
            "material_name",
            _("“%(name)s”不是办事指南列出的材料。") % {"name": name[:50]},
        )
    return name


def _material_editable(case: Case) -> None:
    if case.status not in {CaseStatus.DRAFT, CaseStatus.SUPPLEMENT_REQUESTED}:
        raise invalid_transition(case.status)


def _credibility(user: AbstractBaseUser, case: Case) -> str:
    """B: checked at a counter or service point by staff; C: the applicant's own."""
    if case.channel in {Channel.COUNTER, Channel.SERVICE_POINT} and (
        staff_scope(user).has_staff_role
    ):
        return Credibility.B
    return Credibility.C


@transaction.atomic
def material_upload(
    *,
    user: AbstractBaseUser,
    acting: ActingFor | None,
    case_id: int,
    material_name: str,
    filename: str,
    content: bytes,
) -> CaseMaterial:
    case = _applicant_case(user, acting, case_id)
    _material_editable(case)
    name = _material_name(case, material_name)
    stored = store_file(content=content, filename=filename, owner=user)
    material = CaseMaterial.objects.create(
        case=case,
        material_name=name,
        file=stored,
        credibility=_credibility(user, case),
        supplement_round=case.supplements.count(),
        uploaded_by=user,
    )
    audit.record(
        acting_user=user,
        event="cases.material_added",
        target=case,
        data={
            "material": name,
            "file": str(stored.pk),
            "sm3": stored.sm3,
            "size": stored.size,
            "credibility": material.credibility,
        },
    )
    return material


@transaction.atomic
def material_reuse(
    *,
    user: AbstractBaseUser,
    acting: ActingFor | None,
    case_id: int,
    material_name: str,
    source_material_id: Any,
) -> CaseMaterial:
    """Reuse a material of an earlier submitted case of the same principal: a new
    material pointing to the same stored file."""
    case = _applicant_case(user, acting, case_id)
    _material_editable(case)
    name = _material_name(case, material_name)
    try:
        source_pk = int(source_material_id)
    except (TypeError, ValueError):
        source_pk = 0
    source = (
        CaseMaterial.objects.filter(
            pk=source_pk,
            licence_identifier="",  # a licence is used afresh, not copied
            base_record_kind="",  # so is a base record, fetched anew
            case__in=Case.objects.filter(
                applicant_q(user, acting), principal_label=case.principal_label
            ).exclude(status=CaseStatus.DRAFT),
        )
        .exclude(case=case)
        .select_related("file")
        .first()
        if 0 < source_pk < 2**63
        else None
    )
    if source is None:
        raise field_error(
            errors.INVALID_INPUT,
            "source_material_id",
            _("找不到可复用的材料。"),
            status=404,
        )
    material = CaseMaterial.objects.create(
        case=case,
        material_name=name,
        file=source.file,
        credibility=source.credibility,
        reused_from=source,
        supplement_round=case.supplements.count(),
        uploaded_by=user,
    )
    audit.record(
        acting_user=user,
        event="cases.material_reused",
        target=case,
        data={
            "material": name,
            "from_case": source.case_id,
            "file": str(source.file_id),
        },
    )
    return material


@transaction.atomic
def material_remove(
    *, user: AbstractBaseUser, acting: ActingFor | None, material_id: int
) -> None:
    """Remove a material from a draft (or during a supplement, one of this round)."""
    material = (
        CaseMaterial.objects.filter(
            pk=material_id, case__in=Case.objects.filter(applicant_q(user, acting))
        )
        .select_related("case")
        .first()
    )
    if material is None:
        raise errors.not_found()
    case = Case.objects.select_for_update().get(pk=material.case_id)
    _material_editable(case)
    if case.status != CaseStatus.DRAFT and material.supplement_round < (
        case.supplements.count()
    ):
        raise invalid_transition(case.status)
    material.delete()
    audit.record(
        acting_user=user,
        event="cases.material_removed",
        target=case,
        data={"material": material.material_name, "file": str(material.file_id)},
    )


# --- acceptance -----------------------------------------------------------------


def _task_division_id(organisation_id: int, case: Case) -> int:
    if organisation_id == case.organisation_id:
        return case.division_id
    return Organisation.objects.values_list("division_id", flat=True).get(
        pk=organisation_id
    )


def create_tasks(case: Case, ready: list[Any]) -> list[CaseTask]:
    """CaseTask rows for the process's ready user tasks not yet on the case."""
    known = set(
        CaseTask.objects.filter(case=case).values_list("workflow_task_id", flat=True)
    )
    made = []
    for task in ready:
        if task.task_id in known:
            continue
        organisation_id = case.organisation_id
        if task.branch and str(task.branch).isdigit():
            organisation_id = int(task.branch)
        made.append(
            CaseTask.objects.create(
                case=case,
                node=task.node[:100],
                workflow_task_id=task.task_id,
                name=(task.name or task.node)[:100],
                role=(task.role or "reviewer")[:30],
                organisation_id=organisation_id,
                division_id=_task_division_id(organisation_id, case),
                **deadlines.task_deadline(case),
            )
        )
    return made


def _departments(case: Case, config: HandlingConfig | None) -> list[int]:
    if config is not None and config.parallel_organisation_ids:
        ids = [int(i) for i in config.parallel_organisation_ids]
        return ids if case.organisation_id in ids else [case.organisation_id, *ids]
    return [case.organisation_id]


def _start_process(case: Case, acting_user: AbstractBaseUser | None) -> None:
    config = handling_config(case.listing_code)
    template = ProcessTemplate.INSTANT if case.is_instant else ProcessTemplate.SINGLE
    definition_key = ""
    if config is not None:
        if config.process_template == ProcessTemplate.CUSTOM and config.process_key:
            definition_key, template = config.process_key, ""
        elif config.process_template != ProcessTemplate.CUSTOM:
            template = config.process_template
    flow = _workflows()
    ready = flow.start(
        subject=subject(case),
        template=template,
        definition_key=definition_key,
        data={"form": case.form_data, "departments": _departments(case, config)},
    )
    create_tasks(case, ready)
    if not ready and flow.is_completed(subject=subject(case)):
        # 即办件 with no user task: decided on the spot by whoever accepted it.
        outcome = str(
            flow.process_data(subject=subject(case)).get("outcome", "approve")
        )
        _decide(
            case,
            approve=outcome != "deny",
            opinion=_("即办件，当场办结。"),
            acting_user=acting_user,
        )


def _accept(
    case: Case,
    *,
    acting_user: AbstractBaseUser | None,
    accepted_at: datetime.datetime,
    opinion: str = "",
    by_law: bool = False,
) -> Case:
    _transition(case, CaseStatus.ACCEPTED)
    case.accepted_at = accepted_at
    deadlines.apply(case)
    case.save(
        update_fields=[
            "status",
            "accepted_at",
            "due_on",
            "warn_on",
            "deadline_state",
            "updated_at",
        ]
    )
    audit.record(
        acting_user=acting_user,
        actor_label=SYSTEM_DEADLINES if by_law else "",
        event="cases.accepted",
        target=case,
        data={
            "opinion": opinion,
            "due_on": case.due_on.isoformat() if case.due_on else None,
            "by_law": by_law,
        },
    )
    _payment_order(case, acting_user)
    _announce(case, "accepted")
    _start_process(case, acting_user)
    return case


@transaction.atomic
def case_accept(
    *, case_id: int, acting_user: AbstractBaseUser, opinion: str = ""
) -> Case:
    """受理: by a reviewer or counter clerk of the case's organisation in scope.
    A bundle is accepted once: accepting one of its cases accepts them all."""
    opinion = _text(opinion, "opinion", required=False)
    case = _staff_case(acting_user, case_id)
    if CaseStatus.ACCEPTED not in TRANSITIONS[case.status]:
        raise invalid_transition(case.status)
    now = timezone.now()
    if case.bundle_id is not None:
        others = (
            Case.objects.select_for_update()
            .filter(bundle_id=case.bundle_id, status=CaseStatus.SUBMITTED)
            .exclude(pk=case.pk)
            .order_by("pk")
        )
        for other in others:
            _accept(other, acting_user=acting_user, accepted_at=now, opinion=opinion)
    return _accept(case, acting_user=acting_user, accepted_at=now, opinion=opinion)


def case_accept_by_law(*, case_id: int, on: datetime.date | None = None) -> bool:
    """第32条第4项: a submitted case not answered by its acceptance limit counts as
    accepted from receipt. Run by the scheduled refresh; audited as the system."""
    with transaction.atomic():
        case = (
            Case.objects.select_for_update()
            .filter(pk=case_id, status=CaseStatus.SUBMITTED)
            .first()
        )
        if case is None or case.acceptance_due_on is None:
            return False
        if (on or deadlines.today()) <= case.acceptance_due_on:
            return False
        _accept(
            case,
            acting_user=None,
            accepted_at=case.submitted_at or timezone.now(),
            opinion=_("受理期限届满未作答复，依法自收到申请之日起视为受理。"),
            by_law=True,
        )
        return True


@transaction.atomic
def case_request_supplement(
    *,
    case_id: int,
    acting_user: AbstractBaseUser,
    items: list[dict[str, Any]],
    note: str = "",
) -> Case:
    """一次性告知: everything to correct, at once."""
    if not isinstance(items, list) or not items:
        raise field_error(
            errors.INVALID_INPUT, "items", _("请列出需要补正的全部内容。")
        )
    cleaned = []
    for index, item in enumerate(items[:50]):
        if not isinstance(item, dict):
            raise field_error(errors.INVALID_INPUT, f"items.{index}", _("格式不正确。"))
        cleaned.append(
            {
                "material": _text(
                    item.get("material", ""),
                    f"items.{index}.material",
                    required=False,
                    max_length=200,
                ),
                "reason": _text(
                    item.get("reason", ""), f"items.{index}.reason", required=True
                ),
            }
        )
    note = _text(note, "note", required=False)
    case = _staff_case(acting_user, case_id)
    _transition(case, CaseStatus.SUPPLEMENT_REQUESTED)
    case.save(update_fields=["status", "updated_at"])
    request = SupplementRequest.objects.create(
        case=case, items=cleaned, note=note, requested_by=acting_user
    )
    audit.record(
        acting_user=acting_user,
        event="cases.supplement_requested",
        target=case,
        data={"items": cleaned, "note": note, "request": request.pk},
    )
    _announce(case, "supplement_requested")
    return case


@transaction.atomic
def case_supplement(
    *,
    user: AbstractBaseUser,
    acting: ActingFor | None,
    case_id: int,
    form_data: dict[str, Any] | None = None,
    note: str = "",
) -> Case:
    """The applicant's answer to a supplement request: the case is submitted again
    (a new 5-day acceptance limit from today)."""
    note = _text(note, "note", required=False)
    case = _applicant_case(user, acting, case_id)
    if case.status != CaseStatus.SUPPLEMENT_REQUESTED:
        raise invalid_transition(case.status)
    if form_data is not None:
        case.form_data = _validated_form(case.listing_code, form_data)
    _transition(case, CaseStatus.SUBMITTED)
    case.acceptance_due_on = deadlines.acceptance_due(deadlines.today())
    case.save(update_fields=["status", "form_data", "acceptance_due_on", "updated_at"])
    SupplementRequest.objects.filter(case=case, answered_at__isnull=True).update(
        answered_at=timezone.now()
    )
    audit.record(
        acting_user=user,
        event="cases.supplemented",
        target=case,
        data={"note": note, "form_changed": form_data is not None},
    )
    _announce(case, "supplemented")
    return case


@transaction.atomic
def case_not_accept(
    *, case_id: int, acting_user: AbstractBaseUser, reason: str, legal_basis: str
) -> Case:
    """不予受理, with the reason and the legal basis."""
    reason = _text(reason, "reason", required=True)
    legal_basis = _text(legal_basis, "legal_basis", required=True)
    case = _staff_case(acting_user, case_id)
    _transition(case, CaseStatus.NOT_ACCEPTED)
    case.decision_opinion = reason
    case.legal_basis = legal_basis
    case.decided_at = timezone.now()
    case.decided_by = acting_user
    case.deadline_state = DeadlineState.NONE
    case.save(
        update_fields=[
            "status",
            "decision_opinion",
            "legal_basis",
            "decided_at",
            "decided_by",
            "deadline_state",
            "updated_at",
        ]
    )
    audit.record(
        acting_user=acting_user,
        event="cases.not_accepted",
        target=case,
        data={"reason": reason, "legal_basis": legal_basis},
    )
    _announce(case, "not_accepted")
    return case


@transaction.atomic
def case_withdraw(
    *, user: AbstractBaseUser, acting: ActingFor | None, case_id: int
) -> Case:
    case = _applicant_case(user, acting, case_id)
    _transition(case, CaseStatus.WITHDRAWN)
    case.deadline_state = DeadlineState.NONE
    case.save(update_fields=["status", "deadline_state", "updated_at"])
    CaseTask.objects.filter(
        case=case, status__in=[TaskStatus.OPEN, TaskStatus.CLAIMED]
    ).update(status=TaskStatus.CANCELLED, updated_at=timezone.now())
    audit.record(acting_user=user, event="cases.withdrawn", target=case)
    _announce(case, "withdrawn")
    return case


@transaction.atomic
def case_discard_draft(
    *, user: AbstractBaseUser, acting: ActingFor | None, case_id: int
) -> None:
    """Delete a draft (never submitted, so it has no number and no history to keep
    beyond the audit record)."""
    case = _applicant_case(user, acting, case_id)
    if case.status != CaseStatus.DRAFT:
        raise invalid_transition(case.status)
    audit.record(
        acting_user=user,
        event="cases.draft_discarded",
        target=case,
        data={"listing_code": case.listing_code},
    )
    case.materials.all().delete()
    case.delete()


# --- decision -------------------------------------------------------------------


def _decide(
    case: Case,
    *,
    approve: bool,
    opinion: str,
    acting_user: AbstractBaseUser | None,
    rule: str = "",
) -> Case:
    if not _is_paid(case):
        raise CaseError(
            errors.PAYMENT_REQUIRED,
            _("申请人尚未缴费，暂不能作出决定。"),
            status=409,
        )
    _transition(case, CaseStatus.APPROVED if approve else CaseStatus.DENIED)
    case.decided_at = timezone.now()
    case.decided_by = (
        acting_user
        if acting_user is not None and acting_user.is_authenticated
        else None
    )
    case.decision_opinion = opinion
    case.decided_by_rule = rule[:200]
    case.deadline_state = DeadlineState.NONE
    case.save(
        update_fields=[
            "status",
            "decided_at",
            "decided_by",
            "decision_opinion",
            "decided_by_rule",
            "deadline_state",
            "updated_at",
        ]
    )
    audit.record(
        acting_user=acting_user,
        actor_label=SYSTEM_RULES if rule else "",
        event="cases.instant_decided" if rule else "cases.decided",
        target=case,
        data={
            "outcome": "approve" if approve else "deny",
            "opinion": opinion,
            "rule": rule,
        },
    )
    if approve:
        _issue_licence(case, acting_user)
    _decision_document(case)
    _announce(case, "decided")
    if case.bundle_id is not None:
        _bundle_finished(case)
    return case


def _bundle_finished(case: Case) -> None:
    """When the last case of a bundle is decided, record the combined result."""
    from .selectors import bundle_result

    bundle = CaseBundle.objects.select_for_update().get(pk=case.bundle_id)
    result = bundle_result(bundle)
    if result == "pending":
        return
    audit.record(
        acting_user=None,
        actor_label="system:bundles",
        event="cases.bundle_decided",
        target=bundle,
        data={"number": bundle.number, "result": result},
    )


def _decision_facts(case: Case) -> dict[str, Any]:
    """The facts a 秒批 decision table sees: ``form`` (what the applicant typed),
    ``base`` (the principal's base records: the age from the verified ID number,
    never a declared one) and ``applicant`` (kind, credit code, channel)."""
    from zhengwu.identity.facade import base_record_facts

    profile = applicant_profile(case.applicant, case.principal_label)
    return {
        "form": case.form_data,
        "base": base_record_facts(case.applicant, case.principal_label),
        "applicant": {
            "kind": profile.kind if profile else "",
            "entity_code": profile.entity_code if profile else "",
            "channel": case.channel,
        },
    }


def _instant_decision(case: Case, config: HandlingConfig | None) -> None:
    """秒批: the listing's decision table over the form data and base-record facts.
    A matching approve rule accepts and approves at once (no human step); no match
    leaves the case to the normal flow."""
    if config is None or not config.decision_key:
        return
    decision = _workflows().decide(
        decision_key=config.decision_key, data=_decision_facts(case)
    )
    outcome = str(
        decision.outputs.get("outcome", decision.outputs.get("result", "approve"))
    ).lower()
    if not decision.matched or outcome not in {"approve", "approved", "true", "准予"}:
        logger.info("case_instant_no_match", case_id=case.pk)
        return
    rule = decision.rule_label or decision.rule_id or config.decision_key
    try:
        with transaction.atomic():  # a refused licence undoes the approval only
            now = timezone.now()
            _transition(case, CaseStatus.ACCEPTED)
            case.accepted_at = now
            case.save(update_fields=["status", "accepted_at", "updated_at"])
            audit.record(
                acting_user=None,
                actor_label=SYSTEM_RULES,
                event="cases.accepted",
                target=case,
                data={"rule": decision.rule_id, "instant": True},
            )
            _decide(
                case,
                approve=True,
                opinion=str(
                    decision.outputs.get("opinion") or _("符合秒批规则，自动准予。")
                ),
                acting_user=None,
                rule=rule,
            )
    except CaseError as error:
        if error.code != errors.LICENCE_NOT_ISSUED:
            raise
        _instant_fallback(case, rule=rule, error=error)


def _instant_fallback(case: Case, *, rule: str, error: CaseError) -> None:
    """秒批 matched but the licence could not be issued (no active seal, face
    data missing …): the case is not refused and not lost; it stays submitted
    for manual review (acceptance, then the reviewer's decision), with the
    reason audited."""
    case.refresh_from_db()  # as the rolled-back savepoint left it: submitted
    audit.record(
        acting_user=None,
        actor_label=SYSTEM_RULES,
        event="cases.instant_fell_back",
        target=case,
        data={
            "rule": rule,
            "code": error.code,
            "licence_code": str(error.context.get("licence_code", "")),
            "reason": str(error.message),
            "fields": sorted(error.fields),
        },
    )
    logger.warning(
        "case_instant_fell_back",
        case_id=case.pk,
        licence_code=error.context.get("licence_code", ""),
    )


def case_decide_from_task(
    case: Case, *, approve: bool, opinion: str, acting_user: AbstractBaseUser
) -> Case:
    """Called by the workbench when the decision task is completed."""
    return _decide(case, approve=approve, opinion=opinion, acting_user=acting_user)


# --- counter and service point --------------------------------------------------


def counter_case_open(
    *,
    acting_user: AbstractBaseUser,
    acting: ActingFor | None = None,
    visit_id: int | None = None,
    listing_code: str,
    form_data: dict[str, Any],
    handling_item_code: str = "",
) -> Case:
    """A counter clerk opens a case for the walk-in applicant of an open counter
    visit (ID checked at the counter): a draft on the counter channel; the clerk
    uploads the scanned materials (credibility B) and submits it like any case."""
    if acting is None or acting.basis != "counter":
        visit = counter_visit_info(acting_user, int(visit_id or 0))
        if visit is None:
            raise not_permitted(_("请先查验申请人证件，开始窗口代办。"))
        acting = ActingFor(
            principal_label=visit.principal_label,
            principal_name=visit.name,
            basis="counter",
            basis_id=visit.visit_id,
            all_items=True,
            item_codes=(),
        )
    return case_draft_save(
        user=acting_user,
        acting=acting,
        listing_code=listing_code,
        form_data=form_data,
        handling_item_code=handling_item_code,
    )


# --- bundles (一件事一次办) --------------------------------------------------------


def bundle_apply(
    *,
    user: AbstractBaseUser,
    acting: ActingFor | None,
    bundle_code: str,
    form_data: dict[str, Any],
    submission_key: str,
    principal_label: str = "",
    materials: dict[str, list[dict[str, Any]]] | None = None,
) -> CaseBundle:
    """One application for a bundle: a numbered CaseBundle and one submitted case
    per listing (each of its department), accepted once together. ``materials``
    maps a listing code to its uploads. Idempotent on ``submission_key``."""
    key = checked_submission_key(submission_key)
    found = CaseBundle.objects.filter(applicant=user, submission_key=key).first()
    if found is not None:
        found.replayed = True  # type: ignore[attr-defined]
        return found
    definition = BundleDefinition.objects.filter(
        code=str(bundle_code)[:50], is_active=True
    ).first()
    if definition is None:
        raise field_error(
            errors.BUNDLE_UNAVAILABLE,
            "bundle_code",
            _("该“一件事”不存在或不可申请。"),
            status=404,
        )
    if not definition.listing_codes:
        raise field_error(
            errors.BUNDLE_UNAVAILABLE,
            "bundle_code",
            _("该“一件事”未包含任何事项。"),
            status=404,
        )
    form_data = validate_form(definition.form_schema or None, form_data)
    try:
        with transaction.atomic():
            label, _channel = _principal(
                user, acting, definition.listing_codes[0], principal_label
            )
            now = timezone.now()
            bundle = CaseBundle.objects.create(
                definition=definition,
                applicant=user,
                principal_label=label,
                submission_key=key,
                form_data=form_data,
                submitted_at=now,
            )
            bundle.number = f"YJS{definition.pk:04d}{deadlines.local_day(now):%Y%m%d}{bundle.pk:08d}"[
                :43
            ]
            bundle.save(update_fields=["number", "updated_at"])
            for index, code in enumerate(definition.listing_codes):
                schema = form_schema(code)
                names = set((schema or {}).get("properties", {}).keys())
                case_form = (
                    {k: v for k, v in form_data.items() if k in names}
                    if names
                    else form_data
                )
                case = case_draft_save(
                    user=user,
                    acting=acting,
                    listing_code=code,
                    form_data=case_form,
                    principal_label=principal_label,
                )
                case.bundle = bundle
                case.save(update_fields=["bundle", "updated_at"])
                for item in (materials or {}).get(code, []):
                    material_upload(
                        user=user,
                        acting=acting,
                        case_id=case.pk,
                        material_name=item.get("material_name", ""),
                        filename=item.get("filename", ""),
                        content=item.get("content", b""),
                    )
                case = Case.objects.select_for_update().get(pk=case.pk)
                _do_submit(case, user=user, key=f"{key}#{index}"[:64])
            audit.record(
                acting_user=user,
                event="cases.bundle_submitted",
                target=bundle,
                data={"number": bundle.number, "listings": definition.listing_codes},
            )
            return bundle
    except IntegrityError:
        found = CaseBundle.objects.filter(applicant=user, submission_key=key).first()
        if found is None:
            raise
        found.replayed = True  # type: ignore[attr-defined]
        return found


@transaction.atomic
def bundle_accept(
    *, bundle_id: int, acting_user: AbstractBaseUser, opinion: str = ""
) -> CaseBundle:
    """Accept a bundle once (一口受理): at the desk of any of its departments."""
    cases = list(
        cases_for_user(acting_user)
        .filter(bundle_id=bundle_id, status=CaseStatus.SUBMITTED)
        .order_by("pk")
    )
    if not cases:
        raise errors.not_found()
    case_accept(case_id=cases[0].pk, acting_user=acting_user, opinion=opinion)
    return CaseBundle.objects.get(pk=bundle_id)


# --- pauses and extensions ------------------------------------------------------


def _recompute(case: Case) -> None:
    changed = deadlines.apply(case)
    if changed:
        case.save(update_fields=[*changed, "updated_at"])
        deadlines.tasks_follow(case)


@transaction.atomic
def pause_start(
    *, case_id: int, acting_user: AbstractBaseUser, name: str, reason: str
) -> ClockPause:
    """A special procedure (听证、检验、检测、鉴定、专家评审…, 第45条) stops the clock."""
    name = _text(name, "name", required=True, max_length=100)
    reason = _text(reason, "reason", required=True)
    case = _staff_case(acting_user, case_id, (StaffRole.REVIEWER,))
    if case.status != CaseStatus.ACCEPTED:
        raise invalid_transition(case.status)
    if case.pauses.filter(ended_on__isnull=True).exists():
        raise CaseError(errors.PAUSE_STATE, _("已有进行中的特别程序。"), status=409)
    pause = ClockPause.objects.create(
        case=case,
        kind=PauseKind.SPECIAL_PROCEDURE,
        name=name,
        reason=reason,
        started_on=deadlines.today(),
        started_by=acting_user,
    )
    _recompute(case)
    audit.record(
        acting_user=acting_user,
        event="cases.pause_started",
        target=case,
        data={
            "name": name,
            "reason": reason,
            "started_on": pause.started_on.isoformat(),
        },
    )
    _announce(case, "paused")
    return pause


@transaction.atomic
def pause_end(
    *, case_id: int, acting_user: AbstractBaseUser, result: str
) -> ClockPause:
    result = _text(result, "result", required=True)
    case = _staff_case(acting_user, case_id, (StaffRole.REVIEWER,))
    pause = case.pauses.filter(ended_on__isnull=True).first()
    if pause is None:
        raise CaseError(errors.PAUSE_STATE, _("没有进行中的特别程序。"), status=409)
    pause.ended_on = max(deadlines.today(), pause.started_on)
    pause.result = result
    pause.ended_by = acting_user
    pause.save(update_fields=["ended_on", "result", "ended_by", "updated_at"])
    _recompute(case)
    audit.record(
        acting_user=acting_user,
        event="cases.pause_ended",
        target=case,
        data={
            "result": result,
            "ended_on": pause.ended_on.isoformat(),
            "due_on": case.due_on.isoformat() if case.due_on else None,
        },
    )
    _announce(case, "resumed")
    return pause


@transaction.atomic
def extension_request(
    *, case_id: int, acting_user: AbstractBaseUser, days: int, reason: str
) -> Extension:
    """延长办理期限 (第42条): at most 10 days, 15 for joint handling, in all."""
    reason = _text(reason, "reason", required=True)
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        raise field_error(errors.INVALID_INPUT, "days", _("延长天数应为正整数。"))
    case = _staff_case(acting_user, case_id, (StaffRole.REVIEWER,))
    if case.status != CaseStatus.ACCEPTED:
        raise invalid_transition(case.status)
    cap = deadlines.extension_cap(joint=deadlines.is_joint(case))
    used = (
        case.extensions.filter(
            status__in=[ExtensionStatus.APPROVED, ExtensionStatus.REQUESTED]
        ).aggregate(total=Sum("days"))["total"]
        or 0
    )
    if used + days > cap:
        raise field_error(
            errors.EXTENSION_CAP,
            "days",
            _("延长期限合计不能超过%(cap)s日（已申请或批准%(used)s日）。")
            % {"cap": cap, "used": used},
        )
    extension = Extension.objects.create(
        case=case, days=days, reason=reason, requested_by=acting_user
    )
    audit.record(
        acting_user=acting_user,
        event="cases.extension_requested",
        target=case,
        data={"extension": extension.pk, "days": days, "reason": reason},
    )
    return extension


@transaction.atomic
def extension_decide(
    *, extension_id: int, acting_user: AbstractBaseUser, approve: bool
) -> Extension:
    """The approver: another user holding the reviewer role in the case's
    organisation (in scope) than the one who asked."""
    extension = (
        Extension.objects.filter(
            pk=extension_id if isinstance(extension_id, int) else 0,
            case__in=cases_for_user(acting_user),
        )
        .select_related("case")
        .first()
    )
    if extension is None:
        raise errors.not_found()
    case = _staff_case(acting_user, extension.case_id, (StaffRole.REVIEWER,))
    extension = Extension.objects.select_for_update().get(pk=extension.pk)
    if extension.requested_by_id == acting_user.pk:
        raise CaseError(
            errors.EXTENSION_SAME_USER, _("延期申请须由其他审批人员批准。"), status=403
        )
    if extension.status != ExtensionStatus.REQUESTED:
        raise CaseError(errors.TASK_STATE, _("该延期申请已处理。"), status=409)
    if approve and case.status != CaseStatus.ACCEPTED:
        raise invalid_transition(case.status)
    extension.status = ExtensionStatus.APPROVED if approve else ExtensionStatus.REFUSED
    extension.decided_by = acting_user
    extension.decided_at = timezone.now()
    extension.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    if approve:
        case.extended_days += extension.days
        case.save(update_fields=["extended_days", "updated_at"])
        _recompute(case)
    audit.record(
        acting_user=acting_user,
        event="cases.extension_decided",
        target=case,
        data={
            "extension": extension.pk,
            "approved": approve,
            "days": extension.days,
            "due_on": case.due_on.isoformat() if case.due_on else None,
        },
    )
    if approve:
        _announce(case, "extended")
    return extension


# --- online-handling settings of a listing ---------------------------------------

CONFIG_FIELDS = {
    "licence_type_code",
    "licence_materials",
    "base_record_materials",
    "form_schema",
    "process_template",
    "process_key",
    "decision_key",
    "fee_items",
    "parallel_organisation_ids",
}


def _decision_table_exists(key: str) -> bool:
    """Whether a decision table ``key`` was uploaded (the workflows facade names
    a missing one with ``workflows.decision_not_found``; evaluating it over empty
    data decides nothing)."""
    from zhengwu.core.errors import DomainError

    try:
        _workflows().decide(decision_key=key, data={"form": {}})
    except DomainError as error:
        return error.code != "workflows.decision_not_found"
    return True


def _clean_config(fields: dict[str, Any], listing: ListingInfo) -> dict[str, Any]:
    problems: dict[str, list[str]] = {}
    unknown = set(fields) - CONFIG_FIELDS
    for name in unknown:
        problems[name] = [_("不是可设置的项目。")]
    cleaned: dict[str, Any] = {}
    if "form_schema" in fields:
        schema = fields["form_schema"] or {}
        reasons = schema_errors(schema) if schema else []
        if reasons:
            problems["form_schema"] = reasons
        cleaned["form_schema"] = schema
    if "process_template" in fields:
        value = fields["process_template"]
        if value not in ProcessTemplate.values:
            problems["process_template"] = [_("流程模板无效。")]
        cleaned["process_template"] = value
    for key_field, exists in (
        ("process_key", _workflows().definition_exists),
        ("decision_key", _decision_table_exists),
    ):
        if key_field in fields:
            value = fields[key_field] or ""
            if not isinstance(value, str) or len(value) > 100:
                problems[key_field] = [_("标识无效。")]
            elif value and not exists(value):
                problems[key_field] = [_("尚未上传该标识的模型。")]
            cleaned[key_field] = value
    if "fee_items" in fields:
        items = fields["fee_items"] or []
        fee_names = {f.name for f in listing.guide.fees}
        ok = isinstance(items, list)
        for item in items if ok else []:
            if not (
                isinstance(item, dict)
                and item.get("name") in fee_names
                and isinstance(item.get("amount_fen"), int)
                and not isinstance(item.get("amount_fen"), bool)
                and 0 <= item["amount_fen"] <= 10**9
            ):
                ok = False
        if not ok:
            problems["fee_items"] = [
                _("每个收费项目应为办事指南列出的项目名称和金额（分，非负整数）。")
            ]
        cleaned["fee_items"] = items
    if "parallel_organisation_ids" in fields:
        ids = fields["parallel_organisation_ids"] or []
        if not isinstance(ids, list) or not all(
            isinstance(i, int) and not isinstance(i, bool) for i in ids
        ):
            problems["parallel_organisation_ids"] = [_("应为单位编号列表。")]
        elif Organisation.objects.filter(pk__in=ids).count() != len(set(ids)):
            problems["parallel_organisation_ids"] = [_("包含不存在的单位。")]
        cleaned["parallel_organisation_ids"] = (
            sorted(set(ids)) if isinstance(ids, list) else []
        )
    _clean_licence_config(fields, listing, cleaned, problems)
    if problems:
        raise CaseError(
            errors.INVALID_INPUT, _("请检查标出的设置。"), fields=problems, status=422
        )
    return cleaned


def _clean_licence_config(
    fields: dict[str, Any],
    listing: ListingInfo,
    cleaned: dict[str, Any],
    problems: dict[str, list[str]],
) -> None:
    """The licence issued on approval (a type the listing's organisation may
    issue) and the materials a licence may replace (guide material → type)."""
    from zhengwu.licenses import facade as licences

    if "licence_type_code" in fields:
        code = fields["licence_type_code"] or ""
        info = licences.licence_type_info(code) if isinstance(code, str) else None
        if code and info is None:
            problems["licence_type_code"] = [_("证照类型不存在。")]
        elif info is not None and (
            listing.organisation_id not in info.issuing_organisation_ids
        ):
            problems["licence_type_code"] = [_("本事项的实施机关不能颁发该类证照。")]
        cleaned["licence_type_code"] = code if isinstance(code, str) else ""
    if "licence_materials" in fields:
        mapping = fields["licence_materials"] or {}
        names = {m.name for m in listing.guide.materials}
        reasons = []
        if not isinstance(mapping, dict):
            reasons.append(_("应为“材料名称 → 证照类型代码”的对应表。"))
        else:
            for name, code in mapping.items():
                if not isinstance(name, str) or name not in names:
                    reasons.append(
                        _("“%(name)s”不是办事指南列出的材料。")
                        % {"name": str(name)[:50]}
                    )
                elif (
                    not isinstance(code, str)
                    or licences.licence_type_info(code) is None
                ):
                    reasons.append(
                        _("“%(name)s”对应的证照类型代码“%(code)s”不存在。")
                        % {"name": name[:50], "code": str(code)[:30]}
                    )
        if reasons:
            problems["licence_materials"] = reasons
        cleaned["licence_materials"] = mapping if isinstance(mapping, dict) else {}
    if "base_record_materials" in fields:
        mapping = fields["base_record_materials"] or {}
        names = {m.name for m in listing.guide.materials}
        reasons = []
        if not isinstance(mapping, dict):
            reasons.append(_("应为“材料名称 → 基础库信息”的对应表。"))
        else:
            for name, kind in mapping.items():
                if not isinstance(name, str) or name not in names:
                    reasons.append(
                        _("“%(name)s”不是办事指南列出的材料。")
                        % {"name": str(name)[:50]}
                    )
                elif kind not in BaseRecordKind.values:
                    reasons.append(
                        _("“%(name)s”对应的基础库信息“%(kind)s”无效。")
                        % {"name": name[:50], "kind": str(kind)[:30]}
                    )
        if reasons:
            problems["base_record_materials"] = reasons
        cleaned["base_record_materials"] = mapping if isinstance(mapping, dict) else {}


@transaction.atomic
def handling_config_set(
    *, listing_code: str, acting_user: AbstractBaseUser, **fields: Any
) -> HandlingConfig:
    """Set a listing's online-handling settings: by the catalogue authority or a
    department editor of the listing's organisation. Audited with what changed."""
    listing = _listing(listing_code)
    scope = staff_scope(acting_user)
    if not (scope.can_review or scope.can_edit_organisation(listing.organisation_id)):
        raise not_permitted(_("只有本部门事项编辑或编委办可以修改网上办理配置。"))
    cleaned = _clean_config(fields, listing)
    config, _created = HandlingConfig.objects.select_for_update().get_or_create(
        listing_code=listing.code
    )
    before = {name: getattr(config, name) for name in cleaned}
    for name, value in cleaned.items():
        setattr(config, name, value)
    if config.process_template == ProcessTemplate.CUSTOM and not config.process_key:
        raise field_error(
            errors.INVALID_INPUT,
            "process_key",
            _("选择“上传的流程模型”时须指定流程模型标识。"),
        )
    config.updated_by = acting_user
    config.save()
    audit.record(
        acting_user=acting_user,
        event="cases.handling_configured",
        target=config,
        data={
            "listing_code": listing.code,
            "changed": sorted(n for n in cleaned if before[n] != cleaned[n]),
        },
    )
    return config
