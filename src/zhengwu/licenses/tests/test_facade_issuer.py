"""licenses.facade.licence_types_for_issuer: the types an organisation defines
or is authorised to issue, and no others."""

from __future__ import annotations

import pytest

from zhengwu.identity.constants import StaffRole
from zhengwu.identity.tests.staff_factories import organisation, staff_user
from zhengwu.licenses import facade as licences
from zhengwu.licenses.services import licence_type_define

from .factories import FACE_SCHEMA

pytestmark = pytest.mark.django_db


def _define(org, name, *, issuers=(), sequence=None):
    editor = staff_user(f"editor-{org.pk}-{name}", (org, StaffRole.DEPARTMENT_EDITOR))
    return licence_type_define(
        defining_organisation_id=org.pk,
        name=name,
        holder_kind="person",
        face_schema=FACE_SCHEMA,
        layout_title=name,
        issuing_organisation_ids=[o.pk for o in issuers],
        sequence=sequence,
        acting_user=editor,
    )


@pytest.fixture
def issuers(licence_world):
    province = organisation("辽宁省市场监督管理局", "210000")
    city = licence_world.other_bureau  # 沈阳市市场监督管理局
    # the province defines a type the city is authorised to issue, and one it
    # keeps to itself
    shared = _define(province, "个体工商户营业执照", issuers=[city])
    own = _define(province, "食品生产许可证")
    return licence_world, province, city, shared, own


def test_the_defining_organisation_gets_every_type_it_defines(issuers):
    lw, province, _city, shared, own = issuers
    found = licences.licence_types_for_issuer(province.pk)
    # ordered by name, then code
    assert [t.type_code for t in found] == [shared.type_code, own.type_code]
    info = found[0]
    assert info.name == "个体工商户营业执照"
    assert info.defining_organisation_id == province.pk
    assert info.face_fields == tuple(FACE_SCHEMA["properties"])


def test_an_authorised_issuer_gets_the_types_it_may_issue_only(issuers):
    lw, province, city, shared, own = issuers
    found = licences.licence_types_for_issuer(city.pk)
    assert [t.type_code for t in found] == [shared.type_code]
    # the summary names both the defining and the authorised organisation
    assert found[0].issuing_organisation_ids == (province.pk, city.pk)
    assert found[0] == licences.licence_type_info(shared.type_code)


def test_an_organisation_issuing_nothing_gets_nothing(issuers):
    lw, _province, _city, _shared, _own = issuers
    unrelated = organisation("沈阳市民政局", "210100")
    assert licences.licence_types_for_issuer(unrelated.pk) == ()
    # the licence world's bureau keeps its own type and nothing of the province's
    assert [t.type_code for t in licences.licence_types_for_issuer(lw.bureau.pk)] == [
        lw.licence_type.type_code
    ]


@pytest.mark.parametrize("bad", [None, "", "abc", -1, 0, True])
def test_a_bad_organisation_id_gives_nothing(issuers, bad):
    assert licences.licence_types_for_issuer(bad) == ()


def test_a_type_with_several_issuers_is_listed_once(
    issuers, django_assert_max_num_queries
):
    lw, province, city, _shared, _own = issuers
    several = _define(province, "道路运输经营许可证", issuers=[city, lw.bureau])
    with django_assert_max_num_queries(2):
        found = licences.licence_types_for_issuer(city.pk)
    codes = [t.type_code for t in found]
    assert codes.count(several.type_code) == 1
    info = next(t for t in found if t.type_code == several.type_code)
    assert set(info.issuing_organisation_ids) == {province.pk, city.pk, lw.bureau.pk}
    assert info.issuing_organisation_ids[0] == province.pk


@pytest.mark.parametrize("code", ["\x00", "A\x00B", "LICENCE", "2" * 22, "", None])
def test_anything_but_a_type_code_is_no_type(issuers, code):
    # never sent to the database: PostgreSQL refuses NUL in text (a 500 for a
    # settings page or API caller that sends one)
    assert licences.licence_type_info(code) is None


def test_a_type_code_with_spaces_around_is_found(issuers):
    _lw, _province, _city, shared, _own = issuers
    assert licences.licence_type_info(f" {shared.type_code} ").type_code == (
        shared.type_code
    )
