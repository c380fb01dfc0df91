"""What other apps may ask about staff: organisations, roles and data scopes. The one
place that decides who is a department editor, the catalogue authority, a reviewer,
a counter clerk, or one of the three separated administrators.

``is_staff_member`` keeps its catalogue meaning (department editor, catalogue
authority or superuser): catalog and portal use it as the gate of the catalogue
workbench, attachment upload and import, so the new roles (reviewer, counter clerk,
administrators) do not pass it. ``has_staff_role`` is true for any staff role."""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.utils import timezone

from zhengwu.core.models import Division
from zhengwu.core.validators import is_valid_id_number

from .constants import ADMIN_ROLES, AssuranceLevel, StaffRole
from .models import Person, StaffMembership
from .services import membership_grant, membership_revoke
from .tokens import bearer_auth, request_user_with_bearer

__all__ = [
    "ADMIN_ROLES",
    "ActingFor",
    "ApplicantProfile",
    "BaseRecordExtract",
    "BASE_RECORD_KINDS",
    "CounterVisitInfo",
    "acting_for_request",
    "applicant_profile",
    "base_record_extract",
    "base_record_facts",
    "counter_visit_info",
    "person_label_for_user",
    "staff_user_ids_with_role",
    "user_principal_labels",
    "may_act_for",
    "register_personal_data_rule",
    "MembershipScope",
    "StaffRole",
    "StaffScope",
    "bearer_auth",
    "division_descendants",
    "identity_demo_logins",
    "membership_grant",
    "membership_revoke",
    "populate_identity_demo",
    "request_user_with_bearer",
    "staff_scope",
]


def division_descendants(codes: Iterable[str]) -> frozenset[str]:
    """``codes`` and every division below them (through ``Division.parent``)."""
    found = set(codes)
    frontier = set(found)
    while frontier:
        children = set(
            Division.objects.filter(parent__code__in=frontier).values_list(
                "code", flat=True
            )
        )
        frontier = children - found
        found |= frontier
    return frozenset(found)


@dataclass(frozen=True)
class MembershipScope:
    """One role in one organisation, with the division its data scope starts from
    (the membership's scope division, else the organisation's division)."""

    organisation_id: int
    role: str
    division_code: str


@dataclass(frozen=True)
class StaffScope:
    user_id: int | None
    editor_organisation_ids: frozenset[int]
    is_catalogue_authority: bool
    is_superuser: bool
    memberships: tuple[MembershipScope, ...] = field(default=())

    # --- catalogue (unchanged meaning) ---------------------------------------

    @property
    def is_staff_member(self) -> bool:
        """A member of the catalogue staff (editor, authority, superuser)."""
        return bool(
            self.editor_organisation_ids
            or self.is_catalogue_authority
            or self.is_superuser
        )

    def can_edit_organisation(self, organisation_id: int) -> bool:
        return self.is_superuser or organisation_id in self.editor_organisation_ids

    @property
    def can_review(self) -> bool:
        return self.is_superuser or self.is_catalogue_authority

    # --- roles ----------------------------------------------------------------

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(m.role for m in self.memberships)

    @property
    def has_staff_role(self) -> bool:
        return bool(self.memberships)

    @property
    def roles_by_organisation(self) -> dict[int, frozenset[str]]:
        result: dict[int, set[str]] = {}
        for m in self.memberships:
            result.setdefault(m.organisation_id, set()).add(m.role)
        return {org: frozenset(roles) for org, roles in result.items()}

    def has_role(self, role: StaffRole | str) -> bool:
        return str(role) in self.roles

    def organisation_ids(self, role: StaffRole | str) -> frozenset[int]:
        return frozenset(m.organisation_id for m in self.memberships if m.role == role)

    def is_admin(self, kind: StaffRole | str | None = None) -> bool:
        """Holds an administrator role (``kind``: that one). A superuser is not an
        administrator here: separated duties are held by named role accounts."""
        if kind is None:
            return bool(self.roles & ADMIN_ROLES)
        return StaffRole(kind) in ADMIN_ROLES and self.has_role(kind)

    @property
    def can_administer_staff(self) -> bool:
        return self.has_role(StaffRole.SYSTEM_ADMIN)

    @property
    def can_manage_security(self) -> bool:
        return self.has_role(StaffRole.SECURITY_ADMIN)

    @property
    def can_view_audit_log(self) -> bool:
        return self.has_role(StaffRole.AUDIT_ADMIN)

    @property
    def counter_organisation_ids(self) -> frozenset[int]:
        return self.organisation_ids(StaffRole.COUNTER_CLERK)

    @property
    def service_point_organisation_ids(self) -> frozenset[int]:
        return self.organisation_ids(StaffRole.SERVICE_POINT_CLERK)

    @property
    def reviewer_organisation_ids(self) -> frozenset[int]:
        return self.organisation_ids(StaffRole.REVIEWER)

    # --- data scope -------------------------------------------------------------

    @cached_property
    def division_codes(self) -> frozenset[str]:
        """Divisions this user's data scope covers, over all roles: each scope
        division and everything below it."""
        return division_descendants(m.division_code for m in self.memberships)

    def division_codes_for(self, role: StaffRole | str) -> frozenset[str]:
        """The divisions covered by ``role`` alone."""
        return division_descendants(
            m.division_code for m in self.memberships if m.role == role
        )

    def covers_division(self, code: str, role: StaffRole | str | None = None) -> bool:
        codes = self.division_codes if role is None else self.division_codes_for(role)
        return code in codes


ANONYMOUS_SCOPE = StaffScope(None, frozenset(), False, False)


def staff_scope(user: AbstractBaseUser | AnonymousUser | None) -> StaffScope:
    """The staff rights of ``user``; cached on the user object for one request."""
    if user is None or not user.is_authenticated or not user.is_active:
        return ANONYMOUS_SCOPE
    cached = getattr(user, "_zhengwu_staff_scope", None)
    if cached is not None:
        return cached
    rows = list(
        StaffMembership.objects.filter(user=user).values_list(
            "organisation_id",
            "role",
            "scope_division__code",
            "organisation__division__code",
        )
    )
    memberships = tuple(
        MembershipScope(org, role, scope_code or org_code)
        for org, role, scope_code, org_code in rows
    )
    scope = StaffScope(
        user_id=user.pk,
        editor_organisation_ids=frozenset(
            m.organisation_id
            for m in memberships
            if m.role == StaffRole.DEPARTMENT_EDITOR
        ),
        is_catalogue_authority=any(
            m.role == StaffRole.CATALOGUE_AUTHORITY for m in memberships
        ),
        is_superuser=bool(getattr(user, "is_superuser", False)),
        memberships=memberships,
    )
    user._zhengwu_staff_scope = scope  # type: ignore[union-attr]
    return scope


def populate_identity_demo(*, password: str) -> dict[str, int]:
    """Load the identity part of the demo (after the catalogue demo's organisations);
    idempotent. Returns counts of what was created."""
    from .demo import populate

    return populate(password=password)


def identity_demo_logins(*, password: str) -> list[tuple[str, str, str, str, bool]]:
    """(login, password, role, organisation or note, exists) of the identity demo;
    citizens' logins are their fabricated ID number and mobile."""
    from .demo import demo_logins

    return demo_logins(password)


def identity_demo_user(key: str) -> AbstractBaseUser | None:
    """The account of the identity demo's citizen ``key`` (``zhang``, ``wang``,
    ``li``, ``zhao``, ``sun``), or None before the identity demo is loaded."""
    from .demo import CITIZENS
    from .persons import find_person_by_id_number

    for citizen in CITIZENS:
        if citizen.key == key:
            person = find_person_by_id_number(citizen.id_number)
            return person.user if person is not None else None
    return None


def identity_demo_staff_ensure(
    *,
    username: str,
    full_name: str,
    role: StaffRole | str,
    organisation_id: int,
    password: str,
) -> bool:
    """A demo staff account holding ``role`` in the organisation, created the way
    the identity demo creates its staff when it is missing (another app's demo adds
    its accounts through this). True when anything was created; a second call with
    the same arguments writes nothing."""
    from django.contrib.auth import get_user_model

    from zhengwu.core.models import Organisation

    from . import accounts
    from .constants import AccountKind

    organisation = Organisation.objects.get(pk=organisation_id)
    model = get_user_model()
    created = False
    user = model.objects.filter(username=username).first()
    if user is None:
        user = model.objects.create_user(username=username, first_name=full_name)
        accounts.ensure_account(user, AccountKind.STAFF)
        accounts.set_password(user, password, acting_user=None)
        created = True
    if not StaffMembership.objects.filter(
        user=user, organisation=organisation, role=role
    ).exists():
        membership_grant(
            user=user, organisation=organisation, role=StaffRole(role), acting_user=None
        )
        created = True
    return created


# --- acting on behalf (代办) ----------------------------------------------------------


@dataclass(frozen=True)
class ActingFor:
    """Whom the signed-in user acts for on this request, and on which items."""

    principal_label: str  # "person:<pk>" or "entity:<credit code>"
    principal_name: str  # the entity's name or the person's masked name
    basis: str  # "authorisation" or "counter"
    basis_id: int
    all_items: bool
    item_codes: tuple[str, ...]

    def covers(self, item_code: str) -> bool:
        return self.all_items or item_code in self.item_codes


def acting_for_request(request: object) -> ActingFor | None:
    """The acting context ``ActingMiddleware`` set on ``request`` (re-checked on
    every request), or None when the user acts for themself."""
    context = getattr(request, "acting", None)
    if context is None:
        return None
    return ActingFor(
        principal_label=context.principal_label,
        principal_name=context.principal_name,
        basis=str(context.basis),
        basis_id=context.basis_id,
        all_items=context.all_items,
        item_codes=context.item_codes,
    )


def may_act_for(
    user: AbstractBaseUser | AnonymousUser | None,
    principal_label: str,
    item_code: str | None = None,
) -> bool:
    """Whether ``user`` holds an active authorisation for the principal (covering
    ``item_code`` when given). ``authorisations.check_may_act`` says why not."""
    from .authorisations import check_may_act
    from .errors import IdentityError

    try:
        check_may_act(user, principal_label, item_code)
    except IdentityError:
        return False
    return True


def may_act_for_all_items(
    user: AbstractBaseUser | AnonymousUser | None, principal_label: str
) -> bool:
    """Whether ``user`` holds an active authorisation for the principal covering
    all items (全部事项): what a view of the principal's whole record needs, such
    as its licence wallet. One for named items only does not count."""
    from .authorisations import active_authorisations
    from .authorisations import principal_label as label_of

    return any(
        a.all_items and label_of(a) == principal_label
        for a in active_authorisations(user)
    )


def register_personal_data_rule(rule: Callable[[AbstractBaseUser, str], bool]) -> None:
    """Let another app grant a viewer the clear ID number and mobile of a person
    (``rule(viewer, "person:<pk>") -> bool``, e.g. the reviewer of that person's
    case); register it in ``AppConfig.ready()``. Every view stays audited."""
    from .persons import register_reveal_rule

    register_reveal_rule(rule)


# --- applicants (cases) ------------------------------------------------------------


@dataclass(frozen=True)
class ApplicantProfile:
    """What the platform knows of an applicant, for a case and its form (少填免填).

    ``kind`` is "person" or "entity"; for an entity ``name`` is the entity's name and
    ``id_masked`` its credit code (not personal data); ``contact_name`` and
    ``mobile`` are those of the person applying (the signed-in user's person, or
    the principal person). ``mobile`` is in clear only for the person themself or
    their own entity; an agent gets it masked."""

    kind: str
    principal_label: str
    name: str
    id_masked: str
    mobile: str
    entity_name: str = ""
    entity_code: str = ""
    contact_name: str = ""


@dataclass(frozen=True)
class CounterVisitInfo:
    """An open counter visit of a clerk: the walk-in applicant whose ID was checked."""

    visit_id: int
    organisation_id: int
    principal_label: str
    name: str
    id_masked: str
    mobile: str


def person_label_for_user(user: AbstractBaseUser | AnonymousUser | None) -> str:
    """``person:<pk>`` of the user's own person record, or "" when they have none."""
    from .persons import person_for_user, person_label

    if user is None or not user.is_authenticated:
        return ""
    cached = getattr(user, "_zhengwu_person_label", None)
    if cached is not None:
        return cached
    person = person_for_user(user)
    label = person_label(person) if person is not None else ""
    user._zhengwu_person_label = label  # type: ignore[union-attr]
    # The record itself, for applicant_profile in the same request (one look-up).
    user._zhengwu_person = person  # type: ignore[union-attr]
    return label


def _own_person(user: AbstractBaseUser | AnonymousUser | None) -> Person | None:
    """The user's own person record, looked up once per user object (with its
    label, by person_label_for_user)."""
    if user is None or not user.is_authenticated:
        return None
    if not hasattr(user, "_zhengwu_person"):
        from .persons import person_for_user

        user._zhengwu_person = person_for_user(user)  # type: ignore[union-attr]
    return user._zhengwu_person  # type: ignore[union-attr]


def applicant_profile(
    user: AbstractBaseUser | AnonymousUser | None, principal_label: str
) -> ApplicantProfile | None:
    """The profile of ``principal_label`` as ``user`` applies for it, or None when
    the principal is unknown."""
    from zhengwu.core.crypto import mask_id_number, mask_mobile

    from .models import LegalEntity, Person

    kind, _sep, value = (principal_label or "").partition(":")
    own = _own_person(user)
    if kind == "person" and value.isdigit():
        person = (
            own
            if own is not None and own.pk == int(value)
            else Person.objects.filter(pk=int(value)).first()
        )
        if person is None:
            return None
        is_self = own is not None and own.pk == person.pk
        mobile = person.mobile or ""
        return ApplicantProfile(
            kind="person",
            principal_label=principal_label,
            name=person.name,
            id_masked=mask_id_number(person.id_number or ""),
            mobile=mobile if is_self else mask_mobile(mobile),
            contact_name=person.name,
        )
    if kind == "entity" and value:
        entity = (
            LegalEntity.objects.filter(credit_code=value)
            .select_related("legal_representative")
            .first()
        )
        if entity is None:
            return None
        is_own = own is not None and entity.legal_representative_id == own.pk
        contact = own or entity.legal_representative
        mobile = (contact.mobile or "") if contact is not None else ""
        return ApplicantProfile(
            kind="entity",
            principal_label=principal_label,
            name=entity.name,
            id_masked=entity.credit_code,
            mobile=mobile if (is_own or contact is own) else mask_mobile(mobile),
            entity_name=entity.name,
            entity_code=entity.credit_code,
            contact_name=contact.name if contact is not None else "",
        )
    return None


_SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def _birth_date(id_number: str) -> datetime.date | None:
    """The birth date in a valid citizen ID number (GB 11643, positions 7–14)."""
    if not is_valid_id_number(id_number):
        return None
    return datetime.date(
        int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14])
    )


def _whole_years(born: datetime.date, today: datetime.date) -> int:
    """Age in whole years (周岁) on ``today``; someone born on 29 February turns a
    year older on 1 March in a common year."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def base_record_facts(
    user: AbstractBaseUser | AnonymousUser | None,
    principal_label: str,
    *,
    today: datetime.date | None = None,
) -> dict[str, Any]:
    """What the base records say of ``principal_label``, as JSON-like facts a rule
    (秒批 decision table) may decide on, instead of what the applicant typed.

    A person: ``age`` (whole years on today's date in Asia/Shanghai) and ``gender``
    (``"male"``/``"female"``, from the 17th digit) from the birth date of their ID
    number, and ``real_name_verified`` (L2 or L3). Only a verified ID number is a base
    record: for an L1 person ``age`` and ``gender`` are None, so a rule testing them
    does not hold. The person record holds no registered residence, so there is no
    division here. An entity: ``credit_code`` and what the legal-person base records
    say (``entity_kind``, ``status`` "active"/"deregistered", "" when not found;
    ``active``). Never the ID number itself. An unknown principal: ``{}``."""
    from .models import LegalEntity
    from .registry import legal_person_registry

    kind, _sep, value = (principal_label or "").partition(":")
    if kind == "person" and value.isdigit():
        own = _own_person(user)
        person = (
            own
            if own is not None and own.pk == int(value)
            else Person.objects.filter(pk=int(value)).first()
        )
        if person is None:
            return {}
        verified = person.assurance_level >= AssuranceLevel.VERIFIED
        born = _birth_date(person.id_number or "") if verified else None
        on = today or timezone.localdate(timezone=_SHANGHAI)
        return {
            "kind": "person",
            "real_name_verified": verified,
            "age": _whole_years(born, on) if born is not None else None,
            "gender": (
                None
                if born is None
                else ("male" if int(person.id_number[16]) % 2 else "female")
            ),
        }
    if kind == "entity" and value:
        entity = LegalEntity.objects.filter(credit_code=value).first()
        if entity is None:
            return {}
        record = legal_person_registry().lookup_entity(entity.credit_code)
        status = (
            "" if record is None else ("active" if record.active else "deregistered")
        )
        return {
            "kind": "entity",
            "credit_code": entity.credit_code,
            "entity_kind": record.kind if record is not None else entity.kind,
            "status": status,
            "active": status == "active",
            "real_name_verified": entity.verified_at is not None,
        }
    return {}


def counter_visit_info(
    clerk: AbstractBaseUser | AnonymousUser | None, visit_id: int
) -> CounterVisitInfo | None:
    """The clerk's open counter visit ``visit_id``, or None (ended, another clerk's,
    or the clerk no longer at a counter)."""
    from zhengwu.core.crypto import mask_id_number

    from .counter import open_visit
    from .persons import person_label

    if clerk is None or not clerk.is_authenticated:
        return None
    visit = open_visit(clerk, visit_id)
    if visit is None:
        return None
    return CounterVisitInfo(
        visit_id=visit.pk,
        organisation_id=visit.organisation_id,
        principal_label=person_label(visit.person),
        name=visit.person.name,
        id_masked=mask_id_number(visit.person.id_number or ""),
        mobile=visit.person.mobile or "",
    )


def staff_user_ids_with_role(
    organisation_id: int, role: StaffRole | str
) -> frozenset[int]:
    """Active users holding ``role`` in the organisation (hand-over targets)."""
    return frozenset(
        StaffMembership.objects.filter(
            organisation_id=organisation_id, role=role, user__is_active=True
        ).values_list("user_id", flat=True)
    )


def user_principal_labels(
    user: AbstractBaseUser | AnonymousUser | None,
) -> tuple[str, ...]:
    """Labels ``user`` applies under in their own right: their person and every
    entity they are the legal representative of (cached on the user object)."""
    if user is None or not user.is_authenticated:
        return ()
    cached = getattr(user, "_zhengwu_principal_labels", None)
    if cached is not None:
        return cached
    from .authorisations import entity_principal_label
    from .entities import entities_represented

    labels = [person_label_for_user(user)] if person_label_for_user(user) else []
    labels += [entity_principal_label(e) for e in entities_represented(user)]
    result = tuple(labels)
    user._zhengwu_principal_labels = result  # type: ignore[union-attr]
    return result


def principal_code(principal_label: str) -> str:
    """The full code of a principal for a document issued to it (an electronic
    licence's holder code): a real-name verified person's ID number or an entity's
    unified social credit code; "" when unknown or not verified. For a system
    step acting on a case the principal applied in, never for display."""
    from .models import LegalEntity

    kind, _sep, value = (principal_label or "").partition(":")
    if kind == "person" and value.isdigit() and len(value) < 19:
        person = Person.objects.filter(pk=int(value)).first()
        if person is None or person.assurance_level < AssuranceLevel.VERIFIED:
            return ""
        number = person.id_number or ""
        return number if is_valid_id_number(number) else ""
    if kind == "entity" and value:
        entity = LegalEntity.objects.filter(credit_code=value).first()
        return entity.credit_code if entity is not None else ""
    return ""


def principal_for_code(code: str) -> str:
    """The principal a holder code names: ``person:<pk>`` of the person with this
    ID number, ``entity:<USCC>`` of the entity with this unified social credit code;
    "" when none is on record. Read-only (a department importing the licences it
    issued before names each holder by code)."""
    from zhengwu.core.validators import is_valid_uscc, normalise_code

    from .models import LegalEntity
    from .persons import find_person_by_id_number

    code = normalise_code(code)
    if is_valid_id_number(code):
        person = find_person_by_id_number(code)
        return f"person:{person.pk}" if person is not None else ""
    if is_valid_uscc(code) and LegalEntity.objects.filter(credit_code=code).exists():
        return f"entity:{code}"
    return ""


def principal_name(principal_label: str) -> str:
    """The name on record of ``person:<pk>`` (the person's name) or
    ``entity:<USCC>`` (the entity's name); "" when none is on record. Read-only
    (a licence import compares the holder name in the file with it)."""
    from .models import LegalEntity

    kind, _sep, value = (principal_label or "").partition(":")
    if kind == "person" and value.isdigit() and len(value) < 19:
        person = Person.objects.filter(pk=int(value)).only("name").first()
        return person.name if person is not None else ""
    if kind == "entity" and value:
        entity = LegalEntity.objects.filter(credit_code=value).only("name").first()
        return entity.name if entity is not None else ""
    return ""


def principal_exists(principal_label: str) -> bool:
    """Whether ``person:<pk>`` / ``entity:<USCC>`` names a person or entity on
    record. Read-only."""
    from .models import LegalEntity

    kind, _sep, value = (principal_label or "").partition(":")
    if kind == "person" and value.isdigit() and len(value) < 19:
        return Person.objects.filter(pk=int(value)).exists()
    if kind == "entity" and value:
        return LegalEntity.objects.filter(credit_code=value).exists()
    return False


# --- base-record extracts (材料免交: fetched instead of uploaded) ---------------------

BASE_RECORD_PERSON_IDENTITY = "person_identity"
BASE_RECORD_ENTITY_REGISTRATION = "entity_registration"
# The kinds of base record a material may be fetched from, with the principal kind
# each applies to.
BASE_RECORD_KINDS: dict[str, str] = {
    BASE_RECORD_PERSON_IDENTITY: "person",
    BASE_RECORD_ENTITY_REGISTRATION: "entity",
}


@dataclass(frozen=True)
class BaseRecordExtract:
    """What a shared base record says of a principal, for a material fetched
    instead of uploaded: ``rows`` are (label, value) pairs to print, ``source``
    names the base records. A person's ID number is masked (the clear number is
    revealed only through the audited personal-data view)."""

    kind: str
    principal_label: str
    title: str
    source: str
    holder_name: str
    rows: tuple[tuple[str, str], ...]


def base_record_extract(principal_label: str, kind: str) -> BaseRecordExtract | None:
    """The extract of base record ``kind`` for ``principal_label``, or None when
    the base records hold none for it: ``person_identity`` of a person verified
    against the population base records (L2 or L3) whose record there is live
    (not cancelled, same name); ``entity_registration`` of an entity the
    legal-person base records hold as active. Read-only; for a caller that checked
    who asks for ``principal_label``."""
    from django.utils.translation import gettext as _

    from .constants import EntityKind
    from .models import LegalEntity
    from .registry import Verdict, legal_person_registry, population_registry

    principal_kind, _sep, value = (principal_label or "").partition(":")
    if BASE_RECORD_KINDS.get(kind) != principal_kind or not value:
        return None
    if kind == BASE_RECORD_PERSON_IDENTITY:
        if not value.isdigit() or len(value) > 18:
            return None
        person = Person.objects.filter(pk=int(value)).first()
        if person is None or person.assurance_level < AssuranceLevel.VERIFIED:
            return None
        number = person.id_number or ""
        if not is_valid_id_number(number):
            return None
        if population_registry().verify_person(person.name, number) != Verdict.MATCH:
            return None
        born = _birth_date(number)
        # The extract is a file kept with the case and seen by its handlers: it
        # must not get round the audited reveal of the ID number. Only the first
        # four digits (province and city) and the birth year are shown — not the
        # birth date, the last digits or anything else from which the number
        # could be rebuilt.
        return BaseRecordExtract(
            kind=kind,
            principal_label=principal_label,
            title=_("居民身份信息（人口基础信息库）"),
            source=_("人口基础信息库"),
            holder_name=person.name,
            rows=(
                (_("姓名"), person.name),
                (_("公民身份号码"), number[:4] + "*" * (len(number) - 4)),
                (_("性别"), _("男") if int(number[16]) % 2 else _("女")),
                (_("出生年份"), str(born.year) if born else ""),
                (_("实名等级"), str(AssuranceLevel(person.assurance_level).label)),
                (_("人口库状态"), _("正常")),
            ),
        )
    entity = LegalEntity.objects.filter(credit_code=value).first()
    if entity is None:
        return None
    record = legal_person_registry().lookup_entity(entity.credit_code)
    if record is None or not record.active:
        return None
    kind_label = (
        str(EntityKind(record.kind).label)
        if record.kind in EntityKind.values
        else record.kind
    )
    return BaseRecordExtract(
        kind=kind,
        principal_label=principal_label,
        title=_("法人登记信息（法人基础信息库）"),
        source=_("法人基础信息库"),
        holder_name=record.name,
        rows=(
            (_("名称"), record.name),
            (_("统一社会信用代码"), record.credit_code),
            (_("类型"), kind_label),
            (_("法定代表人"), record.representative_name),
            (_("登记状态"), _("存续")),
        ),
    )
