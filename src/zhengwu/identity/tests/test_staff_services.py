"""Separation of duties (等保 8.1.4.2) and the staff account services."""

import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone

import pytest

from zhengwu.core.models import AuditEvent
from zhengwu.identity import staff
from zhengwu.identity.constants import ADMIN_ROLES, StaffRole
from zhengwu.identity.errors import IdentityError
from zhengwu.identity.models import Account, LoginLock, StaffMembership
from zhengwu.identity.services import membership_grant, membership_revoke

from .staff_factories import divisions, organisation, staff_user

pytestmark = pytest.mark.django_db

ADMINS = sorted(ADMIN_ROLES)
BUSINESS = [r for r in StaffRole if r not in ADMIN_ROLES]


def _roles(user) -> set[str]:
    return set(StaffMembership.objects.filter(user=user).values_list("role", flat=True))


# --- separation of duties ------------------------------------------------------


@pytest.mark.parametrize(
    ("held", "wanted"),
    [(a, b) for a in ADMINS for b in ADMINS if a != b],
)
def test_one_account_holds_at_most_one_administrator_role(held, wanted):
    # given an account holding one administrator role
    org = organisation("辽宁省营商环境建设局", "210000")
    user = staff_user("admin_one", (org, held))
    events = AuditEvent.objects.filter(event="identity.role_granted").count()
    # when another administrator role is granted
    with pytest.raises(IdentityError) as raised:
        membership_grant(user=user, organisation=org, role=wanted, acting_user=None)
    # then it is refused with a clear message, and nothing changed
    assert raised.value.code == "identity.role_conflict"
    assert raised.value.status == 409
    assert "三员分立" in raised.value.message
    assert _roles(user) == {held}
    assert AuditEvent.objects.filter(event="identity.role_granted").count() == events


@pytest.mark.parametrize("admin_role", ADMINS)
@pytest.mark.parametrize("business_role", BUSINESS)
def test_an_administrator_holds_no_business_role_either_way(admin_role, business_role):
    org = organisation("沈阳市政务服务中心")
    # an administrator cannot be given a business role
    admin = staff_user("admin_a", (org, admin_role))
    with pytest.raises(IdentityError, match="管理员账户不得同时承担业务角色"):
        membership_grant(
            user=admin, organisation=org, role=business_role, acting_user=None
        )
    assert _roles(admin) == {admin_role}
    # and a business account cannot be made an administrator
    clerk = staff_user("clerk_b", (org, business_role))
    with pytest.raises(IdentityError, match="管理员账户不得同时承担业务角色"):
        membership_grant(
            user=clerk, organisation=org, role=admin_role, acting_user=None
        )
    assert _roles(clerk) == {business_role}


def test_business_roles_combine_and_a_repeated_grant_changes_nothing():
    org = organisation("沈阳市市场监督管理局")
    other = organisation("沈阳市公安局")
    user = staff_user("combo", (org, StaffRole.DEPARTMENT_EDITOR))
    membership_grant(
        user=user, organisation=org, role=StaffRole.REVIEWER, acting_user=None
    )
    membership_grant(
        user=user, organisation=other, role=StaffRole.REVIEWER, acting_user=None
    )
    events = AuditEvent.objects.count()
    membership_grant(
        user=user, organisation=org, role=StaffRole.REVIEWER, acting_user=None
    )
    assert _roles(user) == {StaffRole.DEPARTMENT_EDITOR, StaffRole.REVIEWER}
    assert StaffMembership.objects.filter(user=user).count() == 3
    assert AuditEvent.objects.count() == events


def test_two_grants_one_after_the_other_cannot_both_pass():
    """The race: both grants take the user's row lock (select_for_update), so the
    second sees the first's role and is refused. Sequentially here; the lock is in
    ``services.user_select_for_update``."""
    org = organisation("辽宁省营商环境建设局", "210000")
    user = staff_user("racer")
    membership_grant(
        user=user, organisation=org, role=StaffRole.SECURITY_ADMIN, acting_user=None
    )
    with pytest.raises(IdentityError):
        membership_grant(
            user=user, organisation=org, role=StaffRole.AUDIT_ADMIN, acting_user=None
        )
    assert _roles(user) == {StaffRole.SECURITY_ADMIN}


def test_after_revoking_an_administrator_role_another_may_be_granted():
    org = organisation("辽宁省营商环境建设局", "210000")
    user = staff_user("mover", (org, StaffRole.SYSTEM_ADMIN))
    assert membership_revoke(
        user=user, organisation=org, role=StaffRole.SYSTEM_ADMIN, acting_user=None
    )
    membership_grant(
        user=user, organisation=org, role=StaffRole.AUDIT_ADMIN, acting_user=None
    )
    assert _roles(user) == {StaffRole.AUDIT_ADMIN}
    revoked = AuditEvent.objects.get(event="identity.role_revoked")
    assert revoked.data["role"] == "system_admin"


# --- the system administrator's services ----------------------------------------


@pytest.fixture
def world():
    divisions()
    province = organisation("辽宁省营商环境建设局", "210000")
    hall = organisation("沈阳市政务服务中心", "210100")
    dalian = organisation("大连市政务服务中心", "210200")
    city_admin = staff_user("shenyang_admin", (hall, StaffRole.SYSTEM_ADMIN))
    return {
        "province": province,
        "hall": hall,
        "dalian": dalian,
        "city_admin": city_admin,
        "root_admin": staff_user("root_admin", (province, StaffRole.SYSTEM_ADMIN)),
    }


def test_create_staff_account_with_an_initial_password_to_change(world):
    expires = timezone.now() + datetime.timedelta(days=90)
    created = staff.staff_account_create(
        username="Chuangkou01",
        full_name="窗口一号",
        roles=[staff.RoleRequest(world["hall"], StaffRole.COUNTER_CLERK)],
        expires_at=expires,
        acting_user=world["city_admin"],
    )
    user = created.user
    assert user.username == "chuangkou01"
    assert user.check_password(created.initial_password)
    account = Account.objects.get(user=user)
    assert account.kind == "staff" and account.must_change_password
    assert account.expires_at == expires
    assert _roles(user) == {StaffRole.COUNTER_CLERK}
    created_event = AuditEvent.objects.get(event="identity.staff_account_created")
    assert created_event.actor == world["city_admin"]
    assert created.initial_password not in str(
        list(AuditEvent.objects.values_list("data", flat=True))
    )


@pytest.mark.parametrize(
    "role", [StaffRole.SYSTEM_ADMIN, StaffRole.SECURITY_ADMIN, StaffRole.AUDIT_ADMIN]
)
def test_system_admin_cannot_grant_administrator_roles(world, role):
    with pytest.raises(IdentityError) as raised:
        staff.staff_account_create(
            username="puppet",
            full_name="傀儡",
            roles=[staff.RoleRequest(world["hall"], role)],
            acting_user=world["city_admin"],
        )
    assert raised.value.status == 403
    assert not get_user_model().objects.filter(username="puppet").exists()


def test_system_admin_works_only_inside_their_divisions(world):
    # a Shenyang administrator cannot create staff in Dalian
    with pytest.raises(IdentityError) as raised:
        staff.staff_account_create(
            username="dalian01",
            full_name="大连窗口",
            roles=[staff.RoleRequest(world["dalian"], StaffRole.COUNTER_CLERK)],
            acting_user=world["city_admin"],
        )
    assert raised.value.status == 403
    assert not get_user_model().objects.filter(username="dalian01").exists()
    # nor see or disable Dalian's staff; the province administrator can
    clerk = staff_user("dl_clerk", (world["dalian"], StaffRole.COUNTER_CLERK))
    assert clerk not in staff.staff_in_scope(
        staff.require_system_admin(world["city_admin"])
    )
    with pytest.raises(IdentityError):
        staff.staff_account_set_active(
            user_id=clerk.pk, active=False, acting_user=world["city_admin"]
        )
    clerk.refresh_from_db()
    assert clerk.is_active
    staff.staff_account_set_active(
        user_id=clerk.pk, active=False, acting_user=world["root_admin"]
    )
    clerk.refresh_from_db()
    assert not clerk.is_active
    assert AuditEvent.objects.filter(
        event="identity.staff_account_disabled", actor=world["root_admin"]
    ).exists()


def test_system_admin_cannot_touch_administrator_or_superuser_accounts(world):
    auditor = staff_user("auditor", (world["hall"], StaffRole.AUDIT_ADMIN))
    root = get_user_model().objects.create_superuser(username="root", password="x")
    for target in (auditor, root, world["root_admin"]):
        with pytest.raises(IdentityError):
            staff.staff_account_set_active(
                user_id=target.pk, active=False, acting_user=world["city_admin"]
            )
        target.refresh_from_db()
        assert target.is_active


def test_role_grant_and_revoke_by_the_system_admin(world):
    clerk = staff_user("clerk", (world["hall"], StaffRole.COUNTER_CLERK))
    membership = staff.staff_role_grant(
        user_id=clerk.pk,
        request=staff.RoleRequest(world["hall"], StaffRole.REVIEWER),
        acting_user=world["city_admin"],
    )
    assert _roles(clerk) == {StaffRole.COUNTER_CLERK, StaffRole.REVIEWER}
    staff.staff_role_revoke(
        user_id=clerk.pk, membership_id=membership.pk, acting_user=world["city_admin"]
    )
    assert _roles(clerk) == {StaffRole.COUNTER_CLERK}
    assert AuditEvent.objects.filter(
        event="identity.role_revoked", actor=world["city_admin"]
    ).exists()


def test_scope_division_outside_the_admins_scope_is_refused(world):
    clerk = staff_user("clerk", (world["hall"], StaffRole.COUNTER_CLERK))
    with pytest.raises(IdentityError) as raised:
        staff.staff_role_grant(
            user_id=clerk.pk,
            request=staff.RoleRequest(
                world["hall"], StaffRole.REVIEWER, divisions()["210000"]
            ),
            acting_user=world["city_admin"],
        )
    assert "scope_division" in raised.value.fields
    assert _roles(clerk) == {StaffRole.COUNTER_CLERK}


@pytest.mark.parametrize(
    "role", [StaffRole.SECURITY_ADMIN, StaffRole.AUDIT_ADMIN, StaffRole.REVIEWER]
)
def test_only_the_system_admin_creates_accounts(world, role):
    other = staff_user("other", (world["hall"], role))
    with pytest.raises(IdentityError) as raised:
        staff.staff_account_create(
            username="sneaky",
            full_name="某人",
            roles=[staff.RoleRequest(world["hall"], StaffRole.COUNTER_CLERK)],
            acting_user=other,
        )
    assert raised.value.status == 403
    assert not get_user_model().objects.filter(username="sneaky").exists()


def test_expiry_in_the_past_is_refused(world):
    clerk = staff_user("clerk", (world["hall"], StaffRole.COUNTER_CLERK))
    with pytest.raises(IdentityError) as raised:
        staff.staff_account_set_expiry(
            user_id=clerk.pk,
            expires_at=timezone.now() - datetime.timedelta(days=1),
            acting_user=world["city_admin"],
        )
    assert "expires_at" in raised.value.fields
    assert Account.objects.get(user=clerk).expires_at is None


# --- the security administrator's services --------------------------------------


def test_security_admin_clears_a_lock_and_others_cannot(world):
    security = staff_user("anquan", (world["province"], StaffRole.SECURITY_ADMIN))
    lock = LoginLock.objects.create(
        scope="address",
        key="203.0.113.9",
        failures=5,
        locked_until=timezone.now() + datetime.timedelta(minutes=15),
    )
    with pytest.raises(IdentityError):
        staff.login_lock_clear(lock_id=lock.pk, acting_user=world["city_admin"])
    assert LoginLock.objects.filter(pk=lock.pk).exists()
    staff.login_lock_clear(lock_id=lock.pk, acting_user=security)
    assert not LoginLock.objects.filter(pk=lock.pk).exists()
    assert AuditEvent.objects.get(event="identity.login_unlocked").actor == security


def test_generated_initial_passwords_pass_the_password_rules():
    from django.contrib.auth.password_validation import validate_password

    for _ in range(200):
        validate_password(staff.generate_initial_password())


@pytest.mark.django_db(transaction=True)
def test_concurrent_grants_of_two_administrator_roles_cannot_both_pass():
    """Two administrators grant the same account a different administrator role at
    the same moment: the row lock on the user serialises them, the second sees the
    first's role and is refused. Needs real concurrent transactions (PostgreSQL)."""
    import threading

    from django.db import connection, connections, transaction

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises every write transaction; run on PostgreSQL")
    org = organisation("辽宁省营商环境建设局", "210000")
    user = staff_user("contested")
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def grant(role: StaffRole) -> None:
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                membership_grant(
                    user=user, organisation=org, role=role, acting_user=None
                )
            outcomes[role] = "granted"
        except IdentityError:
            outcomes[role] = "refused"
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=grant, args=(role,))
        for role in (StaffRole.SECURITY_ADMIN, StaffRole.AUDIT_ADMIN)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes.values()) == ["granted", "refused"]
    assert len(_roles(user)) == 1


def test_staff_member_who_loses_every_role_still_needs_the_second_factor(
    reference_data,
):
    # given a department editor created the way the catalogue demo creates staff
    # (a plain user, no account row), whose only role is then revoked
    from django.contrib.auth import get_user_model

    from zhengwu.identity.accounts import is_staff_user
    from zhengwu.identity.constants import AccountKind, StaffRole
    from zhengwu.identity.models import Account
    from zhengwu.identity.services import membership_grant, membership_revoke

    from .staff_factories import organisation

    user = get_user_model().objects.create_user(username="bianji", password="x")
    office = organisation("某局")
    membership_grant(
        user=user,
        organisation=office,
        role=StaffRole.DEPARTMENT_EDITOR,
        acting_user=None,
    )

    # when
    membership_revoke(
        user=user,
        organisation=office,
        role=StaffRole.DEPARTMENT_EDITOR,
        acting_user=None,
    )

    # then the account is still a staff account (TOTP at login)
    assert Account.objects.get(user=user).kind == AccountKind.STAFF
    assert is_staff_user(user)
