"""Registration (L1/L2), duplicate ID numbers, walk-in linking, lookups, L3."""

import pytest

from zhengwu.core.models import AuditEvent
from zhengwu.identity import persons
from zhengwu.identity.constants import AssuranceLevel
from zhengwu.identity.errors import IdentityError
from zhengwu.identity.models import Account, Person

from .person_factories import (
    PASSWORD,
    make_id_number,
    make_mobile,
    population_record,
)

pytestmark = pytest.mark.django_db


def test_registration_matching_population_records_is_l2():
    # given
    id_number = make_id_number()
    population_record("张三", id_number)
    # when
    person = persons.register_person(
        name="张三", id_number=id_number, mobile=make_mobile(), password=PASSWORD
    )
    # then
    person.refresh_from_db()
    assert person.assurance_level == AssuranceLevel.VERIFIED
    assert person.user.check_password(PASSWORD)
    assert person.user.username != id_number
    assert id_number not in person.user.username
    assert Account.objects.get(user=person.user).kind == "person"
    events = list(
        AuditEvent.objects.filter(
            target_type="identity.person", target_id=str(person.pk)
        ).values_list("event", flat=True)
    )
    assert events == ["identity.registered", "identity.verified"]


def test_registration_with_a_mismatching_name_stays_l1():
    # given
    id_number = make_id_number()
    population_record("张三", id_number)
    # when
    person = persons.register_person(
        name="李四", id_number=id_number, mobile=make_mobile(), password=PASSWORD
    )
    # then
    assert person.assurance_level == AssuranceLevel.REGISTERED
    registered = AuditEvent.objects.get(event="identity.registered")
    assert registered.data["population_check"] == "mismatch"
    assert not AuditEvent.objects.filter(event="identity.verified").exists()


def test_registration_without_population_record_is_l1():
    person = persons.register_person(
        name="王五", id_number=make_id_number(), mobile=make_mobile(), password=PASSWORD
    )
    assert person.assurance_level == AssuranceLevel.REGISTERED


def test_an_id_number_with_an_account_is_refused_and_nothing_changes():
    # given
    id_number = make_id_number()
    first = persons.register_person(
        name="张三", id_number=id_number, mobile=make_mobile(), password=PASSWORD
    )
    users_before = type(first.user).objects.count()
    # when
    with pytest.raises(IdentityError) as error:
        persons.register_person(
            name="张三", id_number=id_number, mobile=make_mobile(), password=PASSWORD
        )
    # then
    assert error.value.code == "identity.id_number_registered"
    assert "id_number" in error.value.fields
    assert type(first.user).objects.count() == users_before
    assert Person.objects.count() == 1


def test_an_id_number_in_lower_case_x_is_the_same_number():
    id_number = make_id_number(7)
    while not id_number.endswith("X"):
        id_number = make_id_number()
    persons.register_person(
        name="张三", id_number=id_number, mobile=make_mobile(), password=PASSWORD
    )
    with pytest.raises(IdentityError):
        persons.register_person(
            name="张三",
            id_number=id_number.lower(),
            mobile=make_mobile(),
            password=PASSWORD,
        )


@pytest.mark.parametrize(
    "field, overrides",
    [
        ("id_number", {"id_number": "210102198503150011"}),
        ("id_number", {"id_number": "21010219850315001"}),
        ("mobile", {"mobile": "12912345678"}),
        ("mobile", {"mobile": "1391234567"}),
        ("name", {"name": ""}),
        ("name", {"name": "张3"}),
        ("password", {"password": ""}),
    ],
)
def test_invalid_input_names_the_field_and_creates_nothing(
    field, overrides, django_user_model
):
    data = {
        "name": "张三",
        "id_number": make_id_number(),
        "mobile": make_mobile(),
        "password": PASSWORD,
    } | overrides
    with pytest.raises(IdentityError) as error:
        persons.register_person(**data)
    assert field in error.value.fields
    assert django_user_model.objects.count() == 0
    assert Person.objects.count() == 0


def test_a_mobile_used_by_another_account_is_refused():
    mobile = make_mobile()
    persons.register_person(
        name="张三", id_number=make_id_number(), mobile=mobile, password=PASSWORD
    )
    with pytest.raises(IdentityError) as error:
        persons.register_person(
            name="李四", id_number=make_id_number(), mobile=mobile, password=PASSWORD
        )
    assert "mobile" in error.value.fields
    assert Person.objects.count() == 1


def test_a_walk_in_person_is_linked_on_registration():
    # given a person served at a counter, without an account
    id_number = make_id_number()
    walk_in = Person.objects.create(
        name="赵六",
        id_number=id_number,
        id_number_index=persons.id_number_index(id_number),
    )
    # when
    person = persons.register_person(
        name="赵六", id_number=id_number, mobile=make_mobile(), password=PASSWORD
    )
    # then
    assert person.pk == walk_in.pk
    assert Person.objects.count() == 1
    assert person.user is not None
    assert AuditEvent.objects.get(event="identity.registered").data["linked_walk_in"]


def test_a_walk_in_person_under_another_name_is_not_linked():
    id_number = make_id_number()
    Person.objects.create(
        name="赵六",
        id_number=id_number,
        id_number_index=persons.id_number_index(id_number),
    )
    with pytest.raises(IdentityError) as error:
        persons.register_person(
            name="钱七", id_number=id_number, mobile=make_mobile(), password=PASSWORD
        )
    assert "name" in error.value.fields
    assert Person.objects.get().user is None


def test_lookups_by_id_number_and_mobile():
    id_number, mobile = make_id_number(), make_mobile()
    person = persons.register_person(
        name="张三", id_number=id_number, mobile=mobile, password=PASSWORD
    )
    assert persons.find_person_by_id_number(id_number) == person
    assert persons.find_person_by_id_number(make_id_number()) is None
    assert persons.find_by_mobile(mobile) == person
    assert persons.person_for_user(person.user) == person


def test_nothing_in_clear_in_the_person_table_or_audit(django_db_blocker):
    from django.db import connection

    id_number, mobile = make_id_number(), make_mobile()
    persons.register_person(
        name="张三", id_number=id_number, mobile=mobile, password=PASSWORD
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, mobile FROM identity_person")
        rows = cursor.fetchall()
        cursor.execute("SELECT data FROM core_auditevent")
        audit_rows = cursor.fetchall()
    text = repr(rows) + repr(audit_rows)
    assert id_number not in text
    assert mobile not in text


def test_a_weak_password_is_refused_and_nothing_is_created(django_user_model):
    with pytest.raises(IdentityError) as error:
        persons.register_person(
            name="张三",
            id_number=make_id_number(),
            mobile=make_mobile(),
            password="123",
        )
    assert "password" in error.value.fields
    assert django_user_model.objects.count() == 0
    assert Person.objects.count() == 0
    assert not AuditEvent.objects.filter(event="identity.registered").exists()
