"""What other apps ask identity about staff: roles, data scope, and that the new roles
(counter clerk, reviewer, the three administrators) give no catalogue rights."""

import pytest

from zhengwu.catalog.constants import VersionStatus
from zhengwu.catalog.errors import CatalogError
from zhengwu.catalog.models import ListingVersion
from zhengwu.catalog.services import (
    attachment_create,
    version_create,
    version_publish,
    version_return,
)
from zhengwu.catalog.tests.factories import ListingFactory, ListingVersionFactory
from zhengwu.identity.constants import StaffRole
from zhengwu.identity.facade import division_descendants, staff_scope

from .staff_factories import divisions, organisation, staff_user

pytestmark = pytest.mark.django_db


def test_division_descendants_follow_the_parent_links():
    divisions()
    assert division_descendants(["210100"]) == {"210100", "210102", "210103"}
    assert division_descendants(["210000"]) == {
        "210000",
        "210100",
        "210102",
        "210103",
        "210200",
        "210202",
    }
    assert division_descendants(["210202"]) == {"210202"}
    assert division_descendants([]) == frozenset()


def test_data_scope_is_the_organisations_division_unless_narrowed():
    divisions()
    hall = organisation("沈阳市政务服务中心", "210100")
    bureau = organisation("大连市市场监督管理局", "210200")
    whole_city = staff_user("city_clerk", (hall, StaffRole.COUNTER_CLERK))
    one_district = staff_user(
        "district_clerk",
        (hall, StaffRole.COUNTER_CLERK),
        scope_division=divisions()["210102"],
    )
    two_roles = staff_user(
        "two_roles",
        (hall, StaffRole.COUNTER_CLERK),
        (bureau, StaffRole.REVIEWER),
    )
    assert staff_scope(whole_city).division_codes == {"210100", "210102", "210103"}
    assert staff_scope(one_district).division_codes == {"210102"}
    assert staff_scope(one_district).covers_division("210102")
    assert not staff_scope(one_district).covers_division("210103")
    scope = staff_scope(two_roles)
    assert scope.division_codes_for(StaffRole.REVIEWER) == {"210200", "210202"}
    assert scope.covers_division("210202")
    assert not scope.covers_division("210202", StaffRole.COUNTER_CLERK)


def test_roles_by_organisation_and_role_questions():
    divisions()
    hall = organisation("沈阳市政务服务中心", "210100")
    bureau = organisation("沈阳市市场监督管理局", "210100")
    user = staff_user(
        "multi",
        (hall, StaffRole.COUNTER_CLERK),
        (bureau, StaffRole.REVIEWER),
        (bureau, StaffRole.DEPARTMENT_EDITOR),
    )
    scope = staff_scope(user)
    assert scope.roles_by_organisation == {
        hall.pk: {"counter_clerk"},
        bureau.pk: {"reviewer", "department_editor"},
    }
    assert scope.has_role(StaffRole.REVIEWER) and not scope.has_role("audit_admin")
    assert scope.counter_organisation_ids == {hall.pk}
    assert scope.reviewer_organisation_ids == {bureau.pk}
    assert scope.editor_organisation_ids == {bureau.pk}
    assert scope.has_staff_role and scope.is_staff_member
    assert not scope.is_admin()
    assert not (
        scope.can_administer_staff
        or scope.can_manage_security
        or scope.can_view_audit_log
    )


@pytest.mark.parametrize(
    ("role", "flag"),
    [
        (StaffRole.SYSTEM_ADMIN, "can_administer_staff"),
        (StaffRole.SECURITY_ADMIN, "can_manage_security"),
        (StaffRole.AUDIT_ADMIN, "can_view_audit_log"),
    ],
)
def test_each_administrator_has_exactly_their_own_right(role, flag):
    divisions()
    org = organisation("辽宁省营商环境建设局", "210000")
    scope = staff_scope(staff_user("admin", (org, role)))
    assert scope.is_admin() and scope.is_admin(role)
    flags = {"can_administer_staff", "can_manage_security", "can_view_audit_log"}
    for other in flags:
        assert getattr(scope, other) is (other == flag)
    assert not scope.is_staff_member  # no catalogue workbench


def test_a_superuser_is_not_an_administrator_of_separated_duties(django_user_model):
    root = django_user_model.objects.create_superuser(username="root", password="x")
    scope = staff_scope(root)
    assert scope.is_staff_member and scope.can_review  # catalogue, as before
    assert not (scope.is_admin() or scope.can_administer_staff)
    assert not (scope.can_manage_security or scope.can_view_audit_log)


def test_anonymous_and_inactive_users_have_no_scope(django_user_model):
    from django.contrib.auth.models import AnonymousUser

    assert not staff_scope(AnonymousUser()).has_staff_role
    assert staff_scope(None).division_codes == frozenset()
    divisions()
    org = organisation("沈阳市政务服务中心", "210100")
    user = staff_user("gone", (org, StaffRole.COUNTER_CLERK))
    user.is_active = False
    assert not staff_scope(user).has_staff_role


# --- no catalogue rights for the new roles ----------------------------------------

NON_CATALOGUE_ROLES = [
    StaffRole.COUNTER_CLERK,
    StaffRole.SERVICE_POINT_CLERK,
    StaffRole.REVIEWER,
    StaffRole.SYSTEM_ADMIN,
    StaffRole.SECURITY_ADMIN,
    StaffRole.AUDIT_ADMIN,
]


@pytest.mark.parametrize("role", NON_CATALOGUE_ROLES)
def test_new_roles_cannot_edit_or_publish_catalogue_entries(role):
    # given a listing of the user's own organisation with a submitted version
    version = ListingVersionFactory(status=VersionStatus.SUBMITTED)
    listing = version.listing
    user = staff_user("someone", (listing.organisation, role))
    other = ListingFactory(organisation=listing.organisation)
    # when they try to open a draft, publish, return or upload: refused
    with pytest.raises(CatalogError) as raised:
        version_create(listing=other, acting_user=user)
    assert raised.value.status == 403
    with pytest.raises(CatalogError):
        version_publish(version=version, acting_user=user)
    with pytest.raises(CatalogError):
        version_return(version=version, acting_user=user, comment="退回")
    with pytest.raises(CatalogError):
        attachment_create(content=b"%PDF-1.4\n", filename="a.pdf", acting_user=user)
    # then nothing changed
    version.refresh_from_db()
    assert version.status == VersionStatus.SUBMITTED
    assert not ListingVersion.objects.filter(listing=other).exists()


@pytest.mark.parametrize("role", NON_CATALOGUE_ROLES)
def test_new_roles_are_refused_the_catalogue_workbench(client, role):
    version = ListingVersionFactory(status=VersionStatus.SUBMITTED)
    user = staff_user("someone", (version.listing.organisation, role))
    client.force_login(user)
    assert client.get("/staff/").status_code == 403
    response = client.post(f"/staff/versions/{version.pk}/publish/", {})
    assert response.status_code == 403
    version.refresh_from_db()
    assert version.status == VersionStatus.SUBMITTED
