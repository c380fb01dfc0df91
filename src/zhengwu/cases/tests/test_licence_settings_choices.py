"""The handling settings offer every licence type the listing's organisation
may issue (licenses.facade.licence_types_for_issuer), not only those named like
the guide; a type set earlier stays shown."""

from __future__ import annotations

import pytest

from zhengwu.cases.licences import issuable_licence_types
from zhengwu.cases.models import HandlingConfig
from zhengwu.catalog.facade import listing_for_application
from zhengwu.identity.constants import StaffRole
from zhengwu.identity.tests.staff_factories import organisation, staff_user
from zhengwu.licenses.services import licence_type_define
from zhengwu.licenses.tests.factories import FACE_SCHEMA, licence_world  # noqa: F401

from .factories import World, configure, published_listing

pytestmark = pytest.mark.django_db


def _define(org, name, *, issuers=()):
    editor = staff_user(f"def-{org.pk}-{len(name)}", (org, StaffRole.DEPARTMENT_EDITOR))
    return licence_type_define(
        defining_organisation_id=org.pk,
        name=name,
        holder_kind="entity",
        face_schema=FACE_SCHEMA,
        layout_title=name,
        issuing_organisation_ids=[o.pk for o in issuers],
        acting_user=editor,
    )


@pytest.fixture
def types(world: World, licence_world):  # noqa: F811
    province = organisation("辽宁省市场监督管理局", "210000")
    # org_a (沈阳市市场监督管理局) is authorised to issue the province's licence,
    # defines one of its own, and may not issue the province's other type
    shared = _define(province, "个体工商户营业执照", issuers=[world.org_a])
    own = _define(world.org_a, "食品经营许可证")
    kept = _define(province, "药品经营许可证")
    # a listing whose guide names none of them
    listing = published_listing(world.org_a, name="个体工商户登记")
    return world, licence_world, listing, shared, own, kept


def _choices(listing_code):
    listing = listing_for_application(listing_code)
    config = HandlingConfig.objects.filter(listing_code=listing_code).first()
    return issuable_licence_types(listing, config)


def test_every_type_the_organisation_may_issue_is_offered(types):
    world, lw, listing, shared, own, kept = types
    codes = [code for code, _label in _choices(listing)]
    # the type it is authorised to issue and the one it defines, nothing else
    assert sorted(codes) == sorted([shared.type_code, own.type_code])
    assert kept.type_code not in codes
    assert lw.licence_type.type_code not in codes  # another bureau's type
    labels = dict(_choices(listing))
    assert labels[own.type_code] == f"食品经营许可证（{own.type_code}）"


def test_types_named_like_the_guide_come_first(types):
    world, lw, _listing, shared, own, _kept = types
    # 食品经营许可证 is the item's name: it is the likely choice, listed first
    named = published_listing(world.org_a, name="食品经营许可证")
    assert [code for code, _label in _choices(named)] == [
        own.type_code,
        shared.type_code,
    ]


def test_the_type_set_now_stays_offered(types):
    world, lw, listing, shared, own, kept = types
    # a type saved before the organisation lost the right to issue it
    configure(listing, licence_type_code=kept.type_code)
    codes = [code for code, _label in _choices(listing)]
    assert kept.type_code in codes
    assert shared.type_code in codes and own.type_code in codes


def test_another_departments_listing_is_offered_its_own_types_only(types):
    world, lw, _listing, shared, own, _kept = types
    other = published_listing(lw.bureau, name="职业资格认定")
    assert [code for code, _label in _choices(other)] == [lw.licence_type.type_code]
    # an organisation issuing no licence type is offered none
    assert _choices(world.listing_b) == []
