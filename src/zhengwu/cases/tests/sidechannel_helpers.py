"""Helpers of the side-channel tests (notifications, payments, delivery, ratings,
appointments, webhooks): finished and accepted cases of the ``world`` fixture."""

from zhengwu.cases.constants import CaseStatus
from zhengwu.cases.models import Case
from zhengwu.identity.facade import person_label_for_user

from .factories import CaseFactory


def citizen_case(
    world, *, status=CaseStatus.ACCEPTED, mobile="13900000001", **extra
) -> Case:
    """A case of ``world.citizen`` at ``world.org_a`` in ``status``."""
    user = world.citizen.user
    case = CaseFactory(
        accepted=True,
        organisation=world.org_a,
        listing_code=world.listing_a,
        applicant=user,
        principal_label=person_label_for_user(user),
        contact_mobile=mobile,
        **extra,
    )
    if status != CaseStatus.ACCEPTED:
        Case.objects.filter(pk=case.pk).update(status=status)
        case.refresh_from_db()
    return case
