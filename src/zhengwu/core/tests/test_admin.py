"""Admin changes go through the services, so they are validated and audited."""

import datetime

import pytest

from zhengwu.core.calendar import is_working_day
from zhengwu.core.models import AuditEvent, CalendarDay, CalendarYear, Division

from .factories import UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def admin_client(client):
    admin = UserFactory(username="root", superuser=True)
    client.force_login(admin)
    client.user = admin
    return client


def test_admin_enters_a_year_and_it_is_audited(admin_client):
    # when an administrator enters 2027's New Year and marks the year complete
    day = admin_client.post(
        "/admin/core/calendarday/add/",
        {"date": "2027-01-01", "kind": "holiday", "name": "元旦"},
    )
    year = admin_client.post(
        "/admin/core/calendaryear/add/",
        {"year": "2027", "is_complete": "on", "source": "国办发明电〔2026〕号"},
    )

    # then
    assert day.status_code == 302
    assert year.status_code == 302
    assert not is_working_day(D(2027, 1, 1))
    assert is_working_day(D(2027, 1, 4))
    assert CalendarYear.objects.get(year=2027).source == "国办发明电〔2026〕号"
    events = AuditEvent.objects.filter(actor=admin_client.user)
    assert set(events.values_list("event", flat=True)) == {
        "core.calendar_day_set",
        "core.calendar_year_marked_complete",
    }


def test_admin_form_refuses_a_weekend_holiday(admin_client):
    response = admin_client.post(
        "/admin/core/calendarday/add/",
        {"date": "2027-01-02", "kind": "holiday", "name": "元旦"},
    )
    assert response.status_code == 200
    assert "本就休息" in response.content.decode()
    assert not CalendarDay.objects.exists()


def test_admin_delete_and_date_change_are_audited(admin_client):
    # given
    admin_client.post(
        "/admin/core/calendarday/add/",
        {"date": "2027-01-01", "kind": "holiday", "name": "元旦"},
    )
    day = CalendarDay.objects.get()

    # when the date is corrected, then the entry deleted
    changed = admin_client.post(
        f"/admin/core/calendarday/{day.pk}/change/",
        {"date": "2027-01-04", "kind": "holiday", "name": "元旦"},
    )
    moved = CalendarDay.objects.get()
    deleted = admin_client.post(
        f"/admin/core/calendarday/{moved.pk}/delete/", {"post": "yes"}
    )

    # then
    assert changed.status_code == deleted.status_code == 302
    assert moved.date == D(2027, 1, 4)
    assert not CalendarDay.objects.exists()
    assert list(
        AuditEvent.objects.order_by("pk").values_list("event", "data__date")
    ) == [
        ("core.calendar_day_set", "2027-01-01"),
        ("core.calendar_day_removed", "2027-01-01"),
        ("core.calendar_day_set", "2027-01-04"),
        ("core.calendar_day_removed", "2027-01-04"),
    ]


def test_admin_withdraws_a_year_by_unticking_complete(admin_client):
    admin_client.post(
        "/admin/core/calendaryear/add/", {"year": "2027", "is_complete": "on"}
    )
    year = CalendarYear.objects.get()

    response = admin_client.post(
        f"/admin/core/calendaryear/{year.pk}/change/", {"source": year.source}
    )

    assert response.status_code == 302
    assert not CalendarYear.objects.get().is_complete
    assert AuditEvent.objects.filter(
        event="core.calendar_year_marked_incomplete"
    ).exists()


def test_admin_adds_a_zone_division_audited(admin_client):
    parent = Division.objects.create(
        code="210100", name="沈阳市", kind="地级市", level="prefecture"
    )

    response = admin_client.post(
        "/admin/core/division/add/",
        {
            "code": "210190",
            "name": "沈阳经济技术开发区",
            "kind": "开发区",
            "level": "zone",
            "parent": parent.pk,
        },
    )

    assert response.status_code == 302
    event = AuditEvent.objects.get(event="core.division_created")
    assert event.actor == admin_client.user
    assert event.data["code"] == "210190"


@pytest.mark.parametrize(
    "url",
    [
        # /admin/core/auditevent/ is for the audit administrator only (identity
        # admin; identity/tests/test_security_review_admin.py)
        "/admin/core/division/",
        "/admin/core/organisation/",
        "/admin/core/calendarday/",
        "/admin/core/calendaryear/",
    ],
)
def test_admin_lists_render(admin_client, url):
    assert admin_client.get(url).status_code == 200
