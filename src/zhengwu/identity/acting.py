"""Acting for a principal (代办): the signed-in user chooses an authorisation (or, at a
counter, a visit) and from then on acts for its principal until they stop.

The choice is kept in the session as a basis (kind and id) only. Every request
re-reads it (``ActingMiddleware``): a revoked or expired authorisation, or an ended
visit, stops the acting on the agent's next request."""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhengwu.core import audit
from zhengwu.core.crypto import mask_name
from zhengwu.core.models import AuditEvent

from .authorisations import (
    active_authorisations,
    entity_principal_label,
    principal_display_name,
    principal_label,
)
from .constants import BasisKind
from .counter import open_visit
from .entities import entities_represented
from .errors import IdentityError
from .models import Authorisation, CounterVisit, LegalEntity, Person
from .persons import person_for_user, person_label

SESSION_KEY = "identity_acting"


@dataclass(frozen=True)
class ActingContext:
    """Who acts for whom on this request, and why they may."""

    actor: AbstractBaseUser
    principal_label: str
    principal_name: str  # the entity's name or the person's masked name
    principal_person: Person | None
    principal_entity: LegalEntity | None
    basis: BasisKind
    basis_id: int
    all_items: bool
    item_codes: tuple[str, ...]

    def covers(self, item_code: str) -> bool:
        """Whether the actor may handle ``item_code`` for the principal."""
        return self.all_items or item_code in self.item_codes


def _from_authorisation(actor: AbstractBaseUser, a: Authorisation) -> ActingContext:
    return ActingContext(
        actor=actor,
        principal_label=principal_label(a),
        principal_name=principal_display_name(a),
        principal_person=a.principal_person,
        principal_entity=a.principal_entity,
        basis=BasisKind.AUTHORISATION,
        basis_id=a.pk,
        all_items=a.all_items,
        item_codes=tuple(a.item_codes or ()),
    )


def _from_visit(actor: AbstractBaseUser, visit: CounterVisit) -> ActingContext:
    return ActingContext(
        actor=actor,
        principal_label=person_label(visit.person),
        principal_name=mask_name(visit.person.name),
        principal_person=visit.person,
        principal_entity=None,
        basis=BasisKind.COUNTER,
        basis_id=visit.pk,
        # At the counter the clerk handles whatever the applicant came for.
        all_items=True,
        item_codes=(),
    )


def resolve(
    user: AbstractBaseUser | AnonymousUser | None, stored: object
) -> ActingContext | None:
    """The acting context the session names, if it is still valid for ``user``."""
    if user is None or not user.is_authenticated or not isinstance(stored, dict):
        return None
    basis, basis_id = stored.get("basis"), stored.get("id")
    if not isinstance(basis_id, int):
        return None
    if basis == BasisKind.AUTHORISATION:
        authorisation = active_authorisations(user).filter(pk=basis_id).first()
        return _from_authorisation(user, authorisation) if authorisation else None
    if basis == BasisKind.COUNTER:
        visit = open_visit(user, basis_id)
        return _from_visit(user, visit) if visit else None
    return None


def acting_start(request: HttpRequest, authorisation_id: int) -> ActingContext:
    """Start acting under one of the user's active authorisations. Audited."""
    authorisation = (
        active_authorisations(request.user).filter(pk=authorisation_id).first()
    )
    if authorisation is None:
        raise IdentityError(
            "identity.authorisation_not_found",
            _("该授权不存在或已失效。"),
            status=404,
        )
    return _start(request, _from_authorisation(request.user, authorisation))


def acting_start_counter(request: HttpRequest, visit: CounterVisit) -> ActingContext:
    """Act for the applicant of an open counter visit (the counter page calls it)."""
    if visit.clerk_id != request.user.pk:
        raise IdentityError(
            "identity.visit_not_found", _("窗口代办记录不存在。"), status=404
        )
    return _start(request, _from_visit(request.user, visit))


def _start(request: HttpRequest, context: ActingContext) -> ActingContext:
    previous = getattr(request, "acting", None)
    if previous is not None:
        _record_stop(request, previous)
    request.session[SESSION_KEY] = {"basis": str(context.basis), "id": context.basis_id}
    request.acting = context  # type: ignore[attr-defined]
    audit.record(
        acting_user=request.user,
        event="identity.acting_started",
        on_behalf_of=context.principal_label,
        data={"basis": str(context.basis), "basis_id": context.basis_id},
    )
    return context


def _record_stop(request: HttpRequest, context: ActingContext) -> None:
    audit.record(
        acting_user=request.user,
        event="identity.acting_stopped",
        on_behalf_of=context.principal_label,
        data={"basis": str(context.basis), "basis_id": context.basis_id},
    )


def acting_stop(request: HttpRequest) -> bool:
    """Stop acting; True when the user was acting. Audited."""
    stored = request.session.pop(SESSION_KEY, None)
    context = getattr(request, "acting", None)
    request.acting = None  # type: ignore[attr-defined]
    if context is not None:
        _record_stop(request, context)
    return stored is not None


# --- what was done in someone's name ----------------------------------------


OUTCOME_LABELS = {
    "success": gettext_lazy("成功"),
    "denied": gettext_lazy("被拒绝"),
    "failure": gettext_lazy("失败"),
}


def describe_event(event: str) -> str:
    """The event in Chinese (the apps' labels in ``core.audit``); an unlabelled
    code as itself."""
    return audit.event_label(event)


def represented_entity_names(user: AbstractBaseUser) -> dict[str, str]:
    """``entity:<credit code>`` → name, for each entity ``user`` represents."""
    return {entity_principal_label(e): e.name for e in entities_represented(user)}


def principal_labels(
    user: AbstractBaseUser, entity_names: dict[str, str] | None = None
) -> list[str]:
    """Labels under which things are done in ``user``'s name: their person and the
    entities they represent (``entity_names``, when the caller already has them)."""
    labels = []
    person = person_for_user(user)
    if person is not None:
        labels.append(person_label(person))
    if entity_names is None:
        entity_names = represented_entity_names(user)
    return labels + list(entity_names)


def actions_in_my_name(
    user: AbstractBaseUser, entity_names: dict[str, str] | None = None
) -> QuerySet[AuditEvent]:
    labels = principal_labels(user, entity_names)
    if not labels:
        return AuditEvent.objects.none()
    return (
        AuditEvent.objects.filter(on_behalf_of__in=labels)
        .select_related("actor", "actor__person")
        .order_by("-occurred_at", "-pk")
    )


def actor_display(event: AuditEvent) -> str:
    """A citizen actor by masked name; staff by their name (they act in office)."""
    actor = event.actor
    if actor is None:
        return event.actor_label
    person = getattr(actor, "person", None)
    if person is not None:
        return mask_name(person.name)
    return actor.get_full_name() or actor.get_username()


def action_row(event: AuditEvent, entity_names: dict[str, str]) -> dict[str, Any]:
    return {
        "occurred_at": event.occurred_at,
        "actor": actor_display(event),
        "event": describe_event(event.event),
        "outcome": str(OUTCOME_LABELS.get(event.outcome, event.outcome)),
        "principal": entity_names.get(event.on_behalf_of, _("本人")),
    }
