"""Which staff may act on a case: staff of the case's organisation holding one of
the roles asked for, with the case's division in their data scope for that role.
The lifecycle services (acceptance, special procedures, extensions), the side
channels (refunds, express orders, pick-up, rectification answers, hall set-up) and
the workbench pages' offered actions all ask ``roles_held``; the query form of the
same rule is ``selectors.staff_q``."""

from typing import Any

from zhengwu.identity.facade import StaffRole, StaffScope, staff_scope

HANDLING_ROLES: tuple[str, ...] = (
    StaffRole.REVIEWER,
    StaffRole.COUNTER_CLERK,
    StaffRole.SERVICE_POINT_CLERK,
)
ACCEPTING_ROLES: tuple[str, ...] = (StaffRole.REVIEWER, StaffRole.COUNTER_CLERK)


def roles_held(
    scope: StaffScope,
    *,
    organisation_id: int,
    division_code: str,
    roles: tuple[str, ...] = HANDLING_ROLES,
) -> set[str]:
    """The ``roles`` that ``scope`` holds in the organisation, for the division."""
    return {
        role
        for role in roles
        if organisation_id in scope.organisation_ids(role)
        and scope.covers_division(division_code, role)
    }


def staff_handles(
    user: Any,
    *,
    organisation_id: int,
    division_code: str,
    roles: tuple[str, ...] = HANDLING_ROLES,
) -> bool:
    return bool(
        roles_held(
            staff_scope(user),
            organisation_id=organisation_id,
            division_code=division_code,
            roles=roles,
        )
    )


def staff_handles_case(
    user: Any, case: Any, *, roles: tuple[str, ...] = HANDLING_ROLES
) -> bool:
    return staff_handles(
        user,
        organisation_id=case.organisation_id,
        division_code=case.division.code,
        roles=roles,
    )


def handled_organisation_ids(user: Any) -> list[int]:
    """Organisations whose cases ``user`` handles (role and division scope)."""
    from zhengwu.core.models import Organisation

    scope = staff_scope(user)
    candidates: set[int] = set()
    for role in HANDLING_ROLES:
        candidates |= scope.organisation_ids(role)
    if not candidates:
        return []
    return [
        organisation.pk
        for organisation in Organisation.objects.filter(
            pk__in=candidates
        ).select_related("division")
        if roles_held(
            scope,
            organisation_id=organisation.pk,
            division_code=organisation.division.code,
        )
    ]
