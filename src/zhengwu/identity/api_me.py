"""/api/v1/identity/me/: the caller's own identity: profile (masked), the
authorisations they gave and received, actions taken in their name, the entities
they represent and their clerks, and acting for a principal.

Every operation answers only about the caller: an authorisation or entity that is
not theirs does not exist (404). Authentication: an OIDC access token with the
``api`` scope, or the page session with CSRF checked on unsafe methods."""

from datetime import datetime
from typing import Annotated, Any

from django.core.paginator import Paginator
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from ninja import Field, Path, Query, Router, Schema, Status
from ninja.security import SessionAuth

from zhengwu.core.crypto import mask_name
from zhengwu.core.schemas import ERRORS, MAX_KEY, CleanText, Instant

from . import acting, authorisations, entities, persons
from .errors import IdentityError
from .models import Authorisation, LegalEntity
from .tokens import bearer_auth

router = Router(tags=["identity"])
me_auth = [bearer_auth, SessionAuth(csrf=True)]
PAGE_SIZE_MAX = 100


# --- schemas -----------------------------------------------------------------------


class MeOut(Schema):
    username: str
    has_person: bool
    name: str = ""
    id_number_masked: str = Field("", examples=["2101**********123X"])
    mobile_masked: str = Field("", examples=["139****1234"])
    assurance_level: int | None = None
    assurance_label: str = ""


class AuthorisationOut(Schema):
    id: int
    kind: str
    principal: str = Field(description="单位名称或委托人的脱敏姓名")
    principal_label: str = Field(examples=["person:42", "entity:91210100..."])
    agent: str = Field(description="受托人的脱敏姓名")
    all_items: bool
    item_codes: list[str]
    valid_from: datetime
    valid_until: datetime
    revoked_at: datetime | None
    state: str = Field(examples=["active", "revoked", "expired", "pending"])


class AuthorisationsOut(Schema):
    given: list[AuthorisationOut]
    received: list[AuthorisationOut]


class AuthorisationIn(Schema):
    agent_name: CleanText = Field(max_length=50)
    agent_id_number: CleanText = Field(max_length=18)
    item_codes: list[Annotated[CleanText, Field(max_length=40)]] = Field(
        default_factory=list, max_length=200
    )
    all_items: bool = False
    valid_from: Instant | None = None
    valid_until: Instant


class ActionOut(Schema):
    occurred_at: datetime
    actor: str
    principal: str
    event: str
    event_code: str
    outcome: str


class ActionPageOut(Schema):
    items: list[ActionOut]
    page: int
    pages: int
    total: int


class PageIn(Schema):
    page: int = Field(1, ge=1, le=100_000)
    page_size: int = Field(20, ge=1, le=PAGE_SIZE_MAX)


class EntityOut(Schema):
    id: int
    credit_code: str
    name: str
    kind: str


class EntityIn(Schema):
    credit_code: CleanText = Field(max_length=18)


class ActingIn(Schema):
    authorisation_id: int | None = Field(
        None, ge=1, le=MAX_KEY, description="开始代办的授权；为空表示结束代办"
    )


class ActingOut(Schema):
    acting: bool
    principal: str = ""
    principal_label: str = ""
    basis: str = ""
    basis_id: int | None = None


Id = Annotated[int, Path(ge=1, le=MAX_KEY)]


# --- presenting --------------------------------------------------------------------


def _authorisation(a: Authorisation, now: datetime) -> dict[str, Any]:
    agent_person = getattr(a.agent, "person", None)
    return {
        "id": a.pk,
        "kind": a.kind,
        "principal": authorisations.principal_display_name(a),
        "principal_label": authorisations.principal_label(a),
        "agent": mask_name(agent_person.name) if agent_person else "",
        "all_items": a.all_items,
        "item_codes": list(a.item_codes or []),
        "valid_from": a.valid_from,
        "valid_until": a.valid_until,
        "revoked_at": a.revoked_at,
        "state": authorisations.authorisation_state(a, now),
    }


def _entity(entity: LegalEntity) -> dict[str, Any]:
    return {
        "id": entity.pk,
        "credit_code": entity.credit_code,
        "name": entity.name,
        "kind": entity.kind,
    }


def _acting(context: acting.ActingContext | None) -> dict[str, Any]:
    if context is None:
        return {"acting": False}
    return {
        "acting": True,
        "principal": context.principal_name,
        "principal_label": context.principal_label,
        "basis": str(context.basis),
        "basis_id": context.basis_id,
    }


# --- operations --------------------------------------------------------------------


@router.get("", response={200: MeOut, **ERRORS}, auth=me_auth, summary="My profile")
def me(request: HttpRequest) -> dict[str, Any]:
    person = persons.person_for_user(request.auth)
    if person is None:
        return {"username": request.auth.get_username(), "has_person": False}
    return {
        "username": request.auth.get_username(),
        "has_person": True,
        "name": person.name,
        "id_number_masked": persons.masked_id_number(person),
        "mobile_masked": persons.masked_mobile(person),
        "assurance_level": person.assurance_level,
        "assurance_label": person.get_assurance_level_display(),
    }


@router.get(
    "/authorisations",
    response={200: AuthorisationsOut, **ERRORS},
    auth=me_auth,
    summary="Authorisations I gave (personal) and received (personal and clerk)",
)
def list_authorisations(request: HttpRequest) -> dict[str, Any]:
    now = timezone.now()
    return {
        "given": [
            _authorisation(a, now)
            for a in authorisations.authorisations_given(request.auth)
        ],
        "received": [
            _authorisation(a, now)
            for a in authorisations.authorisations_received(request.auth)
        ],
    }


@router.post(
    "/authorisations",
    response={201: AuthorisationOut, **ERRORS},
    auth=me_auth,
    summary="Authorise a verified citizen (by name and ID number) to act for me",
)
def create_authorisation(request: HttpRequest, payload: AuthorisationIn) -> Any:
    created = authorisations.authorisation_grant_personal(
        acting_user=request.auth,
        agent_id_number=payload.agent_id_number,
        agent_name=payload.agent_name,
        item_codes=payload.item_codes,
        all_items=payload.all_items,
        valid_from=payload.valid_from,
        valid_until=payload.valid_until,
    )
    return Status(201, _authorisation(created, timezone.now()))


@router.post(
    "/authorisations/{authorisation_id}/revoke",
    response={200: AuthorisationOut, **ERRORS},
    auth=me_auth,
    summary="Revoke an authorisation I gave (or my entity gave); effective at once",
)
def revoke_authorisation(request: HttpRequest, authorisation_id: Id) -> dict[str, Any]:
    revoked = authorisations.authorisation_revoke(
        authorisation_id=authorisation_id, acting_user=request.auth
    )
    return _authorisation(revoked, timezone.now())


@router.get(
    "/actions-in-my-name",
    response={200: ActionPageOut, **ERRORS},
    auth=me_auth,
    summary="What others did in my name or in the name of entities I represent",
)
def actions(request: HttpRequest, query: Query[PageIn]) -> dict[str, Any]:
    entity_names = acting.represented_entity_names(request.auth)
    paginator = Paginator(
        acting.actions_in_my_name(request.auth, entity_names), query.page_size
    )
    page = paginator.get_page(query.page)
    return {
        "items": [
            {
                **acting.action_row(event, entity_names),
                "event_code": event.event,
            }
            for event in page.object_list
        ],
        "page": page.number,
        "pages": paginator.num_pages,
        "total": paginator.count,
    }


@router.get(
    "/entities",
    response={200: list[EntityOut], **ERRORS},
    auth=me_auth,
    summary="Entities I am the registered legal representative of",
)
def list_entities(request: HttpRequest) -> list[dict[str, Any]]:
    return [_entity(e) for e in entities.entities_represented(request.auth)]


@router.post(
    "/entities",
    response={201: EntityOut, **ERRORS},
    auth=me_auth,
    summary="Register the entity I represent (checked against the legal-person records)",
)
def register_entity(request: HttpRequest, payload: EntityIn) -> Any:
    entity = entities.entity_register(
        credit_code=payload.credit_code, acting_user=request.auth
    )
    return Status(201, _entity(entity))


@router.get(
    "/entities/{entity_id}/clerks",
    response={200: list[AuthorisationOut], **ERRORS},
    auth=me_auth,
    summary="The clerks of an entity I represent",
)
def list_clerks(request: HttpRequest, entity_id: Id) -> list[dict[str, Any]]:
    entity = entities.represented_entity(request.auth, entity_id)
    now = timezone.now()
    return [
        _authorisation(a, now)
        for a in authorisations.entity_clerk_authorisations(request.auth, entity)
    ]


@router.post(
    "/entities/{entity_id}/clerks",
    response={201: AuthorisationOut, **ERRORS},
    auth=me_auth,
    summary="Authorise a clerk (经办人) of an entity I represent",
)
def create_clerk(request: HttpRequest, entity_id: Id, payload: AuthorisationIn) -> Any:
    created = entities.clerk_authorise(
        entity_id=entity_id,
        acting_user=request.auth,
        agent_id_number=payload.agent_id_number,
        agent_name=payload.agent_name,
        item_codes=payload.item_codes,
        all_items=payload.all_items,
        valid_from=payload.valid_from,
        valid_until=payload.valid_until,
    )
    return Status(201, _authorisation(created, timezone.now()))


@router.get(
    "/acting",
    response={200: ActingOut, **ERRORS},
    auth=me_auth,
    summary="Whom I am acting for in this session",
)
def acting_state(request: HttpRequest) -> dict[str, Any]:
    return _acting(getattr(request, "acting", None))


@router.post(
    "/acting",
    response={200: ActingOut, **ERRORS},
    auth=me_auth,
    summary="Start acting under an authorisation I received, or stop (null)",
)
def acting_change(request: HttpRequest, payload: ActingIn) -> dict[str, Any]:
    if getattr(request, "zhengwu_bearer", False):
        raise IdentityError(
            "identity.acting_needs_session",
            _("代办须在登录会话中进行。"),
            status=400,
        )
    if payload.authorisation_id is None:
        acting.acting_stop(request)
        return _acting(None)
    return _acting(acting.acting_start(request, payload.authorisation_id))
