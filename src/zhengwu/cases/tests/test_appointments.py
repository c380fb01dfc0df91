"""Appointments: halls and windows, slots on working days from the calendar,
booking within capacity (also under concurrency on PostgreSQL), one booking per
user per slot, cancelling, reminders once, queue numbers at arrival."""

import datetime
import threading

from django.db import connection, connections
from django.utils import timezone

import pytest

from zhengwu.cases import appointments
from zhengwu.cases.constants import AppointmentStatus
from zhengwu.cases.errors import CaseError
from zhengwu.cases.models import Appointment, AppointmentSlot, Notification
from zhengwu.core.models import AuditEvent

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2026, 11, 30)


def _hall(world, name="沈阳市政务服务中心"):
    return appointments.hall_save(
        acting_user=world.clerk_a,
        organisation_id=world.org_a.pk,
        division_id=world.org_a.division_id,
        name=name,
        address="沈阳市浑南区",
    )


def _window(world, hall=None, listing_codes=None):
    return appointments.window_save(
        acting_user=world.clerk_a,
        hall_id=(hall or _hall(world)).pk,
        number="1",
        name="综合受理",
        listing_codes=listing_codes if listing_codes is not None else [world.listing_a],
    )


def _slot(window, *, day=None, capacity=2, start=datetime.time(9, 0)):
    return AppointmentSlot.objects.create(
        window=window,
        date=day or timezone.localdate() + datetime.timedelta(days=7),
        starts_at=start,
        ends_at=datetime.time(start.hour + 1, start.minute),
        capacity=capacity,
    )


def _book(world, slot, user=None):
    return appointments.appointment_book(
        user=user or world.citizen.user, slot_id=slot.pk, listing_code=world.listing_a
    )


def test_slots_are_generated_for_working_days_only(world):
    # given a window; 2026-10-01..10 is the National Day holiday with 10-10 a
    # working Saturday (calendar_2026)
    window = _window(world)

    # when slots are generated for 28 Sep – 11 Oct 2026
    created = appointments.slots_generate(
        acting_user=world.clerk_a,
        window_id=window.pk,
        date_from=datetime.date(2026, 9, 28),
        date_to=datetime.date(2026, 10, 11),
        capacity=3,
        times=((datetime.time(9, 0), datetime.time(10, 0)),),
    )

    # then on 28–30 Sep, 8–10 Oct (the adjusted Saturday) only; a rerun adds none
    days = sorted(window.slots.values_list("date", flat=True))
    assert days == [
        datetime.date(2026, 9, 28),
        datetime.date(2026, 9, 29),
        datetime.date(2026, 9, 30),
        datetime.date(2026, 10, 8),
        datetime.date(2026, 10, 9),
        datetime.date(2026, 10, 10),
    ]
    assert created == 6
    assert (
        appointments.slots_generate(
            acting_user=world.clerk_a,
            window_id=window.pk,
            date_from=datetime.date(2026, 9, 28),
            date_to=datetime.date(2026, 10, 11),
            capacity=3,
            times=((datetime.time(9, 0), datetime.time(10, 0)),),
        )
        == 0
    )
    assert AuditEvent.objects.filter(event="cases.slots_generated").count() == 2


def test_slots_in_an_unknown_year_are_refused_not_guessed(world):
    window = _window(world)
    with pytest.raises(CaseError) as error:
        appointments.slots_generate(
            acting_user=world.clerk_a,
            window_id=window.pk,
            date_from=datetime.date(2026, 12, 28),
            date_to=datetime.date(2027, 1, 8),
            capacity=3,
        )
    assert "2027" in error.value.message
    assert not AppointmentSlot.objects.exists()


def test_other_departments_staff_cannot_manage_halls(world):
    with pytest.raises(CaseError):
        appointments.hall_save(
            acting_user=world.reviewer_b,
            organisation_id=world.org_a.pk,
            division_id=world.org_a.division_id,
            name="x",
            address="y",
        )
    hall = _hall(world)
    with pytest.raises(CaseError):
        appointments.window_save(
            acting_user=world.reviewer_b, hall_id=hall.pk, number="9", name="x"
        )


def test_slots_for_filters_windows_by_item(world):
    hall = _hall(world)
    window = _window(world, hall)
    other = appointments.window_save(
        acting_user=world.clerk_a,
        hall_id=hall.pk,
        number="2",
        name="公安",
        listing_codes=[world.listing_b],
    )
    mine, theirs = _slot(window), _slot(other)
    today = timezone.localdate()
    found = appointments.slots_for(
        hall_id=hall.pk,
        date_from=today,
        date_to=today + datetime.timedelta(days=30),
        listing_code=world.listing_a,
    )
    assert list(found) == [mine]
    assert theirs.pk not in [slot.pk for slot in found]
    with pytest.raises(CaseError):
        appointments.slots_for(
            hall_id=hall.pk,
            date_from=today,
            date_to=today + datetime.timedelta(days=100),
        )


def test_booking_within_capacity_once_per_user(world):
    # given a slot with two places
    slot = _slot(_window(world), capacity=2)

    # when the citizen books, then books again
    appointment = _book(world, slot)
    with pytest.raises(CaseError) as twice:
        _book(world, slot)

    # then one booking, counted; the second refused
    assert appointment.status == AppointmentStatus.BOOKED
    assert appointment.item_name
    assert twice.value.status == 409
    slot.refresh_from_db()
    assert slot.booked == 1

    # the other citizen takes the last place; a third person finds it full
    _book(world, slot, world.other_citizen.user)
    with pytest.raises(CaseError) as full:
        _book(world, slot, world.reviewer_b)
    assert full.value.code == "cases.slot_full"
    slot.refresh_from_db()
    assert slot.booked == 2
    assert AuditEvent.objects.filter(event="cases.appointment_booked").count() == 2


def test_booking_refused_for_a_past_slot_or_another_item(world):
    window = _window(world)
    past = _slot(window, day=timezone.localdate() - datetime.timedelta(days=1))
    with pytest.raises(CaseError) as error:
        _book(world, past)
    assert "slot_id" in error.value.fields
    slot = _slot(window)
    with pytest.raises(CaseError) as wrong_item:
        appointments.appointment_book(
            user=world.citizen.user, slot_id=slot.pk, listing_code=world.listing_b
        )
    assert "slot_id" in wrong_item.value.fields
    with pytest.raises(CaseError) as unknown:
        appointments.appointment_book(
            user=world.citizen.user, slot_id=slot.pk, listing_code="nope"
        )
    assert "listing_code" in unknown.value.fields
    assert not Appointment.objects.exists()


def test_cancel_frees_the_place_and_only_the_owner_cancels(world):
    slot = _slot(_window(world), capacity=1)
    appointment = _book(world, slot)
    with pytest.raises(CaseError) as foreign:
        appointments.appointment_cancel(
            user=world.other_citizen.user, appointment_id=appointment.pk
        )
    assert foreign.value.status == 404

    appointments.appointment_cancel(
        user=world.citizen.user, appointment_id=appointment.pk
    )

    slot.refresh_from_db()
    assert slot.booked == 0
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    # the freed place can be booked again, also by the same user
    assert _book(world, slot).status == AppointmentStatus.BOOKED
    assert list(appointments.appointments_for_user(world.other_citizen.user)) == []


def test_cancel_refused_after_the_start(world):
    slot = _slot(_window(world))
    appointment = Appointment.objects.create(
        slot=slot, user=world.citizen.user, listing_code=world.listing_a, item_name="x"
    )
    AppointmentSlot.objects.filter(pk=slot.pk).update(
        date=timezone.localdate() - datetime.timedelta(days=1)
    )
    with pytest.raises(CaseError) as error:
        appointments.appointment_cancel(
            user=world.citizen.user, appointment_id=appointment.pk
        )
    assert error.value.status == 409


def test_reminders_are_sent_once_the_day_before(
    world, django_capture_on_commit_callbacks
):
    # given bookings for tomorrow and for the day after
    window = _window(world)
    tomorrow = MONDAY
    today = tomorrow - datetime.timedelta(days=1)
    due = Appointment.objects.create(
        slot=_slot(window, day=tomorrow),
        user=world.citizen.user,
        listing_code=world.listing_a,
        item_name="食品经营许可",
    )
    Appointment.objects.create(
        slot=_slot(window, day=tomorrow + datetime.timedelta(days=1)),
        user=world.other_citizen.user,
        listing_code=world.listing_a,
        item_name="食品经营许可",
    )

    # when the reminder task runs twice
    assert appointments.appointment_reminders_send(today=today) == 1
    assert appointments.appointment_reminders_send(today=today) == 0

    # then one reminder (site + SMS to the person's mobile), marked sent
    due.refresh_from_db()
    assert due.reminder_sent_at is not None
    rows = Notification.objects.filter(event="appointment_reminder")
    assert {row.channel for row in rows} == {"site", "sms"}
    assert all(row.recipient_id == world.citizen.user.pk for row in rows)
    assert "沈阳市政务服务中心" in rows.get(channel="site").body


def test_queue_numbers_on_arrival_per_hall_per_day(world):
    # given three bookings today in one hall and one in another hall
    today = timezone.localdate()
    window = _window(world)
    other_hall_window = _window(world, _hall(world, "浑南分中心"))
    slot = _slot(window, day=today, capacity=5)
    bookings = [
        Appointment.objects.create(
            slot=slot, user=user, listing_code=world.listing_a, item_name="x"
        )
        for user in (world.citizen.user, world.other_citizen.user, world.reviewer_b)
    ]
    elsewhere = Appointment.objects.create(
        slot=_slot(other_hall_window, day=today),
        user=world.citizen.user,
        listing_code=world.listing_a,
        item_name="x",
    )

    # when they arrive (the third checked in by the hall's clerk)
    first = appointments.appointment_arrive(
        user=world.citizen.user, appointment_id=bookings[0].pk
    )
    again = appointments.appointment_arrive(
        user=world.citizen.user, appointment_id=bookings[0].pk
    )
    second = appointments.appointment_arrive(
        user=world.other_citizen.user, appointment_id=bookings[1].pk
    )
    third = appointments.appointment_arrive(
        user=world.clerk_a, appointment_id=bookings[2].pk
    )
    other = appointments.appointment_arrive(
        user=world.citizen.user, appointment_id=elsewhere.pk
    )

    # then numbered in order per hall; arriving twice keeps the number
    assert [first.queue_number, second.queue_number, third.queue_number] == [
        "A001",
        "A002",
        "A003",
    ]
    assert again.queue_number == "A001"
    assert other.queue_number == "A001"
    assert first.status == AppointmentStatus.ARRIVED


def test_arrival_only_on_the_day(world):
    slot = _slot(_window(world))
    appointment = Appointment.objects.create(
        slot=slot, user=world.citizen.user, listing_code=world.listing_a, item_name="x"
    )
    with pytest.raises(CaseError) as error:
        appointments.appointment_arrive(
            user=world.citizen.user, appointment_id=appointment.pk
        )
    assert error.value.status == 409
    with pytest.raises(CaseError) as foreign:
        appointments.appointment_arrive(
            user=world.other_citizen.user, appointment_id=appointment.pk
        )
    assert foreign.value.status == 404


@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_never_exceed_capacity(world):
    """Eight people book a slot with three places at the same moment: exactly three
    get one. Needs real concurrent transactions (PostgreSQL)."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises every write transaction; run on PostgreSQL")
    from django.contrib.auth import get_user_model

    slot = _slot(_window(world), capacity=3)
    users = [
        get_user_model().objects.create_user(username=f"booker-{n}", password="x")
        for n in range(8)
    ]
    barrier = threading.Barrier(len(users))
    outcomes: list[str] = []

    def book(user) -> None:
        try:
            barrier.wait(timeout=30)
            appointments.appointment_book(
                user=user, slot_id=slot.pk, listing_code=world.listing_a
            )
            outcomes.append("booked")
        except CaseError as error:
            outcomes.append(error.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=book, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    slot.refresh_from_db()
    assert outcomes.count("booked") == 3
    assert outcomes.count("cases.slot_full") == 5
    assert slot.booked == 3
    assert Appointment.objects.filter(slot=slot).count() == 3


def test_booking_cannot_name_another_citizens_case(world):
    from .sidechannel_helpers import citizen_case

    case = citizen_case(world)
    slot = _slot(_window(world))
    with pytest.raises(CaseError) as error:
        appointments.appointment_book(
            user=world.other_citizen.user,
            slot_id=slot.pk,
            listing_code=world.listing_a,
            case_id=case.pk,
        )
    assert "case_id" in error.value.fields
    slot.refresh_from_db()
    assert slot.booked == 0
    mine = appointments.appointment_book(
        user=world.citizen.user,
        slot_id=slot.pk,
        listing_code=world.listing_a,
        case_id=case.pk,
    )
    assert mine.case_id == case.pk
