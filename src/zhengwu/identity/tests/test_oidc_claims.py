"""Claims by scope: pairwise subjects per sector, the ID number only under the
client's policy, staff names without an ID number, the entities a user acts for."""

import datetime

from django.utils import timezone

import pytest
from oauth2_provider.models import Application

from zhengwu.identity.constants import AuthorisationKind, EntityKind, StaffRole
from zhengwu.identity.models import Authorisation, LegalEntity, StaffMembership
from zhengwu.identity.oidc import client_set_enabled, pairwise_subject, user_claims

from .oidc_support import make_person_user, register, security_admin, withdraw_scopes
from .person_factories import make_credit_code

pytestmark = pytest.mark.django_db

ALL = ("openid", "profile", "phone", "id_number", "enterprise")


def test_subjects_are_pairwise_by_sector_and_stable():
    user = make_person_user("pairwise")
    a1 = register("A1", "https://a.example.gov.cn/cb1").application
    a2 = register("A2", "https://a.example.gov.cn/cb2").application
    b = register("B", "https://b.example.gov.cn/cb").application
    sub_a1 = user_claims(user, a1, ["openid"])["sub"]
    assert sub_a1 == user_claims(user, a2, ["openid"])["sub"]  # same sector
    assert sub_a1 != user_claims(user, b, ["openid"])["sub"]
    assert sub_a1 == user_claims(user, a1, ["openid"])["sub"]
    assert sub_a1 == pairwise_subject("a.example.gov.cn", user.pk)


def test_claims_follow_the_granted_scopes():
    user = make_person_user("scoped", "钱八", level=3)
    app = register("A", "https://a.example.gov.cn/cb", scopes=ALL).application
    only_openid = user_claims(user, app, ["openid"])
    assert set(only_openid) == {"sub", "acr", "zw_assurance_level"}
    assert only_openid["zw_assurance_level"] == 3
    full = user_claims(user, app, ALL)
    assert full["name"] == "钱八"
    assert full["phone_number"] == user.clear_mobile
    assert full["zw_id_number"] == user.clear_id_number
    assert full["zw_entities"] == []


def test_no_id_number_without_the_policy_even_if_the_scope_was_granted():
    user = make_person_user("nopolicy")
    app = register("A", "https://a.example.gov.cn/cb", scopes=("profile",))
    claims = user_claims(user, app.application, ALL)
    assert "zw_id_number" not in claims


def _reloaded(registered) -> Application:
    return Application.objects.get(pk=registered.application.pk)


def test_scopes_withdrawn_after_the_grant_release_nothing_more():
    # given a grant of every scope, after which the security administrator narrows
    # the client's policy to profile
    user = make_person_user("narrowed", "周一")
    registered = register("A", "https://a.example.gov.cn/cb", scopes=ALL)
    withdraw_scopes(registered, keep=("openid", "profile"))
    # when the claims of that grant are computed (for a later request)
    claims = user_claims(user, _reloaded(registered), ALL)
    # then only what the policy still allows
    assert claims["name"] == "周一"
    assert not {"phone_number", "zw_id_number", "zw_entities"} & set(claims)


def test_a_disabled_client_gets_no_personal_claims():
    user = make_person_user("disabled-client")
    registered = register("A", "https://a.example.gov.cn/cb", scopes=ALL)
    client_set_enabled(
        policy_pk=registered.policy.pk, enabled=False, acting_user=security_admin()
    )
    claims = user_claims(user, _reloaded(registered), ALL)
    assert not {"name", "phone_number", "zw_id_number", "zw_entities"} & set(claims)


def test_staff_get_their_user_name_and_never_an_id_number(make_user):
    staff = make_user("wang.zr", first_name="主任", last_name="王")
    StaffMembership.objects.create(
        user=staff,
        organisation=register("x", "https://x.example.gov.cn/cb").policy.organisation,
        role=StaffRole.REVIEWER,
    )
    app = register("A", "https://a.example.gov.cn/cb", scopes=ALL).application
    claims = user_claims(staff, app, ALL)
    assert claims["name"] == "王主任"
    assert claims["acr"] == "zhengwu:staff-2fa"
    assert "zw_id_number" not in claims and "phone_number" not in claims


def test_enterprise_scope_lists_represented_and_clerked_entities():
    representative = make_person_user("legalrep", "孙九")
    clerk = make_person_user("clerk", "李十")
    owned = LegalEntity.objects.create(
        credit_code=make_credit_code(),
        name="辽宁示例科技有限公司",
        kind=EntityKind.ENTERPRISE,
        legal_representative=representative.person_record,
    )
    now = timezone.now()
    Authorisation.objects.create(
        kind=AuthorisationKind.CLERK,
        principal_entity=owned,
        agent=clerk,
        all_items=True,
        valid_from=now - datetime.timedelta(days=1),
        valid_until=now + datetime.timedelta(days=30),
        granted_by=security_admin(),
    )
    expired_owner = LegalEntity.objects.create(
        credit_code=make_credit_code(),
        name="已过期授权公司",
        kind=EntityKind.ENTERPRISE,
        legal_representative=representative.person_record,
    )
    Authorisation.objects.create(
        kind=AuthorisationKind.CLERK,
        principal_entity=expired_owner,
        agent=clerk,
        all_items=True,
        valid_from=now - datetime.timedelta(days=30),
        valid_until=now - datetime.timedelta(days=1),
        granted_by=security_admin(),
    )
    app = register(
        "A", "https://a.example.gov.cn/cb", scopes=("enterprise",)
    ).application
    rep_entities = user_claims(representative, app, ["openid", "enterprise"])[
        "zw_entities"
    ]
    assert {e["role"] for e in rep_entities} == {"legal_representative"}
    assert len(rep_entities) == 2
    clerk_entities = user_claims(clerk, app, ["openid", "enterprise"])["zw_entities"]
    assert clerk_entities == [
        {"credit_code": owned.credit_code, "name": owned.name, "role": "clerk"}
    ]
