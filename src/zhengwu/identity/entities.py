"""Legal persons (法人): a verified citizen registers the enterprise or organisation
whose legal representative they are, as the legal-person base records say; the
representative then authorises clerks (经办人) to act for it on named items for a
period, and may revoke them at once (``authorisations.authorisation_revoke``)."""

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengwu.core import audit
from zhengwu.core.validators import is_valid_uscc

from .authorisations import find_agent, grant
from .constants import AssuranceLevel, AuthorisationKind
from .errors import IdentityError
from .models import Authorisation, LegalEntity
from .persons import person_for_user
from .registry import legal_person_registry


def _refuse(code: str, message: str, *, status: int = 400) -> IdentityError:
    return IdentityError(
        code, message, fields={"credit_code": [message]}, status=status
    )


@transaction.atomic
def entity_register(*, credit_code: str, acting_user: AbstractBaseUser) -> LegalEntity:
    """Register the legal entity with ``credit_code`` for its legal representative.

    Only a citizen verified at L2 or above, and only when the legal-person base
    records name them (by ID number) as the entity's legal representative. When
    the base records name a new representative, the entity passes to them."""
    person = person_for_user(acting_user)
    if person is None:
        raise IdentityError(
            "identity.not_a_citizen",
            _("请使用个人实名账户登记单位。"),
            status=403,
        )
    if person.assurance_level < AssuranceLevel.VERIFIED:
        raise IdentityError(
            "identity.verification_required",
            _("登记单位须先完成实名核验（L2及以上）。"),
            status=403,
        )
    credit_code = (credit_code or "").strip().upper()
    if not is_valid_uscc(credit_code):
        raise _refuse(
            "identity.invalid_credit_code",
            _("统一社会信用代码无效：应为18位且校验码正确。"),
        )
    record = legal_person_registry().lookup_entity(credit_code)
    if record is None:
        raise _refuse(
            "identity.entity_not_found",
            _("法人库中没有该统一社会信用代码，请核对。"),
        )
    if not record.active:
        raise _refuse(
            "identity.entity_deregistered", _("该单位在法人库中已注销，不能登记。")
        )
    if record.representative_id_index != person.id_number_index:
        raise _refuse(
            "identity.not_representative",
            _("法人库登记的法定代表人不是您，只有法定代表人本人可以登记该单位。"),
            status=403,
        )
    entity = (
        LegalEntity.objects.select_for_update().filter(credit_code=credit_code).first()
    )
    if entity is not None and entity.legal_representative_id == person.pk:
        raise _refuse("identity.entity_registered", _("您已登记该单位。"), status=409)
    now = timezone.now()
    changed = entity is not None
    if entity is None:
        entity = LegalEntity(credit_code=credit_code)
    previous = entity.legal_representative_id if changed else None
    entity.name = record.name
    entity.kind = record.kind
    entity.legal_representative = person
    entity.verified_at = now
    entity.full_clean(exclude=["credit_code"] if changed else None)
    try:
        with transaction.atomic():
            entity.save()
    except IntegrityError as error:
        raise _refuse(
            "identity.entity_registered", _("该单位已登记。"), status=409
        ) from error
    audit.record(
        acting_user=acting_user,
        event="identity.entity_registered",
        target=entity,
        data={
            "credit_code": credit_code,
            "name": record.name,
            "representative_changed": changed,
            "previous_representative": f"person:{previous}" if previous else "",
        },
    )
    return entity


def entities_represented(user: AbstractBaseUser) -> QuerySet[LegalEntity]:
    """The entities ``user`` is the registered legal representative of."""
    return LegalEntity.objects.filter(legal_representative__user=user).order_by("name")


def represented_entity(user: AbstractBaseUser, entity_id: int) -> LegalEntity:
    """One entity ``user`` represents; 404 for every other entity."""
    entity = entities_represented(user).filter(pk=entity_id).first()
    if entity is None:
        raise IdentityError("identity.entity_not_found", _("单位不存在。"), status=404)
    return entity


@transaction.atomic
def clerk_authorise(
    *,
    entity_id: int,
    acting_user: AbstractBaseUser,
    agent_id_number: str,
    agent_name: str,
    item_codes: Iterable[str] | None = None,
    all_items: bool = False,
    valid_from: datetime | None = None,
    valid_until: datetime | None,
) -> Authorisation:
    """The legal representative authorises a citizen (found by ID number and name)
    as a clerk of the entity for the named items (or all) until ``valid_until``."""
    entity = represented_entity(acting_user, entity_id)
    agent = find_agent(id_number=agent_id_number, name=agent_name)
    return grant(
        kind=AuthorisationKind.CLERK,
        principal_entity=entity,
        agent=agent,
        item_codes=item_codes,
        all_items=all_items,
        valid_from=valid_from,
        valid_until=valid_until,
        acting_user=acting_user,
    )
