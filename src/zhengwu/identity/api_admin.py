"""/api/v1/identity/admin/: staff accounts (system administrator) and the audit log
(audit administrator). Session or OIDC bearer token (``api`` scope); the same role
checks as the pages, in :mod:`zhengwu.identity.staff`."""

from __future__ import annotations

import datetime
from typing import Annotated, Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpRequest
from django.utils.translation import gettext as _

from ninja import Field, Path, Query, Router, Schema, Status
from ninja.security import SessionAuth

from zhengwu.core import audit
from zhengwu.core.models import Division
from zhengwu.core.schemas import ERRORS, CleanText, Instant

from . import staff
from .errors import IdentityError
from .models import Account
from .tokens import bearer_auth

router = Router(tags=["identity-admin"])

# A bearer token first (an invalid one is 401), else the session with CSRF.
admin_auth = [bearer_auth, SessionAuth(csrf=True)]
MAX_ID = 10**18 - 1
PAGE_LIMIT = 100
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


class MembershipOut(Schema):
    id: int
    organisation_id: int
    organisation: str
    role: str
    role_label: str
    scope_division: str | None


class StaffOut(Schema):
    id: int
    username: str
    full_name: str
    is_active: bool
    expires_at: datetime.datetime | None
    must_change_password: bool
    roles: list[MembershipOut]


class StaffPageOut(Schema):
    items: list[StaffOut]
    next_cursor: str | None


class StaffFiltersIn(Schema):
    q: CleanText = Field("", max_length=50)
    organisation: int | None = Field(None, ge=1, le=MAX_ID)
    role: CleanText = Field("", max_length=40)
    after: CleanText = Field("", max_length=150)
    limit: int = Field(50, ge=1, le=PAGE_LIMIT)


class RoleIn(Schema):
    organisation_id: int = Field(ge=1, le=MAX_ID)
    role: CleanText = Field(max_length=40)
    scope_division: str | None = Field(None, pattern=r"^[0-9]{6}$")


class StaffCreateIn(Schema):
    username: CleanText = Field(max_length=30)
    full_name: CleanText = Field(max_length=50)
    roles: list[RoleIn] = Field(min_length=1, max_length=20)
    expires_at: Instant | None = None


class StaffCreatedOut(Schema):
    staff: StaffOut
    initial_password: str = Field(
        description="Shown once: the account must change it at first login."
    )


class AuditEventOut(Schema):
    id: int
    occurred_at: datetime.datetime
    actor: str
    on_behalf_of: str
    event: str
    event_label: str = Field(
        description="The event as people read it (Chinese); the code when unlabelled."
    )
    outcome: str
    target_type: str
    target_id: str
    source_ip: str | None
    data: dict[str, Any]


class AuditPageOut(Schema):
    items: list[AuditEventOut]
    next_cursor: int | None


class AuditFiltersIn(Schema):
    since: Instant | None = None
    until: Instant | None = None
    actor: CleanText = Field("", max_length=150)
    event: CleanText = Field("", max_length=80)
    target: CleanText = Field("", max_length=80)
    outcome: CleanText = Field("", max_length=20)
    before: int | None = Field(None, ge=1, le=MAX_ID)
    limit: int = Field(50, ge=1, le=PAGE_LIMIT)


# --- presenting ----------------------------------------------------------------


def _staff_out(user: Any) -> dict[str, Any]:
    try:
        account: Account | None = user.account
    except ObjectDoesNotExist:
        account = None
    return {
        "id": user.pk,
        "username": user.get_username(),
        "full_name": user.first_name,
        "is_active": user.is_active,
        "expires_at": account.expires_at if account else None,
        "must_change_password": bool(account and account.must_change_password),
        "roles": [
            {
                "id": m.pk,
                "organisation_id": m.organisation_id,
                "organisation": m.organisation.name,
                "role": m.role,
                "role_label": str(m.get_role_display()),
                "scope_division": m.scope_division.code if m.scope_division else None,
            }
            for m in user.memberships.all()
        ],
    }


def _reload(user_id: int) -> dict[str, Any]:
    return _staff_out(
        staff.with_roles(get_user_model().objects.filter(pk=user_id)).get()
    )


def _role_request(scope: Any, role: RoleIn) -> staff.RoleRequest:
    organisation = (
        staff.organisations_in_scope(scope).filter(pk=role.organisation_id).first()
    )
    if organisation is None:
        raise IdentityError(
            staff.NOT_ALLOWED,
            _("该单位不存在或不在您的管理范围内。"),
            fields={"organisation_id": [_("不在您的管理范围内。")]},
            status=403,
        )
    division = None
    if role.scope_division:
        division = Division.objects.filter(code=role.scope_division).first()
        if division is None:
            raise IdentityError(
                staff.INVALID,
                _("没有这个行政区划。"),
                fields={"scope_division": [_("没有这个行政区划。")]},
            )
    return staff.RoleRequest(
        organisation=organisation, role=role.role, scope_division=division
    )


# --- staff accounts --------------------------------------------------------------


@router.get(
    "/staff",
    response={200: StaffPageOut, **ERRORS},
    auth=admin_auth,
    summary="Staff accounts the system administrator administers, by username",
)
def list_staff(request: HttpRequest, filters: Query[StaffFiltersIn]) -> dict[str, Any]:
    scope = staff.require_system_admin(request.auth)
    page, next_cursor = staff.staff_page(
        scope,
        limit=filters.limit,
        q=filters.q,
        organisation=filters.organisation,
        role=filters.role,
        after=filters.after,
    )
    return {
        "items": [_staff_out(u) for u in page],
        "next_cursor": next_cursor,
    }


@router.post(
    "/staff",
    response={201: StaffCreatedOut, **ERRORS},
    auth=admin_auth,
    summary="Create a staff account; the initial password is returned once",
)
def create_staff(request: HttpRequest, payload: StaffCreateIn) -> Status:
    scope = staff.require_system_admin(request.auth)
    created = staff.staff_account_create(
        username=payload.username,
        full_name=payload.full_name,
        roles=[_role_request(scope, r) for r in payload.roles],
        expires_at=payload.expires_at,
        acting_user=request.auth,
    )
    return Status(
        201,
        {
            "staff": _reload(created.user.pk),
            "initial_password": created.initial_password,
        },
    )


@router.get(
    "/staff/{staff_id}",
    response={200: StaffOut, **ERRORS},
    auth=admin_auth,
    summary="One staff account with its roles",
)
def get_staff(request: HttpRequest, staff_id: Id) -> dict[str, Any]:
    user = staff.staff_user_for_admin(acting_user=request.auth, user_id=staff_id)
    return _reload(user.pk)


@router.post(
    "/staff/{staff_id}/roles",
    response={201: StaffOut, **ERRORS},
    auth=admin_auth,
    summary="Grant a business role (administrator roles are refused)",
)
def grant_role(request: HttpRequest, staff_id: Id, payload: RoleIn) -> Status:
    scope = staff.require_system_admin(request.auth)
    staff.staff_role_grant(
        user_id=staff_id,
        request=_role_request(scope, payload),
        acting_user=request.auth,
    )
    return Status(201, _reload(staff_id))


@router.delete(
    "/staff/{staff_id}/roles/{membership_id}",
    response={204: None, **ERRORS},
    auth=admin_auth,
    summary="Revoke one role",
)
def revoke_role(request: HttpRequest, staff_id: Id, membership_id: Id) -> Status:
    staff.staff_role_revoke(
        user_id=staff_id, membership_id=membership_id, acting_user=request.auth
    )
    return Status(204, None)


@router.post(
    "/staff/{staff_id}/disable",
    response={200: StaffOut, **ERRORS},
    auth=admin_auth,
    summary="Disable a staff account and end its sessions and tokens",
)
def disable_staff(request: HttpRequest, staff_id: Id) -> dict[str, Any]:
    staff.staff_account_set_active(
        user_id=staff_id, active=False, acting_user=request.auth
    )
    return _reload(staff_id)


@router.post(
    "/staff/{staff_id}/enable",
    response={200: StaffOut, **ERRORS},
    auth=admin_auth,
    summary="Enable a disabled staff account",
)
def enable_staff(request: HttpRequest, staff_id: Id) -> dict[str, Any]:
    staff.staff_account_set_active(
        user_id=staff_id, active=True, acting_user=request.auth
    )
    return _reload(staff_id)


# --- audit log -------------------------------------------------------------------


@router.get(
    "/audit",
    response={200: AuditPageOut, **ERRORS},
    auth=admin_auth,
    summary="The audit log, newest first (audit administrator only)",
)
def list_audit(request: HttpRequest, filters: Query[AuditFiltersIn]) -> dict[str, Any]:
    staff.require_audit_admin(request.auth)
    page, next_cursor = staff.audit_page(
        limit=filters.limit,
        since=filters.since,
        until=filters.until,
        actor=filters.actor,
        event=filters.event,
        target=filters.target,
        outcome=filters.outcome,
        before=filters.before,
    )
    return {
        "items": [
            {
                "id": e.pk,
                "occurred_at": e.occurred_at,
                "actor": e.actor_label,
                "on_behalf_of": e.on_behalf_of,
                "event": e.event,
                "event_label": audit.event_label(e.event),
                "outcome": e.outcome,
                "target_type": e.target_type,
                "target_id": e.target_id,
                "source_ip": e.source_ip,
                "data": e.data,
            }
            for e in page
        ],
        "next_cursor": next_cursor,
    }
