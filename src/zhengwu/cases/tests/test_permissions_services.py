"""Who may do what to a case, parametrized over kinds of user; every refusal
leaves no trace (no status change, no audit record, no task)."""

import pytest

from zhengwu.cases import services
from zhengwu.cases.constants import CaseStatus
from zhengwu.cases.errors import CaseError
from zhengwu.cases.models import Case, SupplementRequest
from zhengwu.core.models import AuditEvent
from zhengwu.identity.constants import StaffRole
from zhengwu.identity.tests.staff_factories import organisation, staff_user

from .factories import World, apply

pytestmark = pytest.mark.django_db

KINDS = [
    ("applicant", False),
    ("other_citizen", False),
    ("reviewer_other_department", False),
    ("reviewer_other_division", False),
    ("editor_same_department", False),
    ("counter_clerk_same_department", True),
    ("reviewer_same_department", True),
]


def user_of(kind: str, world: World):
    if kind == "applicant":
        return world.citizen.user
    if kind == "other_citizen":
        return world.other_citizen.user
    if kind == "reviewer_other_department":
        return world.reviewer_b
    if kind == "reviewer_other_division":
        # a reviewer of department A whose data scope is only 和平区
        from zhengwu.identity.tests.staff_factories import divisions

        return staff_user(
            "reviewer-a-heping",
            (world.org_a, StaffRole.REVIEWER),
            scope_division=divisions()["210102"],
        )
    if kind == "editor_same_department":
        return world.editor_a
    if kind == "counter_clerk_same_department":
        return world.clerk_a
    return world.reviewer_a


@pytest.mark.parametrize("kind, allowed", KINDS)
def test_accept_permissions(world: World, kind, allowed):
    # given a submitted case of department A
    case = apply(world.citizen.user, world.listing_a)
    user = user_of(kind, world)
    events = AuditEvent.objects.count()
    # when
    try:
        services.case_accept(case_id=case.pk, acting_user=user)
        accepted = True
    except CaseError as error:
        accepted = False
        assert error.status in {403, 404}
    # then
    case.refresh_from_db()
    assert accepted is allowed
    assert (case.status == CaseStatus.ACCEPTED) is allowed
    assert case.tasks.exists() is allowed
    if not allowed:
        assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("kind, allowed", KINDS)
def test_supplement_request_permissions(world: World, kind, allowed):
    case = apply(world.citizen.user, world.listing_a)
    try:
        services.case_request_supplement(
            case_id=case.pk,
            acting_user=user_of(kind, world),
            items=[{"material": "申请表", "reason": "未签字"}],
        )
    except CaseError:
        pass
    case.refresh_from_db()
    assert (case.status == CaseStatus.SUPPLEMENT_REQUESTED) is allowed
    assert SupplementRequest.objects.exists() is allowed


@pytest.mark.parametrize("kind, allowed", KINDS)
def test_not_accept_permissions(world: World, kind, allowed):
    case = apply(world.citizen.user, world.listing_a)
    try:
        services.case_not_accept(
            case_id=case.pk,
            acting_user=user_of(kind, world),
            reason="不属于本机关职权",
            legal_basis="《行政许可法》第三十二条",
        )
    except CaseError:
        pass
    case.refresh_from_db()
    assert (case.status == CaseStatus.NOT_ACCEPTED) is allowed
    assert AuditEvent.objects.filter(event="cases.not_accepted").exists() is allowed


@pytest.mark.parametrize(
    "kind, allowed",
    [
        ("applicant", True),
        ("other_citizen", False),
        ("reviewer_same_department", False),
        ("reviewer_other_department", False),
    ],
)
def test_withdraw_permissions(world: World, kind, allowed):
    case = apply(world.citizen.user, world.listing_a)
    try:
        services.case_withdraw(user=user_of(kind, world), acting=None, case_id=case.pk)
    except CaseError as error:
        assert error.status == 404  # the case is not theirs: as if it did not exist
    case.refresh_from_db()
    assert (case.status == CaseStatus.WITHDRAWN) is allowed
    assert AuditEvent.objects.filter(event="cases.withdrawn").exists() is allowed


@pytest.mark.parametrize(
    "kind, allowed",
    [
        ("applicant", True),
        ("other_citizen", False),
        ("reviewer_same_department", False),
    ],
)
def test_upload_to_a_draft_permissions(world: World, kind, allowed):
    from .factories import PDF_BYTES

    draft = services.case_draft_save(
        user=world.citizen.user,
        acting=None,
        listing_code=world.listing_a,
        form_data={},
    )
    try:
        services.material_upload(
            user=user_of(kind, world),
            acting=None,
            case_id=draft.pk,
            material_name="申请表",
            filename="a.pdf",
            content=PDF_BYTES,
        )
    except CaseError:
        pass
    assert draft.materials.exists() is allowed


def test_staff_without_a_person_record_cannot_apply(world: World):
    with pytest.raises(CaseError) as raised:
        apply(world.reviewer_a, world.listing_a)
    assert raised.value.status == 403
    assert not Case.objects.exists()


def test_a_reviewer_of_a_department_elsewhere_with_the_same_name_sees_nothing(
    world: World,
):
    # given a department of the same kind in another city
    other = organisation("沈阳市市场监督管理局", "210202")
    reviewer = staff_user("reviewer-dalian", (other, StaffRole.REVIEWER))
    case = apply(world.citizen.user, world.listing_a)
    with pytest.raises(CaseError) as raised:
        services.case_accept(case_id=case.pk, acting_user=reviewer)
    assert raised.value.status == 404
