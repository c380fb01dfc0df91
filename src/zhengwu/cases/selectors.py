"""Reads of cases. ``cases_for_user`` is the one access rule: the API and the pages
start every case read from it, and the services check acting rights through it."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengwu.catalog.facade import listing_for_application
from zhengwu.core.audit import event_label
from zhengwu.core.models import AuditEvent, Division
from zhengwu.identity.facade import (
    ActingFor,
    person_label_for_user,
    staff_scope,
    user_principal_labels,
)

from .constants import FINISHED_STATUSES, CaseStatus, IntakeStatus
from .errors import not_found
from .models import Case, CaseBundle, CaseIntake, CaseTask
from .staff_rights import HANDLING_ROLES


def division_ids(codes: frozenset[str]) -> list[int]:
    """The primary keys of divisions ``codes`` (filters on the case's own column
    instead of a join to the division table: the inbox index serves them)."""
    if not codes:
        return []
    return list(Division.objects.filter(code__in=codes).values_list("pk", flat=True))


def applicant_q(user: AbstractBaseUser, acting: ActingFor | None = None) -> Q:
    """Cases on the applicant side of ``user``: applied from this account, for the
    user's own person or an entity they represent, or (acting) for the principal."""
    condition = Q(applicant=user)
    labels = list(user_principal_labels(user))
    if labels:
        condition |= Q(principal_label__in=labels)
    if acting is not None and acting.principal_label:
        # An agent sees the principal's cases of the authorised items only (the
        # item code is the listing code's last 12 characters).
        principal = Q(principal_label=acting.principal_label)
        if not acting.all_items:
            items = Q(pk__in=[])
            for code in acting.item_codes:
                if code:
                    items |= Q(listing_code__endswith=str(code))
            principal &= items
        condition |= principal
    return condition


def staff_q(user: AbstractBaseUser) -> Q | None:
    """Cases staff may see: of an organisation where they hold a case role, in
    their data scope; or with a task for one of those organisations (departments
    reviewing in parallel, bundles). Never a draft."""
    scope = staff_scope(user)
    conditions = []
    organisations: set[int] = set()
    for role in HANDLING_ROLES:
        ids = scope.organisation_ids(role)
        if not ids:
            continue
        organisations |= ids
        conditions.append(
            Q(
                organisation_id__in=ids,
                division__code__in=scope.division_codes_for(role),
            )
        )
    if not conditions:
        return None
    condition = conditions[0]
    for extra in conditions[1:]:
        condition |= extra
    task = CaseTask.objects.filter(
        case_id=OuterRef("pk"), organisation_id__in=organisations
    )
    # a draft is the applicant's own until it is submitted
    return (condition | Q(Exists(task))) & ~Q(status=CaseStatus.DRAFT)


def staff_cases_for_user(
    user: AbstractBaseUser | AnonymousUser | None,
) -> QuerySet[Case]:
    """The staff half of ``cases_for_user``: the cases ``user`` handles as staff
    (the workbench), not those they applied for themself."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Case.objects.none()
    condition = staff_q(user)
    if condition is None:
        return Case.objects.none()
    return Case.objects.filter(condition).select_related("organisation", "division")


def cases_for_user(
    user: AbstractBaseUser | AnonymousUser | None, *, acting: ActingFor | None = None
) -> QuerySet[Case]:
    """Every case ``user`` may see (acting for ``acting``'s principal when given)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Case.objects.none()
    condition = applicant_q(user, acting)
    staff = staff_q(user)
    if staff is not None:
        condition |= staff
    return Case.objects.filter(condition).select_related("organisation", "division")


def case_for_user(
    user: AbstractBaseUser | AnonymousUser | None,
    pk: Any,
    *,
    acting: ActingFor | None = None,
) -> Case:
    """One case ``user`` may see; 404 (``cases.not_found``) for every other id."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise not_found() from None
    if not 0 < pk < 2**63:
        raise not_found()
    case = cases_for_user(user, acting=acting).filter(pk=pk).first()
    if case is None:
        raise not_found()
    return case


def case_by_number_for_user(user, number: str, *, acting=None) -> Case:
    case = cases_for_user(user, acting=acting).filter(number=str(number)[:43]).first()
    if case is None:
        raise not_found()
    return case


def is_applicant_side(user, case: Case, acting: ActingFor | None = None) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return Case.objects.filter(applicant_q(user, acting), pk=case.pk).exists()


def own_cases(user, *, acting: ActingFor | None = None) -> QuerySet[Case]:
    """The applicant side's cases only (the citizen's 'my cases' page)."""
    if user is None or not user.is_authenticated:
        return Case.objects.none()
    return Case.objects.filter(applicant_q(user, acting)).order_by("-pk")


# How long an intake the task refused stays on the applicant's list.
OPEN_INTAKE_REJECTED_DAYS = 30
OPEN_INTAKE_LIMIT = 20


@dataclass(frozen=True)
class OpenIntake:
    """An application taken in over the API's asynchronous path that has no case
    (yet): pending, or refused by the task (with the refusal's message). Read
    without the encrypted payload (the form is never decrypted for a list)."""

    pk: int
    submission_key: str
    listing_code: str
    item_name: str
    status: str
    reason: str
    received_at: datetime.datetime
    processed_at: datetime.datetime | None
    error: dict[str, Any] | None = None


def own_open_intakes(
    user: AbstractBaseUser | AnonymousUser | None, *, limit: int = OPEN_INTAKE_LIMIT
) -> list[OpenIntake]:
    """The intakes ``user`` sent that have not become a case: pending ones and
    those refused in the last ``OPEN_INTAKE_REJECTED_DAYS`` days, newest first.
    An intake belongs to the account that sent it (its principal is inside the
    encrypted payload, so nobody else's account is matched)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    since = timezone.now() - datetime.timedelta(days=OPEN_INTAKE_REJECTED_DAYS)
    rows = list(
        CaseIntake.objects.filter(applicant=user)
        .filter(
            Q(status=IntakeStatus.PENDING)
            | Q(status=IntakeStatus.REJECTED, processed_at__gte=since)
        )
        .only(
            "pk",
            "submission_key",
            "listing_code",
            "status",
            "error",
            "created_at",
            "processed_at",
        )
        .order_by("-pk")[:limit]
    )
    names: dict[str, str] = {}
    for code in {row.listing_code for row in rows}:
        listing = listing_for_application(code)
        names[code] = listing.item_name if listing is not None else code
    return [
        OpenIntake(
            pk=row.pk,
            submission_key=row.submission_key,
            listing_code=row.listing_code,
            item_name=names.get(row.listing_code, row.listing_code),
            status=row.status,
            reason=str((row.error or {}).get("message") or "")
            if row.status == IntakeStatus.REJECTED
            else "",
            received_at=row.created_at,
            processed_at=row.processed_at,
            error=(row.error or None) if row.status == IntakeStatus.REJECTED else None,
        )
        for row in rows
    ]


def submission_for_key(user, key: str) -> Case | None:
    """The case an earlier submission with this idempotency key made (a double
    click or a retried request): keys belong to the submitting account."""
    if not key or user is None or not user.is_authenticated:
        return None
    return (
        Case.objects.filter(applicant=user, submission_key=key)
        .exclude(status=CaseStatus.DRAFT)
        .first()
    )


def latest_submission_values(
    *, listing_code: str, principal_label: str, exclude_case_id: int | None = None
) -> dict[str, Any]:
    """The form of the principal's latest earlier submission of the listing (少填免填)."""
    if not principal_label:
        return {}
    earlier = (
        Case.objects.filter(listing_code=listing_code, principal_label=principal_label)
        .exclude(status=CaseStatus.DRAFT)
        .exclude(pk=exclude_case_id)
        .order_by("-submitted_at", "-pk")
        .values_list("form_data", flat=True)
        .first()
    )
    return dict(earlier or {})


def reusable_materials(user, *, acting: ActingFor | None = None, principal_label: str):
    """Materials of earlier submitted cases of the same principal the applicant may
    reuse (newest first). Not an electronic licence handed in: a licence is used
    afresh (its validity checked then), not copied from an earlier case."""
    from .models import CaseMaterial

    return (
        CaseMaterial.objects.filter(
            case__in=own_cases(user, acting=acting).filter(
                principal_label=principal_label
            ),
            licence_identifier="",
        )
        .exclude(case__status=CaseStatus.DRAFT)
        .select_related("file", "case")
        .order_by("-pk")
    )


def reviewer_handles_person(viewer: AbstractBaseUser, principal_label: str) -> bool:
    """Whether ``viewer`` handles an open case of the person (their clear ID number
    and mobile may be revealed to them, audited by identity). Registered with
    ``identity.facade.register_personal_data_rule``."""
    from .constants import OPEN_STATUSES

    staff = staff_q(viewer)
    if staff is None or not principal_label.startswith("person:"):
        return False
    return Case.objects.filter(
        staff, principal_label=principal_label, status__in=OPEN_STATUSES
    ).exists()


# --- timeline ---------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    occurred_at: datetime.datetime
    event: str
    label: str
    actor: str
    on_behalf_of: str
    data: dict[str, Any]


SYSTEM_ACTORS = {
    "system:deadlines": _("系统（办理期限）"),
    "system:rules": _("系统（秒批规则）"),
}


def case_timeline(case: Case) -> list[TimelineEntry]:
    """The case's history from the audit log (one mechanism: its events)."""
    events = AuditEvent.objects.filter(
        target_type=Case._meta.label_lower, target_id=str(case.pk)
    ).order_by("occurred_at", "pk")
    result = []
    for event in events:
        actor = event.actor_label
        if event.actor_id is None:
            actor = str(SYSTEM_ACTORS.get(actor, actor))
        label = str(event_label(event.event))
        step_name = (event.data or {}).get("step_name")
        if step_name:  # a process step: say which one (审查, 决定, 制证, 送达 …)
            label = f"{label}：{step_name}"
        result.append(
            TimelineEntry(
                occurred_at=event.occurred_at,
                event=event.event,
                label=label,
                actor=actor,
                on_behalf_of=event.on_behalf_of,
                data=event.data or {},
            )
        )
    return result


# --- bundles ------------------------------------------------------------------------


def bundles_for_user(user, *, acting: ActingFor | None = None) -> QuerySet[CaseBundle]:
    return CaseBundle.objects.filter(
        pk__in=cases_for_user(user, acting=acting)
        .filter(bundle__isnull=False)
        .values("bundle_id")
    )


def bundle_result(bundle: CaseBundle) -> str:
    """The bundle's combined result: "pending" while any case is open, then
    "approved" (every case not withdrawn approved), "denied" (none) or "partial"."""
    statuses = [
        s
        for s in bundle.cases.values_list("status", flat=True)
        if s != CaseStatus.WITHDRAWN
    ]
    if not statuses or any(s not in FINISHED_STATUSES for s in statuses):
        return "pending"
    approved = [s == CaseStatus.APPROVED for s in statuses]
    if all(approved):
        return "approved"
    if not any(approved):
        return "denied"
    return "partial"


from .workbench import InboxFilters, InboxPage, inbox  # noqa: E402

__all__ = [
    "InboxFilters",
    "InboxPage",
    "inbox",
    "applicant_q",
    "case_for_user",
    "case_timeline",
    "cases_for_user",
    "own_cases",
    "own_open_intakes",
    "staff_cases_for_user",
    "person_label_for_user",
]


@dataclass(frozen=True)
class ExemptedMaterialCount:
    """Materials an applicant was not asked for (免于提交) on one listing of one
    department: a valid electronic licence used instead, a material of an
    earlier case reused, or a material fetched from the shared base records."""

    listing_code: str
    organisation_id: int
    licence_reuse: int
    material_reuse: int
    base_record: int = 0

    @property
    def total(self) -> int:
        return self.licence_reuse + self.material_reuse + self.base_record


def exempted_material_counts(
    user: AbstractBaseUser | AnonymousUser | None,
    *,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
) -> list[ExemptedMaterialCount]:
    """Per listing and department, of the submitted cases ``user`` may see (by
    submission day, both ends included): how many materials were not asked for
    because of reuse or the base records. Listings without any are left out."""
    from django.db.models import Count

    from .models import CaseMaterial

    cases = cases_for_user(user).exclude(status=CaseStatus.DRAFT)
    if since is not None:
        cases = cases.filter(submitted_at__date__gte=since)
    if until is not None:
        cases = cases.filter(submitted_at__date__lte=until)
    rows = (
        CaseMaterial.objects.filter(case__in=cases.values("pk"))
        .filter(
            ~Q(licence_identifier="")
            | Q(reused_from__isnull=False)
            | ~Q(base_record_kind="")
        )
        .values("case__listing_code", "case__organisation_id")
        .annotate(
            licence_reuse=Count("pk", filter=~Q(licence_identifier="")),
            material_reuse=Count(
                "pk", filter=Q(licence_identifier="", reused_from__isnull=False)
            ),
            base_record=Count("pk", filter=~Q(base_record_kind="")),
        )
        .order_by("case__organisation_id", "case__listing_code")
    )
    return [
        ExemptedMaterialCount(
            listing_code=row["case__listing_code"],
            organisation_id=row["case__organisation_id"],
            licence_reuse=row["licence_reuse"],
            material_reuse=row["material_reuse"],
            base_record=row["base_record"],
        )
        for row in rows
    ]
