"""Counter visits: only counter clerks, a valid ID, the population check, acting
for the walk-in, reveal while serving."""

import pytest

from zhengwu.core.models import AuditEvent
from zhengwu.identity import counter, persons
from zhengwu.identity.constants import AssuranceLevel
from zhengwu.identity.errors import IdentityError
from zhengwu.identity.models import CounterVisit, Person

from .person_factories import (
    make_citizen,
    make_counter_clerk,
    make_id_number,
    population_record,
)

pytestmark = pytest.mark.django_db


def test_a_counter_clerk_serves_a_walk_in_and_verifies_in_person(client):
    # given
    clerk = make_counter_clerk()
    id_number = make_id_number()
    population_record("孙八", id_number)
    client.force_login(clerk)
    # when
    response = client.post(
        "/staff/counter/",
        {"name": "孙八", "id_number": id_number, "document": "id_card", "verify": "on"},
    )
    # then
    assert response.status_code == 302
    person = Person.objects.get()
    assert person.user is None
    assert person.assurance_level == AssuranceLevel.IN_PERSON
    assert person.verified_by == clerk
    visit = CounterVisit.objects.get()
    page = client.get("/staff/counter/").content.decode()
    assert "正在代 孙* 办理" in page
    assert id_number not in page
    started = AuditEvent.objects.get(event="identity.counter_visit_started")
    assert started.on_behalf_of == f"person:{person.pk}"
    # the clerk may see the full number while serving (audited)
    page = client.post(f"/staff/counter/visits/{visit.pk}/reveal").content.decode()
    assert id_number in page
    viewed = AuditEvent.objects.get(event="identity.personal_data_viewed")
    assert viewed.actor == clerk and viewed.outcome == "success"
    # after the visit ends, no longer
    client.post(f"/staff/counter/visits/{visit.pk}/end")
    with pytest.raises(IdentityError):
        persons.reveal_personal_data(person, "id_number", clerk)
    assert "正在代" not in client.get("/staff/counter/").content.decode()


def test_the_walk_in_registering_later_is_linked(client):
    clerk = make_counter_clerk()
    id_number = make_id_number()
    counter.counter_visit_start(
        clerk=clerk, name="周九", id_number=id_number, document="id_card"
    )
    person = persons.register_person(
        name="周九",
        id_number=id_number,
        mobile="13900009999",
        password="Zhengwu#2026pw",
    )
    assert Person.objects.count() == 1
    assert person.user is not None


@pytest.mark.parametrize(
    "data, field",
    [
        ({"name": "孙八", "id_number": "210102198503150011"}, "id_number"),
        ({"name": "", "id_number": None}, "name"),
        ({"name": "别人", "id_number": None}, "name"),  # population mismatch
    ],
)
def test_invalid_or_mismatching_documents_are_refused(client, data, field):
    clerk = make_counter_clerk()
    id_number = make_id_number()
    population_record("孙八", id_number)
    client.force_login(clerk)
    data = {"document": "id_card"} | {
        k: (v if v is not None else id_number) for k, v in data.items()
    }
    response = client.post("/staff/counter/", data)
    assert response.status_code == 400
    assert 'class="field-error"' in response.content.decode()
    assert not CounterVisit.objects.exists()
    assert not Person.objects.exists()


def test_only_counter_clerks_start_visits(client):
    citizen = make_citizen("张三")
    client.force_login(citizen.user)
    id_number = make_id_number()
    response = client.post(
        "/staff/counter/",
        {"name": "孙八", "id_number": id_number, "document": "id_card"},
    )
    assert response.status_code == 403
    assert client.get("/staff/counter/").status_code == 403
    with pytest.raises(IdentityError):
        counter.counter_visit_start(
            clerk=citizen.user, name="孙八", id_number=id_number, document="id_card"
        )
    assert not CounterVisit.objects.exists()
    assert not Person.objects.filter(name="孙八").exists()


def test_a_citizen_sees_what_the_counter_clerk_did_in_their_name(client):
    # given a registered citizen served at a counter
    citizen = make_citizen("张三")
    clerk = make_counter_clerk()
    client.force_login(clerk)
    client.post(
        "/staff/counter/",
        {
            "name": "张三",
            "id_number": citizen.clear_id_number,
            "document": "id_card",
            "verify": "on",
        },
    )
    visit = CounterVisit.objects.get()
    client.post(f"/staff/counter/visits/{visit.pk}/reveal")
    client.post(f"/staff/counter/visits/{visit.pk}/end")
    # when the citizen looks at the actions taken in their name
    client.force_login(citizen.user)
    page = client.get("/me/actions/").content.decode()
    # then
    for text in ("窗口小李", "窗口现场代办：开始", "身份核验", "查看完整身份信息"):
        assert text in page, text


def test_a_visit_older_than_two_hours_no_longer_acts_or_reveals(client):
    import datetime

    from django.utils import timezone

    clerk = make_counter_clerk()
    id_number = make_id_number()
    client.force_login(clerk)
    client.post(
        "/staff/counter/",
        {"name": "孙八", "id_number": id_number, "document": "id_card"},
    )
    visit = CounterVisit.objects.get()
    assert "正在代" in client.get("/staff/counter/").content.decode()
    CounterVisit.objects.filter(pk=visit.pk).update(
        started_at=timezone.now() - datetime.timedelta(hours=2, minutes=1)
    )
    assert "正在代" not in client.get("/staff/counter/").content.decode()
    assert client.post(f"/staff/counter/visits/{visit.pk}/reveal").status_code == 404
    with pytest.raises(IdentityError):
        persons.reveal_personal_data(visit.person, "id_number", clerk)


def test_a_service_point_clerk_acts_only_under_an_authorisation(client):
    from zhengwu.identity.constants import StaffRole
    from zhengwu.identity.models import StaffMembership

    clerk = make_counter_clerk("village")
    StaffMembership.objects.filter(user=clerk).update(
        role=StaffRole.SERVICE_POINT_CLERK
    )
    client.force_login(clerk)
    response = client.post(
        "/staff/counter/",
        {"name": "孙八", "id_number": make_id_number(), "document": "id_card"},
    )
    assert response.status_code == 403
    assert not CounterVisit.objects.exists()


def test_an_acting_clerk_s_roles_are_read_once_per_request(client):
    # ActingMiddleware re-checks the visit on every request; the clerk's roles come
    # from the request's staff scope, which the header and the counter page reuse.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    clerk = make_counter_clerk()
    id_number = make_id_number()
    population_record("孙八", id_number)
    client.force_login(clerk)
    client.post(
        "/staff/counter/",
        {"name": "孙八", "id_number": id_number, "document": "id_card"},
    )
    with CaptureQueriesContext(connection) as captured:
        page = client.get("/staff/counter/").content.decode()
    assert "正在代 孙* 办理" in page
    role_reads = [
        q["sql"]
        for q in captured.captured_queries
        if 'FROM "identity_staffmembership"' in q["sql"]
    ]
    assert len(role_reads) == 1, role_reads
