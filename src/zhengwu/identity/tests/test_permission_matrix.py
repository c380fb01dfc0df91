"""The permission matrix (issue 3, "Must show"): every page and API operation under
/me/, /staff/admin/, /staff/sso-clients/, /staff/counter/, /api/v1/identity/ and
/o/userinfo/ that returns or changes personal data, for every kind of user:

anonymous · citizen · other citizen · enterprise clerk in scope (authorised by the
enterprise E whose data is at stake) · enterprise clerk out of scope (authorised by
another enterprise) · counter clerk · reviewer of another department · system,
security and audit administrator.

Each case asserts the status, that a refused change did not happen, and that nobody
sees another person's clear ID number or mobile. The people and records are built
once per module (rolled back at the end); each case runs in its own transaction."""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

import pytest
from oauth2_provider.models import AccessToken, Application

from zhengwu.core import audit
from zhengwu.core.crypto import blind_index
from zhengwu.core.models import AuditEvent, SmsMessage
from zhengwu.identity.acting import SESSION_KEY
from zhengwu.identity.constants import AuthorisationKind, EntityKind, StaffRole
from zhengwu.identity.models import (
    Account,
    Authorisation,
    CounterVisit,
    LegalEntity,
    LegalPersonRecord,
    LoginLock,
    Person,
    StaffMembership,
)

from .person_factories import make_credit_code, make_id_number, make_mobile
from .staff_factories import divisions, organisation, staff_user

KINDS = [
    "anonymous",
    "citizen",
    "other_citizen",
    "clerk_in_scope",
    "clerk_out_of_scope",
    "counter_clerk",
    "reviewer_other_department",
    "system_admin",
    "security_admin",
    "audit_admin",
]
PERSONS = {"citizen", "other_citizen", "clerk_in_scope", "clerk_out_of_scope"}
SIGNED_IN = set(KINDS) - {"anonymous"}
ITEM_IN_SCOPE = "210100000001"
LOGIN_PREFIX = "/accounts/login/"


# --- the world -----------------------------------------------------------------------


def _citizen(username: str, name: str) -> Any:
    user = get_user_model().objects.create_user(
        username=username, password=secrets.token_urlsafe(16)
    )
    id_number, mobile = make_id_number(), make_mobile()
    Person.objects.create(
        user=user,
        name=name,
        id_number=id_number,
        id_number_index=blind_index(id_number, purpose="id_number"),
        mobile=mobile,
        mobile_index=blind_index(mobile, purpose="mobile"),
        assurance_level=2,
    )
    return user


def _authorise(principal_person=None, principal_entity=None, *, agent, items=None):
    now = timezone.now()
    return Authorisation.objects.create(
        kind=AuthorisationKind.PERSONAL
        if principal_person
        else AuthorisationKind.CLERK,
        principal_person=principal_person,
        principal_entity=principal_entity,
        agent=agent,
        all_items=items is None,
        item_codes=items or [],
        valid_from=now - datetime.timedelta(days=1),
        valid_until=now + datetime.timedelta(days=30),
        granted_by=(principal_person.user if principal_person else agent),
    )


@dataclass
class World:
    users: dict[str, Any]
    family: Any  # 王: the citizen's authorised family member
    representative: Any  # 李: E's and F's legal representative
    entity: LegalEntity  # E
    other_entity: LegalEntity  # F
    family_authorisation: Authorisation  # 张 → 王
    clerk_authorisation: Authorisation  # E → clerk in scope
    other_clerk_authorisation: Authorisation  # F → clerk out of scope
    visit: CounterVisit  # the counter clerk serving the other citizen now
    lock: LoginLock
    hall: Any
    sso_client: Any  # a registered department system
    unregistered_code: str  # in the legal-person records, 李 its representative

    def person(self, kind: str) -> Person:
        return self.users[kind].person

    @property
    def secrets_of_citizen(self) -> tuple[str, str]:
        person = Person.objects.get(user=self.users["citizen"])
        return person.id_number, person.mobile


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        divisions()
        province = organisation("辽宁省营商环境建设局", "210000")
        hall = organisation("沈阳市政务服务中心", "210100")
        police = organisation("沈阳市公安局", "210100")
        users = {
            "citizen": _citizen("m_citizen", "张丽华"),
            "other_citizen": _citizen("m_other", "孙小梅"),
            "clerk_in_scope": _citizen("m_clerk_in", "赵敏"),
            "clerk_out_of_scope": _citizen("m_clerk_out", "钱进"),
            "counter_clerk": staff_user("m_counter", (hall, StaffRole.COUNTER_CLERK)),
            "reviewer_other_department": staff_user(
                "m_reviewer", (police, StaffRole.REVIEWER)
            ),
            "system_admin": staff_user("m_xitong", (province, StaffRole.SYSTEM_ADMIN)),
            "security_admin": staff_user(
                "m_anquan", (province, StaffRole.SECURITY_ADMIN)
            ),
            "audit_admin": staff_user("m_shenji", (province, StaffRole.AUDIT_ADMIN)),
        }
        family = _citizen("m_family", "王建国")
        representative = _citizen("m_rep", "李明")
        entity = LegalEntity.objects.create(
            credit_code=make_credit_code(),
            name="沈阳矩阵示范有限公司",
            kind=EntityKind.ENTERPRISE,
            legal_representative=representative.person,
        )
        other_entity = LegalEntity.objects.create(
            credit_code=make_credit_code(),
            name="大连矩阵示范有限公司",
            kind=EntityKind.ENTERPRISE,
            legal_representative=representative.person,
        )
        family_authorisation = _authorise(
            principal_person=users["citizen"].person, agent=family
        )
        clerk_authorisation = _authorise(
            principal_entity=entity,
            agent=users["clerk_in_scope"],
            items=[ITEM_IN_SCOPE],
        )
        other_clerk_authorisation = _authorise(
            principal_entity=other_entity, agent=users["clerk_out_of_scope"]
        )
        visit = CounterVisit.objects.create(
            clerk=users["counter_clerk"],
            organisation=hall,
            person=users["other_citizen"].person,
            document=CounterVisit.Document.ID_CARD,
        )
        # something done in the citizen's name, by the family member
        with audit.acting_for(f"person:{users['citizen'].person.pk}"):
            audit.record(acting_user=family, event="test.done_for_the_citizen")
        lock = LoginLock.objects.create(
            scope="address",
            key="203.0.113.77",
            failures=5,
            locked_until=timezone.now() + datetime.timedelta(minutes=15),
        )
        from .oidc_support import register

        sso_client = register(
            "矩阵已接入系统", "https://registered.example.gov.cn/cb", organisation=hall
        )
        unregistered_code = make_credit_code()
        LegalPersonRecord.objects.create(
            credit_code=unregistered_code,
            name="锦州矩阵示范有限公司",
            kind=EntityKind.ENTERPRISE,
            representative_name="李明",
            representative_id_index=representative.person.id_number_index,
        )
        yield World(
            users=users,
            family=family,
            representative=representative,
            entity=entity,
            other_entity=other_entity,
            family_authorisation=family_authorisation,
            clerk_authorisation=clerk_authorisation,
            other_clerk_authorisation=other_clerk_authorisation,
            visit=visit,
            lock=lock,
            hall=hall,
            sso_client=sso_client,
            unregistered_code=unregistered_code,
        )
        transaction.set_rollback(True)


def _client_for(client, world: World, kind: str):
    if kind != "anonymous":
        client.force_login(world.users[kind])
    return client


# --- the operations ------------------------------------------------------------------


@dataclass(frozen=True)
class Op:
    """One page or API operation. ``allowed`` maps kinds to their status (others get
    ``denied``); ``check`` asserts the side effect for a kind (allowed or not)."""

    name: str
    method: str
    path: Callable[[World], str]
    allowed: Callable[[str], int | tuple[int, ...] | None]
    denied: int
    data: Callable[[World], dict] | None = None
    api: bool = False
    check: Callable[[World, str, Any], None] | None = None
    public: bool = False  # anonymous callers are served too


def only(kinds: set[str] | str, status: int | tuple[int, ...]):
    kinds = {kinds} if isinstance(kinds, str) else kinds
    return lambda kind: status if kind in kinds else None


def _body(response) -> str:
    return response.content.decode(errors="replace")


# side-effect checks


def _no_clear_identifiers_of_the_citizen(world: World, kind: str, response) -> None:
    id_number, mobile = world.secrets_of_citizen
    body = _body(response)
    assert id_number not in body and mobile not in body


def _citizen_reveal(world: World, kind: str, response) -> None:
    id_number, _mobile = world.secrets_of_citizen
    assert (id_number in _body(response)) is (kind == "citizen")
    viewed = AuditEvent.objects.filter(
        event="identity.personal_data_viewed",
        target_id=str(world.person("citizen").pk),
        outcome="success",
    )
    assert viewed.exists() is (kind == "citizen")


def _family_authorisation_listed(world: World, kind: str, response) -> None:
    marker = f"/me/authorisations/{world.family_authorisation.pk}/revoke"
    assert (marker in _body(response)) is (kind == "citizen")


def _grant_principal_is_the_actor(world: World, kind: str, response) -> None:
    created = Authorisation.objects.filter(agent=world.representative).exclude(
        principal_entity__isnull=False
    )
    if kind in PERSONS:
        assert [a.principal_person.user_id for a in created] == [world.users[kind].pk]
    else:
        assert not created.exists()


def _family_revoked_only_by_the_citizen(world: World, kind: str, response) -> None:
    world.family_authorisation.refresh_from_db()
    assert (world.family_authorisation.revoked_at is not None) is (kind == "citizen")


def _clerk_authorisation_untouched(world: World, kind: str, response) -> None:
    world.clerk_authorisation.refresh_from_db()
    assert world.clerk_authorisation.revoked_at is None
    assert not Authorisation.objects.filter(
        principal_entity=world.entity, agent=world.family
    ).exists()


def _acting_only_by_the_clerk_in_scope(world: World, kind: str, response) -> None:
    started = AuditEvent.objects.filter(
        event="identity.acting_started",
        on_behalf_of=f"entity:{world.entity.credit_code}",
    )
    assert started.exists() is (kind == "clerk_in_scope")
    session = getattr(response, "wsgi_request", None)
    stored = session.session.get(SESSION_KEY) if session is not None else None
    assert (stored is not None) is (kind == "clerk_in_scope")


def _actions_only_for_the_citizen(world: World, kind: str, response) -> None:
    body = _body(response)
    assert ("test.done_for_the_citizen" in body) is (kind == "citizen")


def _visit_started_only_by_the_counter_clerk(world: World, kind: str, response) -> None:
    started = CounterVisit.objects.filter(person=world.person("citizen"))
    assert started.exists() is (kind == "counter_clerk")


def _visit_reveal(world: World, kind: str, response) -> None:
    person = Person.objects.get(pk=world.visit.person_id)
    assert (person.id_number in _body(response)) is (kind == "counter_clerk")
    _no_clear_identifiers_of_the_citizen(world, kind, response)


def _visit_ended_only_by_its_clerk(world: World, kind: str, response) -> None:
    world.visit.refresh_from_db()
    assert (world.visit.ended_at is not None) is (kind == "counter_clerk")


def _client_created_only_by_the_security_admin(world: World, kind, response) -> None:
    created = Application.objects.filter(name="矩阵测试系统").exists()
    assert created is (kind == "security_admin")


def _staff_created_only_by_the_system_admin(world: World, kind, response) -> None:
    created = get_user_model().objects.filter(username="matrixnew").exists()
    assert created is (kind == "system_admin")


def _counter_clerk_disabled_only_by_the_system_admin(world: World, kind, response):
    clerk = world.users["counter_clerk"]
    clerk.refresh_from_db()
    assert clerk.is_active is (kind != "system_admin")


def _lock_cleared_only_by_the_security_admin(world: World, kind, response) -> None:
    assert LoginLock.objects.filter(pk=world.lock.pk).exists() is (
        kind != "security_admin"
    )


def _factor_reset_only_by_the_security_admin(world: World, kind, response) -> None:
    reset = AuditEvent.objects.filter(event="identity.factor_reset").exists()
    assert reset is (kind == "security_admin")


def _api_family_listed(world: World, kind: str, response) -> None:
    if response.status_code != 200:
        return
    ids = {a["id"] for a in response.json().get("given", [])}
    assert (world.family_authorisation.pk in ids) is (kind == "citizen")
    _no_clear_identifiers_of_the_citizen(world, kind, response)


def _api_actions(world: World, kind: str, response) -> None:
    _actions_only_for_the_citizen(world, kind, response)


def _audit_log_masked(world: World, kind: str, response) -> None:
    _no_clear_identifiers_of_the_citizen(world, kind, response)


def _no_entity_registered(world: World, kind: str, response) -> None:
    assert not LegalEntity.objects.filter(credit_code=world.unregistered_code).exists()


def _entity_listed_for_nobody(world: World, kind: str, response) -> None:
    assert world.entity.credit_code not in _body(response)


def _api_grant_principal_is_the_actor(world: World, kind: str, response) -> None:
    _grant_principal_is_the_actor(world, kind, response)


def _client_disabled_only_by_the_security_admin(world: World, kind, response) -> None:
    world.sso_client.policy.refresh_from_db()
    disabled = world.sso_client.policy.disabled_at is not None
    assert disabled is (kind == "security_admin")


def _reviewer_granted_only_by_the_system_admin(world: World, kind, response) -> None:
    granted = StaffMembership.objects.filter(
        user=world.users["counter_clerk"], role=StaffRole.REVIEWER
    ).exists()
    assert granted is (kind == "system_admin")


def _counter_role_revoked_only_by_the_system_admin(world: World, kind, response):
    kept = StaffMembership.objects.filter(
        user=world.users["counter_clerk"], role=StaffRole.COUNTER_CLERK
    ).exists()
    assert kept is (kind != "system_admin")


def _expiry_set_only_by_the_system_admin(world: World, kind, response) -> None:
    account = Account.objects.get(user=world.users["counter_clerk"])
    assert (account.expires_at is not None) is (kind == "system_admin")


def _sms_response_reveals_nothing(world: World, kind: str, response) -> None:
    _no_clear_identifiers_of_the_citizen(world, kind, response)
    assert SmsMessage.objects.count() == 1


def _counter_membership(world: World) -> int:
    return StaffMembership.objects.get(
        user=world.users["counter_clerk"], role=StaffRole.COUNTER_CLERK
    ).pk


def _in_thirty_days() -> str:
    return (timezone.localdate() + datetime.timedelta(days=30)).isoformat()


ME = "/api/v1/identity/me"
ADMIN = "/api/v1/identity/admin"

OPERATIONS = [
    # --- /me/ pages ---------------------------------------------------------------
    Op(
        "me profile",
        "get",
        lambda w: "/me/",
        only(SIGNED_IN, 200),
        403,
        check=_no_clear_identifiers_of_the_citizen,
    ),
    Op(
        "me reveal own id number",
        "post",
        lambda w: "/me/",
        only(PERSONS, 200),
        404,
        data=lambda w: {"field": "id_number"},
        check=_citizen_reveal,
    ),
    Op(
        "me authorisations",
        "get",
        lambda w: "/me/authorisations/",
        only(SIGNED_IN, 200),
        403,
        check=_family_authorisation_listed,
    ),
    Op(
        "me grant authorisation",
        "post",
        lambda w: "/me/authorisations/",
        only(PERSONS, 302),
        404,
        data=lambda w: {
            "agent_name": "李明",
            "agent_id_number": w.representative.person.id_number,
            "all_items": "on",
            "valid_until": (
                timezone.localdate() + datetime.timedelta(days=30)
            ).isoformat(),
        },
        check=_grant_principal_is_the_actor,
    ),
    Op(
        "me revoke the citizen's authorisation",
        "post",
        lambda w: f"/me/authorisations/{w.family_authorisation.pk}/revoke",
        only("citizen", 302),
        404,
        check=_family_revoked_only_by_the_citizen,
    ),
    Op(
        "me revoke the enterprise's clerk authorisation",
        "post",
        lambda w: f"/me/authorisations/{w.clerk_authorisation.pk}/revoke",
        only(set(), 302),
        404,
        check=_clerk_authorisation_untouched,
    ),
    Op(
        "me act under the enterprise's clerk authorisation",
        "post",
        lambda w: "/me/acting/start",
        only(SIGNED_IN, 302),
        302,
        data=lambda w: {"authorisation": w.clerk_authorisation.pk},
        check=_acting_only_by_the_clerk_in_scope,
    ),
    Op(
        "me actions in my name",
        "get",
        lambda w: "/me/actions/",
        only(SIGNED_IN, 200),
        403,
        check=_actions_only_for_the_citizen,
    ),
    Op(
        "me the enterprise's page",
        "get",
        lambda w: f"/me/entities/{w.entity.pk}/",
        only(set(), 200),
        404,
    ),
    Op(
        "me add a clerk to the enterprise",
        "post",
        lambda w: f"/me/entities/{w.entity.pk}/",
        only(set(), 302),
        404,
        data=lambda w: {
            "agent_name": "王建国",
            "agent_id_number": w.family.person.id_number,
            "all_items": "on",
            "valid_until": (
                timezone.localdate() + datetime.timedelta(days=30)
            ).isoformat(),
        },
        check=_clerk_authorisation_untouched,
    ),
    Op(
        "me acting state stop",
        "post",
        lambda w: "/me/acting/stop",
        only(SIGNED_IN, 302),
        302,
    ),
    Op(
        "me my enterprises",
        "get",
        lambda w: "/me/entities/",
        only(SIGNED_IN, 200),
        403,
        check=_entity_listed_for_nobody,
    ),
    Op(
        "me register an enterprise of someone else",
        "post",
        lambda w: "/me/entities/",
        only(SIGNED_IN, 400),
        400,
        data=lambda w: {"credit_code": w.unregistered_code},
        check=_no_entity_registered,
    ),
    # --- /staff/counter/ ------------------------------------------------------------
    Op(
        "counter home",
        "get",
        lambda w: "/staff/counter/",
        only("counter_clerk", 200),
        403,
        check=_no_clear_identifiers_of_the_citizen,
    ),
    Op(
        "counter start a visit for the citizen",
        "post",
        lambda w: "/staff/counter/",
        only("counter_clerk", 302),
        403,
        data=lambda w: {
            "name": "张丽华",
            "id_number": w.secrets_of_citizen[0],
            "document": "id_card",
        },
        check=_visit_started_only_by_the_counter_clerk,
    ),
    Op(
        "counter reveal the applicant's id number",
        "post",
        lambda w: f"/staff/counter/visits/{w.visit.pk}/reveal",
        only("counter_clerk", 200),
        403,
        check=_visit_reveal,
    ),
    Op(
        "counter end the visit",
        "post",
        lambda w: f"/staff/counter/visits/{w.visit.pk}/end",
        only("counter_clerk", 302),
        403,
        check=_visit_ended_only_by_its_clerk,
    ),
    # --- /staff/sso-clients/ ----------------------------------------------------------
    Op(
        "sso clients list",
        "get",
        lambda w: "/staff/sso-clients/",
        only("security_admin", 200),
        403,
    ),
    Op(
        "sso client register",
        "post",
        lambda w: "/staff/sso-clients/new/",
        only("security_admin", (200, 302)),
        403,
        data=lambda w: {
            "name": "矩阵测试系统",
            "organisation": w.hall.pk,
            "redirect_uris": "https://matrix.example.gov.cn/cb",
            "post_logout_redirect_uris": "",
            "allowed_scopes": ["profile"],
            "trusted": "on",
        },
        check=_client_created_only_by_the_security_admin,
    ),
    Op(
        "sso client disable",
        "post",
        lambda w: f"/staff/sso-clients/{w.sso_client.policy.pk}/enabled/",
        only("security_admin", 302),
        403,
        data=lambda w: {"enabled": "0"},
        check=_client_disabled_only_by_the_security_admin,
    ),
    # --- /staff/admin/ ----------------------------------------------------------------
    Op("staff list", "get", lambda w: "/staff/admin/", only("system_admin", 200), 403),
    Op(
        "staff create",
        "post",
        lambda w: "/staff/admin/new/",
        only("system_admin", 200),
        403,
        data=lambda w: {
            "username": "matrixnew",
            "full_name": "矩阵新人",
            "organisation": w.hall.pk,
            "roles": ["counter_clerk"],
        },
        check=_staff_created_only_by_the_system_admin,
    ),
    Op(
        "staff disable",
        "post",
        lambda w: f"/staff/admin/{w.users['counter_clerk'].pk}/active/",
        only("system_admin", 302),
        403,
        data=lambda w: {"active": "0"},
        check=_counter_clerk_disabled_only_by_the_system_admin,
    ),
    Op(
        "staff detail",
        "get",
        lambda w: f"/staff/admin/{w.users['counter_clerk'].pk}/",
        only("system_admin", 200),
        403,
    ),
    Op(
        "staff grant a role",
        "post",
        lambda w: f"/staff/admin/{w.users['counter_clerk'].pk}/roles/",
        only("system_admin", 302),
        403,
        data=lambda w: {"organisation": w.hall.pk, "role": "reviewer"},
        check=_reviewer_granted_only_by_the_system_admin,
    ),
    Op(
        "staff revoke a role",
        "post",
        lambda w: (
            f"/staff/admin/{w.users['counter_clerk'].pk}/roles/"
            f"{_counter_membership(w)}/revoke/"
        ),
        only("system_admin", 302),
        403,
        check=_counter_role_revoked_only_by_the_system_admin,
    ),
    Op(
        "staff set expiry",
        "post",
        lambda w: f"/staff/admin/{w.users['counter_clerk'].pk}/expiry/",
        only("system_admin", 302),
        403,
        data=lambda w: {"expires_on": _in_thirty_days()},
        check=_expiry_set_only_by_the_system_admin,
    ),
    Op(
        "security page",
        "get",
        lambda w: "/staff/admin/security/",
        only("security_admin", 200),
        403,
    ),
    Op(
        "security unlock",
        "post",
        lambda w: f"/staff/admin/security/locks/{w.lock.pk}/clear/",
        only("security_admin", 302),
        403,
        check=_lock_cleared_only_by_the_security_admin,
    ),
    Op(
        "security factor reset",
        "post",
        lambda w: (
            f"/staff/admin/security/staff/{w.users['counter_clerk'].pk}/reset-factor/"
        ),
        only("security_admin", 302),
        403,
        check=_factor_reset_only_by_the_security_admin,
    ),
    Op(
        "audit log",
        "get",
        lambda w: "/staff/admin/audit/",
        only("audit_admin", 200),
        403,
        check=_audit_log_masked,
    ),
    # --- /api/v1/identity/ ------------------------------------------------------------
    Op(
        "api me",
        "get",
        lambda w: f"{ME}/",
        only(SIGNED_IN, 200),
        403,
        api=True,
        check=_no_clear_identifiers_of_the_citizen,
    ),
    Op(
        "api my authorisations",
        "get",
        lambda w: f"{ME}/authorisations",
        only(SIGNED_IN, 200),
        403,
        api=True,
        check=_api_family_listed,
    ),
    Op(
        "api revoke the citizen's authorisation",
        "post",
        lambda w: f"{ME}/authorisations/{w.family_authorisation.pk}/revoke",
        only("citizen", 200),
        404,
        api=True,
        check=_family_revoked_only_by_the_citizen,
    ),
    Op(
        "api actions in my name",
        "get",
        lambda w: f"{ME}/actions-in-my-name",
        only(SIGNED_IN, 200),
        403,
        api=True,
        check=_api_actions,
    ),
    Op(
        "api the enterprise's clerks",
        "get",
        lambda w: f"{ME}/entities/{w.entity.pk}/clerks",
        only(set(), 200),
        404,
        api=True,
    ),
    Op(
        "api add a clerk to the enterprise",
        "post",
        lambda w: f"{ME}/entities/{w.entity.pk}/clerks",
        only(set(), 201),
        404,
        api=True,
        data=lambda w: {
            "agent_name": "王建国",
            "agent_id_number": w.family.person.id_number,
            "all_items": True,
            "valid_until": (timezone.now() + datetime.timedelta(days=30)).isoformat(),
        },
        check=_clerk_authorisation_untouched,
    ),
    Op(
        "api act under the enterprise's clerk authorisation",
        "post",
        lambda w: f"{ME}/acting",
        only("clerk_in_scope", 200),
        404,
        api=True,
        data=lambda w: {"authorisation_id": w.clerk_authorisation.pk},
        check=_acting_only_by_the_clerk_in_scope,
    ),
    Op(
        "api staff list",
        "get",
        lambda w: f"{ADMIN}/staff",
        only("system_admin", 200),
        403,
        api=True,
    ),
    Op(
        "api grant an authorisation",
        "post",
        lambda w: f"{ME}/authorisations",
        only(PERSONS, 201),
        403,
        api=True,
        data=lambda w: {
            "agent_name": "李明",
            "agent_id_number": w.representative.person.id_number,
            "all_items": True,
            "valid_until": (timezone.now() + datetime.timedelta(days=30)).isoformat(),
        },
        check=_api_grant_principal_is_the_actor,
    ),
    Op(
        "api my enterprises",
        "get",
        lambda w: f"{ME}/entities",
        only(SIGNED_IN, 200),
        403,
        api=True,
        check=_entity_listed_for_nobody,
    ),
    Op(
        "api register an enterprise of someone else",
        "post",
        lambda w: f"{ME}/entities",
        only(set(), 201),
        403,
        api=True,
        data=lambda w: {"credit_code": w.unregistered_code},
        check=_no_entity_registered,
    ),
    Op(
        "api acting state",
        "get",
        lambda w: f"{ME}/acting",
        only(SIGNED_IN, 200),
        403,
        api=True,
    ),
    Op(
        "api sms code for the citizen's mobile",
        "post",
        lambda w: "/api/v1/identity/accounts/sms-codes",
        only(SIGNED_IN, 202),
        202,
        api=True,
        public=True,
        data=lambda w: {"mobile": w.secrets_of_citizen[1], "purpose": "login"},
        check=_sms_response_reveals_nothing,
    ),
    Op(
        "api staff detail",
        "get",
        lambda w: f"{ADMIN}/staff/{w.users['counter_clerk'].pk}",
        only("system_admin", 200),
        403,
        api=True,
    ),
    Op(
        "api staff create",
        "post",
        lambda w: f"{ADMIN}/staff",
        only("system_admin", 201),
        403,
        api=True,
        data=lambda w: {
            "username": "matrixnew",
            "full_name": "矩阵新人",
            "roles": [{"organisation_id": w.hall.pk, "role": "counter_clerk"}],
        },
        check=_staff_created_only_by_the_system_admin,
    ),
    Op(
        "api staff grant a role",
        "post",
        lambda w: f"{ADMIN}/staff/{w.users['counter_clerk'].pk}/roles",
        only("system_admin", 201),
        403,
        api=True,
        data=lambda w: {"organisation_id": w.hall.pk, "role": "reviewer"},
        check=_reviewer_granted_only_by_the_system_admin,
    ),
    Op(
        "api staff revoke a role",
        "delete",
        lambda w: (
            f"{ADMIN}/staff/{w.users['counter_clerk'].pk}/roles/"
            f"{_counter_membership(w)}"
        ),
        only("system_admin", 204),
        403,
        api=True,
        check=_counter_role_revoked_only_by_the_system_admin,
    ),
    Op(
        "api staff disable",
        "post",
        lambda w: f"{ADMIN}/staff/{w.users['counter_clerk'].pk}/disable",
        only("system_admin", 200),
        403,
        api=True,
        check=_counter_clerk_disabled_only_by_the_system_admin,
    ),
    Op(
        "api audit log",
        "get",
        lambda w: f"{ADMIN}/audit",
        only("audit_admin", 200),
        403,
        api=True,
        check=_audit_log_masked,
    ),
]


def _expected(op: Op, kind: str) -> tuple[int, ...]:
    if kind == "anonymous" and not op.public:
        return (401,) if op.api else (302,)
    status = op.allowed(kind)
    if status is None:
        status = op.denied
    return status if isinstance(status, tuple) else (status,)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.name)
def test_permission_matrix(client, world, op, kind):
    # given a user of this kind
    client = _client_for(client, world, kind)
    # when they call the operation
    url = op.path(world)
    data = op.data(world) if op.data else None
    if op.method == "get":
        response = client.get(url)
    elif op.method == "delete":
        response = client.delete(url)
    elif op.api:
        response = client.post(url, data or {}, content_type="application/json")
    else:
        response = client.post(url, data or {})
    # then the status is the matrix's, and the side effect happened only if allowed
    assert response.status_code in _expected(op, kind), _body(response)[:400]
    if kind == "anonymous" and not op.api and not op.public:
        assert response["Location"].startswith(LOGIN_PREFIX)
    if op.check is not None:
        op.check(world, kind, response)
    _no_clear_identifiers_of_the_citizen_unless_own(world, kind, op, response)


def _no_clear_identifiers_of_the_citizen_unless_own(world, kind, op, response) -> None:
    if kind == "citizen" and op.name == "me reveal own id number":
        return
    _no_clear_identifiers_of_the_citizen(world, kind, response)


# --- /o/userinfo/ ----------------------------------------------------------------------


@pytest.fixture
def department_system(world):
    from .oidc_support import register

    return register(
        "矩阵部门系统", "https://dept.example.gov.cn/cb", scopes=("openid", "profile")
    )


def _token(user, registered, scope: str) -> str:
    from oauth2_provider.models import get_access_token_model

    raw = secrets.token_urlsafe(30)
    token: AccessToken = get_access_token_model()(
        user=user,
        application=registered.application,
        scope=scope,
        expires=timezone.now() + datetime.timedelta(minutes=10),
    )
    from oauth2_provider.models import set_token_value  # type: ignore[attr-defined]

    set_token_value(token, raw)
    token.save()
    return raw


@pytest.mark.django_db
@pytest.mark.parametrize("kind", KINDS)
def test_userinfo_needs_a_token_a_session_is_not_enough(client, world, kind):
    response = _client_for(client, world, kind).get("/o/userinfo/")
    assert response.status_code == 401
    _no_clear_identifiers_of_the_citizen(world, kind, response)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", sorted(SIGNED_IN))
def test_userinfo_answers_only_about_the_tokens_user(
    client, world, department_system, kind
):
    # given a token of this user for a client allowed openid and profile
    raw = _token(world.users[kind], department_system, "openid profile")
    # when the department system asks for userinfo
    response = client.get("/o/userinfo/", headers={"Authorization": f"Bearer {raw}"})
    # then: the claims of the token's user only, and no identifier
    assert response.status_code == 200
    claims = response.json()
    _no_clear_identifiers_of_the_citizen(world, kind, response)
    assert "id_number" not in claims and "phone_number" not in claims
    citizen_name = world.person("citizen").name
    assert (claims.get("name") == citizen_name) is (kind == "citizen")


@pytest.mark.django_db
def test_userinfo_releases_nothing_the_client_is_no_longer_allowed(
    client, world, department_system
):
    # given a token with the id_number and phone scopes, issued before the security
    # administrator withdrew them from the client (allowed: openid, profile)
    raw = _token(
        world.users["citizen"], department_system, "openid profile phone id_number"
    )
    # when the department system asks for userinfo
    response = client.get("/o/userinfo/", headers={"Authorization": f"Bearer {raw}"})
    # then it gets what the client is still allowed, but neither the ID number nor
    # the mobile, and no release of personal data is recorded
    assert response.status_code == 200
    claims = response.json()
    assert claims["name"] == world.person("citizen").name
    assert "zw_id_number" not in claims and "phone_number" not in claims
    _no_clear_identifiers_of_the_citizen(world, "citizen", response)
    assert not AuditEvent.objects.filter(
        event="identity.personal_data_released"
    ).exists()
