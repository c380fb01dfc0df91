"""Serving a walk-in applicant at a counter (窗口代办): a counter clerk checks the ID
document, enters name, ID number and document type; the person is found, or
recorded without an online account, after a check against the population base
records; the visit lets the clerk act for the person until it ends or two hours
have passed. Optionally the clerk raises the person to L3 (现场核验).

Only counter clerks start visits. Village service-point clerks act for people only
under an authorisation the person gave them (``authorisations``)."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengwu.core import audit
from zhengwu.core.crypto import mask_id_number, mask_name

from .constants import AssuranceLevel, StaffRole
from .errors import IdentityError
from .facade import staff_scope
from .models import CounterVisit, Person, StaffMembership
from .persons import (
    COUNTER_VISIT_DURATION,
    find_person_by_id_number,
    id_number_errors,
    id_number_index,
    name_errors,
    normalise_id_number,
    person_label,
    verify_in_person,
)
from .registry import Verdict, normalise_name, population_registry


def counter_memberships(user: AbstractBaseUser) -> QuerySet[StaffMembership]:
    if not user.is_authenticated or not user.is_active:
        return StaffMembership.objects.none()
    return StaffMembership.objects.filter(
        user=user, role=StaffRole.COUNTER_CLERK
    ).select_related("organisation")


def require_counter_clerk(user: AbstractBaseUser) -> list[StaffMembership]:
    memberships = list(counter_memberships(user))
    if not memberships:
        raise IdentityError(
            "identity.not_counter_clerk",
            _("只有窗口工作人员可以受理现场代办。"),
            status=403,
        )
    return memberships


def open_visits(clerk: AbstractBaseUser) -> QuerySet[CounterVisit]:
    """The clerk's visits that have not ended and are younger than two hours."""
    return CounterVisit.objects.filter(
        clerk=clerk,
        ended_at__isnull=True,
        started_at__gt=timezone.now() - COUNTER_VISIT_DURATION,
    ).select_related("person", "organisation")


def open_visit(clerk: AbstractBaseUser, visit_id: int) -> CounterVisit | None:
    """The clerk's visit when it is still open and the clerk is still a counter
    clerk; None otherwise (the roles come from the request's cached ``staff_scope``:
    ``ActingMiddleware`` asks this on every request of an acting clerk)."""
    if not staff_scope(clerk).counter_organisation_ids:
        return None
    return open_visits(clerk).filter(pk=visit_id).first()


def _field_error(field: str, code: str, message: str) -> IdentityError:
    return IdentityError(code, message, fields={field: [message]})


@transaction.atomic
def counter_visit_start(
    *,
    clerk: AbstractBaseUser,
    name: str,
    id_number: str,
    document: str,
    verify: bool = False,
    organisation_id: int | None = None,
) -> CounterVisit:
    """Start serving a walk-in applicant whose ID document the clerk has checked.
    The clerk's other open visit, if any, ends: a clerk serves one person at a
    time. Audited with the person as the principal."""
    memberships = require_counter_clerk(clerk)
    membership = next(
        (m for m in memberships if m.organisation_id == organisation_id),
        memberships[0],
    )
    name = (name or "").strip()
    id_number = normalise_id_number(id_number)
    fields: dict[str, list[str]] = {}
    if errors := name_errors(name):
        fields["name"] = errors
    if errors := id_number_errors(id_number):
        fields["id_number"] = errors
    if document not in CounterVisit.Document.values:
        fields["document"] = [_("请选择查验的证件。")]
    if fields:
        raise IdentityError(
            "identity.invalid_counter_visit", _("请检查填写的信息。"), fields=fields
        )

    verdict = population_registry().verify_person(name, id_number)
    if verdict == Verdict.MISMATCH:
        raise _field_error(
            "name",
            "identity.population_mismatch",
            _("姓名与人口库登记的不符，请核对证件。"),
        )
    if verdict == Verdict.CANCELLED:
        raise _field_error(
            "id_number",
            "identity.population_cancelled",
            _("该身份号码在人口库中已注销，不能办理。"),
        )
    person = find_person_by_id_number(id_number)
    if person is not None and normalise_name(person.name) != normalise_name(name):
        raise _field_error(
            "name",
            "identity.name_mismatch",
            _("姓名与平台登记的不符，请核对证件。"),
        )
    created = person is None
    if person is None:
        person = Person(
            name=name,
            id_number=id_number,
            id_number_index=id_number_index(id_number),
            assurance_level=AssuranceLevel.VERIFIED
            if verdict == Verdict.MATCH
            else AssuranceLevel.REGISTERED,
            verified_at=timezone.now() if verdict == Verdict.MATCH else None,
        )
        person.full_clean(exclude=["user", "verified_by"])
        try:
            with transaction.atomic():
                person.save()
        except IntegrityError:  # recorded meanwhile at another counter
            person = find_person_by_id_number(id_number)
            created = False
            if person is None:
                raise

    now = timezone.now()
    for earlier in open_visits(clerk).select_for_update():
        _end(earlier, clerk=clerk, now=now, reason="next_visit")
    visit = CounterVisit.objects.create(
        clerk=clerk,
        organisation=membership.organisation,
        person=person,
        document=document,
        started_at=now,
    )
    audit.record(
        acting_user=clerk,
        event="identity.counter_visit_started",
        target=visit,
        on_behalf_of=person_label(person),
        data={
            "name": mask_name(name),
            "id_number": mask_id_number(id_number),
            "document": document,
            "population_check": str(verdict),
            "person_created": created,
            "organisation": membership.organisation.credit_code,
        },
    )
    if verify and person.assurance_level < AssuranceLevel.IN_PERSON:
        verify_in_person(person, clerk, document)
        visit.person.refresh_from_db()
    return visit


def _end(visit: CounterVisit, *, clerk: AbstractBaseUser, now, reason: str) -> None:
    visit.ended_at = now
    visit.save(update_fields=["ended_at", "updated_at"])
    audit.record(
        acting_user=clerk,
        event="identity.counter_visit_ended",
        target=visit,
        on_behalf_of=person_label(visit.person),
        data={"reason": reason},
    )


@transaction.atomic
def counter_visit_end(*, clerk: AbstractBaseUser, visit_id: int) -> CounterVisit:
    visit = (
        CounterVisit.objects.select_for_update()
        .select_related("person")
        .filter(clerk=clerk, pk=visit_id)
        .first()
    )
    if visit is None:
        raise IdentityError(
            "identity.visit_not_found", _("窗口代办记录不存在。"), status=404
        )
    if visit.ended_at is None:
        _end(visit, clerk=clerk, now=timezone.now(), reason="ended")
    return visit


def recent_visits(clerk: AbstractBaseUser, limit: int = 20) -> QuerySet[CounterVisit]:
    return CounterVisit.objects.filter(clerk=clerk).select_related("person")[:limit]
