"""Authorisations to act for someone (授权委托): a citizen authorises an agent (a
family member, a village service-point clerk) to handle named items for a period
(代办); an enterprise's legal representative authorises clerks (经办人, see
``entities``). Revoking takes effect on the agent's next request.

Every lookup here starts from the requesting user: an authorisation someone is
neither principal nor agent of does not exist for them (404)."""

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengwu.core import audit
from zhengwu.core.crypto import mask_id_number, mask_name

from .constants import AssuranceLevel, AuthorisationKind
from .errors import IdentityError
from .models import Authorisation, LegalEntity, Person
from .persons import (
    find_person_by_id_number,
    id_number_errors,
    normalise_id_number,
    person_for_user,
)
from .registry import normalise_name

ITEM_CODE_RE = re.compile(r"^[0-9]{12}\Z")
MAX_ITEMS = 200


def max_validity() -> timedelta:
    """The longest an authorisation may last (``ZHENGWU_AUTHORISATION_MAX_DAYS``)."""
    return timedelta(days=getattr(settings, "ZHENGWU_AUTHORISATION_MAX_DAYS", 365))


def person_principal_label(person: Person) -> str:
    return f"person:{person.pk}"


def entity_principal_label(entity: LegalEntity) -> str:
    return f"entity:{entity.credit_code}"


def principal_label(authorisation: Authorisation) -> str:
    if authorisation.principal_entity_id is not None:
        return entity_principal_label(authorisation.principal_entity)
    return person_principal_label(authorisation.principal_person)


def principal_display_name(authorisation: Authorisation) -> str:
    """The entity's name, or the principal person's masked name."""
    if authorisation.principal_entity_id is not None:
        return authorisation.principal_entity.name
    return mask_name(authorisation.principal_person.name)


# --- validating requests -----------------------------------------------------------


def clean_item_codes(item_codes: Iterable[str] | None, *, all_items: bool) -> list[str]:
    """The distinct 12-digit base item codes, or [] for all items. Codes are checked
    for form only: identity does not read the catalogue."""
    if all_items:
        return []
    codes: list[str] = []
    bad: list[str] = []
    for raw in item_codes or []:
        code = str(raw).strip()
        if not code:
            continue
        if not ITEM_CODE_RE.match(code):
            bad.append(code[:20])
        elif code not in codes:
            codes.append(code)
    if bad:
        raise IdentityError(
            "identity.invalid_item_code",
            _("事项编码应为12位数字。"),
            fields={
                "item_codes": [
                    _("事项编码“%(code)s”无效：应为12位数字。") % {"code": code}
                    for code in bad
                ]
            },
        )
    if not codes:
        raise IdentityError(
            "identity.no_items",
            _("请填写授权办理的事项，或选择全部事项。"),
            fields={"item_codes": [_("请填写授权办理的事项，或选择全部事项。")]},
        )
    if len(codes) > MAX_ITEMS:
        raise IdentityError(
            "identity.too_many_items",
            _("授权事项不能超过%(n)s项。") % {"n": MAX_ITEMS},
            fields={"item_codes": [_("授权事项不能超过%(n)s项。") % {"n": MAX_ITEMS}]},
        )
    return codes


def clean_period(
    valid_from: datetime | None, valid_until: datetime | None
) -> tuple[datetime, datetime]:
    now = timezone.now()
    start = valid_from or now
    if valid_until is None:
        raise IdentityError(
            "identity.invalid_period",
            _("请填写授权截止时间。"),
            fields={"valid_until": [_("请填写授权截止时间。")]},
        )
    reasons: dict[str, list[str]] = {}
    if start < now - timedelta(minutes=5):
        reasons["valid_from"] = [_("生效时间不能早于现在。")]
    if valid_until <= max(start, now):
        reasons["valid_until"] = [_("截止时间应晚于生效时间和现在。")]
    elif valid_until - start > max_validity():
        reasons["valid_until"] = [
            _("授权期限不能超过%(days)s天。") % {"days": max_validity().days}
        ]
    if reasons:
        raise IdentityError(
            "identity.invalid_period", _("授权期限不正确。"), fields=reasons
        )
    return start, valid_until


def find_agent(*, id_number: str, name: str) -> AbstractBaseUser:
    """The account of the person with this ID number and name. The same refusal
    whether the number is unknown, has no account, or carries another name, so the
    form cannot be used to learn who has an account under which name."""
    id_number = normalise_id_number(id_number)
    errors = id_number_errors(id_number)
    if errors:
        raise IdentityError(
            "identity.invalid_agent", errors[0], fields={"agent_id_number": errors}
        )
    person = find_person_by_id_number(id_number)
    if (
        person is None
        or person.user is None
        or not person.user.is_active
        or normalise_name(person.name) != normalise_name(name or "")
    ):
        message = _("未找到该姓名与身份号码对应的实名用户，请确认对方已注册。")
        raise IdentityError(
            "identity.agent_not_found",
            message,
            fields={"agent_id_number": [message]},
        )
    if person.assurance_level < AssuranceLevel.VERIFIED:
        message = _("受托人须已完成实名核验（L2及以上）。")
        raise IdentityError(
            "identity.agent_not_verified",
            message,
            fields={"agent_id_number": [message]},
        )
    return person.user


def grant(
    *,
    kind: AuthorisationKind,
    principal_person: Person | None = None,
    principal_entity: LegalEntity | None = None,
    agent: AbstractBaseUser,
    item_codes: Iterable[str] | None,
    all_items: bool,
    valid_from: datetime | None,
    valid_until: datetime | None,
    acting_user: AbstractBaseUser,
) -> Authorisation:
    """Create an authorisation after checking items and period; audited. Callers
    check that ``acting_user`` may speak for the principal."""
    codes = clean_item_codes(item_codes, all_items=all_items)
    start, end = clean_period(valid_from, valid_until)
    if agent.pk == acting_user.pk:
        message = _("不能授权给自己。")
        raise IdentityError(
            "identity.self_authorisation",
            message,
            fields={"agent_id_number": [message]},
        )
    authorisation = Authorisation(
        kind=kind,
        principal_person=principal_person,
        principal_entity=principal_entity,
        agent=agent,
        all_items=all_items,
        item_codes=codes,
        valid_from=start,
        valid_until=end,
        granted_by=acting_user,
    )
    authorisation.full_clean()
    authorisation.save()
    agent_person = person_for_user(agent)
    audit.record(
        acting_user=acting_user,
        event="identity.authorisation_granted",
        target=authorisation,
        data={
            "kind": str(kind),
            "principal": principal_label(authorisation),
            "agent": mask_name(agent_person.name) if agent_person else agent.pk,
            "agent_id_number": mask_id_number(agent_person.id_number)
            if agent_person
            else "",
            "all_items": all_items,
            "item_codes": codes,
            "valid_from": start,
            "valid_until": end,
        },
    )
    return authorisation


# --- personal authorisations (代办) --------------------------------------------------


def _principal_person(user: AbstractBaseUser) -> Person:
    person = person_for_user(user)
    if person is None:
        raise IdentityError(
            "identity.not_a_citizen",
            _("只有实名注册的个人用户可以委托他人代办。"),
            status=403,
        )
    return person


@transaction.atomic
def authorisation_grant_personal(
    *,
    acting_user: AbstractBaseUser,
    agent_id_number: str,
    agent_name: str,
    item_codes: Iterable[str] | None = None,
    all_items: bool = False,
    valid_from: datetime | None = None,
    valid_until: datetime | None,
) -> Authorisation:
    """The signed-in citizen authorises the person with this ID number and name to
    handle the named items (or all items) until ``valid_until``."""
    principal = _principal_person(acting_user)
    agent = find_agent(id_number=agent_id_number, name=agent_name)
    return grant(
        kind=AuthorisationKind.PERSONAL,
        principal_person=principal,
        agent=agent,
        item_codes=item_codes,
        all_items=all_items,
        valid_from=valid_from,
        valid_until=valid_until,
        acting_user=acting_user,
    )


def _may_revoke_filter(user: AbstractBaseUser) -> Q:
    """Authorisations ``user`` may revoke: those they gave as a person, and those
    given by entities they are the legal representative of."""
    return Q(principal_person__user=user) | Q(
        principal_entity__legal_representative__user=user
    )


@transaction.atomic
def authorisation_revoke(
    *, authorisation_id: int, acting_user: AbstractBaseUser
) -> Authorisation:
    """Revoke at once: the agent's next request no longer acts under it. Only the
    principal (or the entity's legal representative) may revoke; for anyone else
    the authorisation does not exist (404)."""
    authorisation = (
        Authorisation.objects.select_for_update(of=("self",))
        .filter(_may_revoke_filter(acting_user), pk=authorisation_id)
        .select_related("principal_person", "principal_entity")
        .first()
    )
    if authorisation is None:
        raise IdentityError(
            "identity.authorisation_not_found", _("授权不存在。"), status=404
        )
    if authorisation.revoked_at is not None:
        raise IdentityError(
            "identity.authorisation_revoked", _("该授权已撤销。"), status=409
        )
    authorisation.revoked_at = timezone.now()
    authorisation.revoked_by = acting_user
    authorisation.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
    audit.record(
        acting_user=acting_user,
        event="identity.authorisation_revoked",
        target=authorisation,
        data={"kind": authorisation.kind, "principal": principal_label(authorisation)},
    )
    return authorisation


# --- reads -------------------------------------------------------------------------


def _with_principals(queryset: QuerySet[Authorisation]) -> QuerySet[Authorisation]:
    return queryset.select_related(
        "principal_person", "principal_entity", "agent", "agent__person"
    )


def authorisations_given(user: AbstractBaseUser) -> QuerySet[Authorisation]:
    """Personal authorisations ``user`` gave, newest first."""
    return _with_principals(
        Authorisation.objects.filter(
            kind=AuthorisationKind.PERSONAL, principal_person__user=user
        )
    )


def entity_clerk_authorisations(
    user: AbstractBaseUser, entity: LegalEntity
) -> QuerySet[Authorisation]:
    return _with_principals(
        Authorisation.objects.filter(
            kind=AuthorisationKind.CLERK,
            principal_entity=entity,
            principal_entity__legal_representative__user=user,
        )
    )


def authorisations_received(user: AbstractBaseUser) -> QuerySet[Authorisation]:
    """Every authorisation (personal and clerk) given to ``user``."""
    return _with_principals(Authorisation.objects.filter(agent=user))


def visible_authorisations(user: AbstractBaseUser) -> QuerySet[Authorisation]:
    """Authorisations ``user`` is principal, representative or agent of."""
    return _with_principals(
        Authorisation.objects.filter(_may_revoke_filter(user) | Q(agent=user))
    )


def active_filter(now: datetime | None = None) -> Q:
    now = now or timezone.now()
    return Q(revoked_at__isnull=True, valid_from__lte=now, valid_until__gt=now)


def active_authorisations(
    agent: AbstractBaseUser | AnonymousUser | None,
) -> QuerySet[Authorisation]:
    """What ``agent`` may act under right now."""
    if agent is None or not agent.is_authenticated:
        return Authorisation.objects.none()
    return _with_principals(Authorisation.objects.filter(active_filter(), agent=agent))


def authorisation_state(
    authorisation: Authorisation, now: datetime | None = None
) -> str:
    """``active``, ``revoked``, ``expired`` or ``pending`` (not yet valid)."""
    now = now or timezone.now()
    if authorisation.revoked_at is not None:
        return "revoked"
    if authorisation.valid_until <= now:
        return "expired"
    if authorisation.valid_from > now:
        return "pending"
    return "active"


STATE_LABELS = {
    "active": gettext_lazy("有效"),
    "revoked": gettext_lazy("已撤销"),
    "expired": gettext_lazy("已过期"),
    "pending": gettext_lazy("未生效"),
}


def covers_item(authorisation: Authorisation, item_code: str | None) -> bool:
    return (
        item_code is None
        or authorisation.all_items
        or item_code in (authorisation.item_codes or [])
    )


def _principal_q(label: str) -> Q | None:
    kind, _sep, value = label.partition(":")
    if kind == "person" and value.isdigit():
        return Q(principal_person_id=int(value))
    if kind == "entity" and value:
        return Q(principal_entity__credit_code=value)
    return None


def check_may_act(
    agent: AbstractBaseUser | AnonymousUser | None,
    principal_label: str,
    item_code: str | None = None,
) -> Authorisation:
    """The authorisation under which ``agent`` may act for the principal (on
    ``item_code`` when given). Raises ``IdentityError`` 403 naming why not: no
    authorisation, revoked, expired, not yet valid, or the item out of scope."""
    query = _principal_q(principal_label)
    if agent is None or not agent.is_authenticated or query is None:
        raise IdentityError(
            "identity.not_authorised", _("您未获得该委托人的授权。"), status=403
        )
    candidates = list(
        Authorisation.objects.filter(query, agent=agent).select_related(
            "principal_person", "principal_entity"
        )
    )
    now = timezone.now()
    active = [a for a in candidates if authorisation_state(a, now) == "active"]
    in_scope = [a for a in active if covers_item(a, item_code)]
    if in_scope:
        return in_scope[0]
    if active:
        raise IdentityError(
            "identity.item_out_of_scope",
            _("该事项不在授权范围内。"),
            status=403,
        )
    states = {authorisation_state(a, now) for a in candidates}
    for state, code, message in (
        ("pending", "identity.authorisation_pending", _("授权尚未生效。")),
        ("expired", "identity.authorisation_expired", _("授权已过期。")),
        ("revoked", "identity.authorisation_revoked", _("授权已被撤销。")),
    ):
        if state in states:
            raise IdentityError(code, message, status=403)
    raise IdentityError(
        "identity.not_authorised", _("您未获得该委托人的授权。"), status=403
    )
