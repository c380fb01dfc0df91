"""Which staff may act on a case's side channels (refunds, express orders, pick-up,
rectification answers, hall set-up): staff of the case's organisation holding a
case-handling role, with the case's division in their data scope. The lifecycle's
own rule lives in ``selectors.cases_for_user``; this is the same test for one case."""

from typing import Any

from zhengwu.identity.facade import staff_scope

HANDLING_ROLES = ("reviewer", "counter_clerk", "service_point_clerk")


def staff_handles(user: Any, *, organisation_id: int, division_code: str) -> bool:
    scope = staff_scope(user)
    for role in HANDLING_ROLES:
        if organisation_id in scope.organisation_ids(role) and scope.covers_division(
            division_code, role
        ):
            return True
    return False


def staff_handles_case(user: Any, case: Any) -> bool:
    return staff_handles(
        user, organisation_id=case.organisation_id, division_code=case.division.code
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
        if staff_handles(
            user,
            organisation_id=organisation.pk,
            division_code=organisation.division.code,
        )
    ]
