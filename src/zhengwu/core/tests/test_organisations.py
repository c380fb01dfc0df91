"""Organisations (实施主体): validated, audited, read through the facade."""

import pytest

from zhengwu.core import facade
from zhengwu.core.errors import DomainError, NotFoundError
from zhengwu.core.models import AuditEvent, Organisation, OrganisationLevel
from zhengwu.core.services import organisation_create, organisation_update

from .factories import DivisionFactory, OrganisationFactory, UserFactory, make_uscc

pytestmark = pytest.mark.django_db


@pytest.fixture
def shenyang():
    province = DivisionFactory(code="210000", name="辽宁省", level="province")
    return DivisionFactory(
        code="210100", name="沈阳市", level="prefecture", parent=province
    )


def test_create_organisation_is_audited(shenyang):
    # given
    user = UserFactory()

    # when
    organisation = organisation_create(
        credit_code=make_uscc(42),
        name=" 沈阳市市场监督管理局 ",
        level=OrganisationLevel.MUNICIPAL,
        division="210100",
        acting_user=user,
    )

    # then
    organisation.refresh_from_db()
    assert organisation.name == "沈阳市市场监督管理局"
    assert organisation.division == shenyang
    event = AuditEvent.objects.get(event="core.organisation_created")
    assert event.actor == user
    assert (event.target_type, event.target_id) == (
        "core.organisation",
        str(organisation.pk),
    )
    assert event.data["credit_code"] == organisation.credit_code


@pytest.mark.parametrize(
    "credit_code", ["11210100000000428X", "11430000006122244l", "123", ""]
)
def test_invalid_credit_code_is_refused_and_nothing_saved(shenyang, credit_code):
    # when
    with pytest.raises(DomainError) as error:
        organisation_create(
            credit_code=credit_code,
            name="某局",
            level=3,
            division=shenyang,
            acting_user=None,
        )

    # then
    assert error.value.code == "core.organisation_invalid"
    assert "credit_code" in error.value.fields
    assert not Organisation.objects.exists()
    assert not AuditEvent.objects.exists()


def test_duplicate_credit_code_and_name_are_refused(shenyang):
    # given
    existing = OrganisationFactory(division=shenyang, name="沈阳市教育局")

    # when
    with pytest.raises(DomainError) as error:
        organisation_create(
            credit_code=existing.credit_code,
            name="沈阳市教育局",
            level=3,
            division=shenyang,
            acting_user=None,
        )

    # then both problems are named
    assert "credit_code" in error.value.fields
    assert "__all__" in error.value.fields
    assert Organisation.objects.count() == 1


def test_level_outside_1_to_5_is_refused(shenyang):
    with pytest.raises(DomainError) as error:
        organisation_create(
            credit_code=make_uscc(7),
            name="某局",
            level=9,
            division=shenyang,
            acting_user=None,
        )
    assert "level" in error.value.fields


def test_unknown_division_code_is_not_found():
    with pytest.raises(NotFoundError) as error:
        organisation_create(
            credit_code=make_uscc(7),
            name="某局",
            level=3,
            division="999999",
            acting_user=None,
        )
    assert error.value.code == "core.division_not_found"


def test_update_records_the_changes(shenyang):
    # given
    organisation = OrganisationFactory(division=shenyang, name="旧名")
    user = UserFactory()

    # when
    organisation_update(
        organisation=organisation, acting_user=user, name="新名", is_active=False
    )

    # then
    organisation.refresh_from_db()
    assert (organisation.name, organisation.is_active) == ("新名", False)
    event = AuditEvent.objects.get(event="core.organisation_updated")
    assert event.data["changes"] == {
        "name": ["旧名", "新名"],
        "is_active": [True, False],
    }


def test_update_with_bad_credit_code_changes_nothing(shenyang):
    organisation = OrganisationFactory(division=shenyang)
    code = organisation.credit_code

    with pytest.raises(DomainError):
        organisation_update(
            organisation=organisation, acting_user=None, credit_code="bad"
        )

    organisation.refresh_from_db()
    assert organisation.credit_code == code
    assert not AuditEvent.objects.exists()


def test_facade_returns_frozen_values(shenyang):
    # given
    parent = OrganisationFactory(division=shenyang)
    child = OrganisationFactory(division=shenyang, parent=parent)

    # when
    info = facade.get_organisation(child.pk)

    # then
    assert info.division_code == "210100"
    assert info.division_name == "沈阳市"
    assert info.parent_id == parent.pk
    with pytest.raises(AttributeError):
        info.name = "x"  # type: ignore[misc]


def test_list_organisations_by_division_and_below(shenyang):
    # given
    county = DivisionFactory(code="210102", name="和平区", parent=shenyang)
    in_city = OrganisationFactory(division=shenyang)
    in_county = OrganisationFactory(division=county)
    OrganisationFactory()  # elsewhere

    # then
    assert [o.pk for o in facade.list_organisations("210100")] == [in_city.pk]
    below = facade.list_organisations("210000", include_subdivisions=True)
    assert {o.pk for o in below} == {in_city.pk, in_county.pk}
    assert len(facade.list_organisations()) == 3


def test_unknown_organisation_is_not_found():
    with pytest.raises(NotFoundError) as error:
        facade.get_organisation(12345)
    assert error.value.code == "core.organisation_not_found"


def test_admin_add_goes_through_the_service(client, shenyang):
    # given
    admin = UserFactory(superuser=True)
    client.force_login(admin)

    # when
    response = client.post(
        "/admin/core/organisation/add/",
        {
            "credit_code": make_uscc(99),
            "name": "沈阳市民政局",
            "short_name": "",
            "level": "3",
            "division": shenyang.pk,
            "kind": "法定机关",
            "address": "",
            "phone": "",
            "is_active": "on",
        },
    )

    # then
    assert response.status_code == 302, response.content.decode()[:2000]
    organisation = Organisation.objects.get(name="沈阳市民政局")
    event = AuditEvent.objects.get(event="core.organisation_created")
    assert event.actor == admin
    assert event.target_id == str(organisation.pk)


def test_admin_rejects_a_bad_credit_code_in_the_form(client, shenyang):
    client.force_login(UserFactory(superuser=True))

    response = client.post(
        "/admin/core/organisation/add/",
        {
            "credit_code": "11210100000000428X",
            "name": "沈阳市民政局",
            "level": "3",
            "division": shenyang.pk,
            "kind": "法定机关",
        },
    )

    assert response.status_code == 200
    assert "统一社会信用代码" in response.content.decode()
    assert not Organisation.objects.exists()
