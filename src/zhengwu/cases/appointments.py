"""Appointments (预约): service halls and their windows, time slots on working days
(from the platform's calendar), booking within capacity, cancelling, reminders the
day before, and a queue number (取号) when the applicant arrives.

Capacity holds under concurrency by a conditional UPDATE (``booked < capacity``)
in the booking transaction, backed by the CHECK constraint on the slot; one booking
per user per slot is a partial unique constraint."""

import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

import structlog

from zhengwu.catalog.facade import listing_for_application
from zhengwu.core import audit
from zhengwu.core.calendar import CalendarYearUnknownError, WorkingCalendar
from zhengwu.core.models import Division, Organisation

from .constants import AppointmentStatus
from .errors import CaseError
from .models import Appointment, AppointmentSlot, ServiceHall, ServiceWindow
from .notify import user_notify
from .staff_rights import staff_handles

logger = structlog.get_logger(__name__)

APPOINTMENT_INVALID = "cases.appointment_invalid"
APPOINTMENT_NOT_FOUND = "cases.appointment_not_found"
SLOT_FULL = "cases.slot_full"
SLOT_NOT_FOUND = "cases.slot_not_found"
HALL_NOT_FOUND = "cases.hall_not_found"
MAX_RANGE_DAYS = 62
DEFAULT_TIMES = (
    (datetime.time(9, 0), datetime.time(10, 0)),
    (datetime.time(10, 0), datetime.time(11, 0)),
    (datetime.time(11, 0), datetime.time(12, 0)),
    (datetime.time(13, 30), datetime.time(14, 30)),
    (datetime.time(14, 30), datetime.time(15, 30)),
    (datetime.time(15, 30), datetime.time(16, 30)),
)


def _invalid(field: str, message: str, *, status: int = 422) -> CaseError:
    return CaseError(
        APPOINTMENT_INVALID, message, fields={field: [message]}, status=status
    )


def _slot_start(slot: AppointmentSlot) -> datetime.datetime:
    return timezone.make_aware(
        datetime.datetime.combine(slot.date, slot.starts_at),
        timezone.get_current_timezone(),
    )


# --- halls, windows, slots (staff of the hall's organisation) ----------------------


def _check_hall_rights(user: Any, organisation_id: int, division_code: str) -> None:
    if not staff_handles(
        user, organisation_id=organisation_id, division_code=division_code
    ):
        raise CaseError(HALL_NOT_FOUND, _("无权管理该服务大厅。"), status=403)


@transaction.atomic
def hall_save(
    *,
    acting_user: Any,
    organisation_id: int,
    division_id: int,
    name: str,
    address: str,
    hall_id: int | None = None,
    is_active: bool = True,
) -> ServiceHall:
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    division = Division.objects.filter(pk=division_id).first()
    if organisation is None:
        raise _invalid("organisation_id", _("部门不存在。"))
    if division is None:
        raise _invalid("division_id", _("区划不存在。"))
    _check_hall_rights(acting_user, organisation.pk, division.code)
    name, address = (name or "").strip(), (address or "").strip()
    if not name or len(name) > 100:
        raise _invalid("name", _("请填写大厅名称（最多100个字符）。"))
    if not address or len(address) > 200:
        raise _invalid("address", _("请填写地址（最多200个字符）。"))
    hall = (
        ServiceHall.objects.select_for_update().filter(pk=hall_id).first()
        if hall_id
        else ServiceHall()
    )
    if hall is None:
        raise CaseError(HALL_NOT_FOUND, _("服务大厅不存在。"), status=404)
    hall.organisation, hall.division = organisation, division
    hall.name, hall.address, hall.is_active = name, address, is_active
    hall.save()
    audit.record(
        acting_user=acting_user,
        event="cases.hall_saved",
        target=hall,
        data={"name": name, "organisation_id": organisation.pk},
    )
    return hall


def _hall_for_staff(user: Any, hall_id: int) -> ServiceHall:
    hall = ServiceHall.objects.select_related("division").filter(pk=hall_id).first()
    if hall is None:
        raise CaseError(HALL_NOT_FOUND, _("服务大厅不存在。"), status=404)
    _check_hall_rights(user, hall.organisation_id, hall.division.code)
    return hall


@transaction.atomic
def window_save(
    *,
    acting_user: Any,
    hall_id: int,
    number: str,
    name: str,
    listing_codes: list[str] | None = None,
) -> ServiceWindow:
    """Create or update the hall's window ``number``; ``listing_codes`` empty = the
    window takes every item."""
    hall = _hall_for_staff(acting_user, hall_id)
    number, name = (number or "").strip(), (name or "").strip()
    if not number or len(number) > 10:
        raise _invalid("number", _("请填写窗口号（最多10个字符）。"))
    if not name or len(name) > 100:
        raise _invalid("name", _("请填写窗口名称（最多100个字符）。"))
    codes = [
        str(code).strip()[:31] for code in listing_codes or [] if str(code).strip()
    ]
    window, _created = ServiceWindow.objects.update_or_create(
        hall=hall, number=number, defaults={"name": name, "listing_codes": codes}
    )
    audit.record(
        acting_user=acting_user,
        event="cases.window_saved",
        target=window,
        data={"hall_id": hall.pk, "number": number, "listing_codes": codes},
    )
    return window


@transaction.atomic
def slots_generate(
    *,
    acting_user: Any,
    window_id: int,
    date_from: datetime.date,
    date_to: datetime.date,
    capacity: int,
    times: tuple[tuple[datetime.time, datetime.time], ...] = DEFAULT_TIMES,
) -> int:
    """Slots of ``times`` on every working day from ``date_from`` to ``date_to``
    (the platform's calendar: holidays skipped, adjusted working days included).
    A year not entered in the calendar is refused, never guessed. Existing slots
    are kept; returns how many were created."""
    window = (
        ServiceWindow.objects.select_related("hall__division")
        .filter(pk=window_id)
        .first()
    )
    if window is None:
        raise CaseError(SLOT_NOT_FOUND, _("窗口不存在。"), status=404)
    _check_hall_rights(
        acting_user, window.hall.organisation_id, window.hall.division.code
    )
    if date_to < date_from or (date_to - date_from).days > MAX_RANGE_DAYS:
        raise _invalid("date_to", _("结束日期须不早于开始日期，且跨度不超过62天。"))
    if not 1 <= capacity <= 500:
        raise _invalid("capacity", _("每个时段可预约数须在1至500之间。"))
    calendar = WorkingCalendar()
    slots = []
    day = date_from
    while day <= date_to:
        try:
            working = calendar.is_working_day(day)
        except CalendarYearUnknownError as error:
            raise _invalid(
                "date_to",
                _("%(year)s年的节假日安排尚未录入，不能生成该年的预约时段。")
                % {"year": day.year},
            ) from error
        if working:
            slots.extend(
                AppointmentSlot(
                    window=window,
                    date=day,
                    starts_at=start,
                    ends_at=end,
                    capacity=capacity,
                )
                for start, end in times
            )
        day += datetime.timedelta(days=1)
    before = AppointmentSlot.objects.filter(window=window).count()
    AppointmentSlot.objects.bulk_create(slots, ignore_conflicts=True)
    created = AppointmentSlot.objects.filter(window=window).count() - before
    audit.record(
        acting_user=acting_user,
        event="cases.slots_generated",
        target=window,
        data={
            "date_from": date_from.isoformat(),
            "date_to": date_to.isoformat(),
            "capacity": capacity,
            "created": created,
        },
    )
    return created


# --- reads ------------------------------------------------------------------------


def halls_open() -> QuerySet[ServiceHall]:
    return ServiceHall.objects.filter(is_active=True).order_by("division_id", "name")


def slots_for(
    *,
    hall_id: int,
    date_from: datetime.date,
    date_to: datetime.date,
    listing_code: str = "",
) -> QuerySet[AppointmentSlot]:
    """Slots of an open hall's windows in the date range (at most 62 days), only
    windows taking ``listing_code`` when given. Full slots are included (the page
    shows them as full)."""
    if date_to < date_from or (date_to - date_from).days > MAX_RANGE_DAYS:
        raise _invalid("date_to", _("日期范围须在62天以内，且结束日期不早于开始日期。"))
    windows = ServiceWindow.objects.filter(hall_id=hall_id, hall__is_active=True)
    window_ids = [
        window.pk
        for window in windows
        if not listing_code
        or not window.listing_codes
        or listing_code in window.listing_codes
    ]
    return AppointmentSlot.objects.filter(
        window_id__in=window_ids, date__range=(date_from, date_to)
    ).order_by("date", "starts_at", "window_id")


def appointments_for_user(user: Any) -> QuerySet[Appointment]:
    """The user's own appointments."""
    if user is None or not user.is_authenticated:
        return Appointment.objects.none()
    return Appointment.objects.filter(user=user).order_by("-pk")


# --- booking -----------------------------------------------------------------------


@transaction.atomic
def appointment_book(
    *, user: Any, slot_id: int, listing_code: str, case_id: int | None = None
) -> Appointment:
    """Book one place in a slot for an item: refused when the slot has started, is
    full, its window does not take the item, or the user already holds a booking
    in it."""
    if user is None or not user.is_authenticated:
        raise CaseError(APPOINTMENT_NOT_FOUND, _("请先登录。"), status=401)
    slot = (
        AppointmentSlot.objects.select_related("window__hall")
        .filter(pk=slot_id, window__hall__is_active=True)
        .first()
    )
    if slot is None:
        raise CaseError(SLOT_NOT_FOUND, _("预约时段不存在。"), status=404)
    listing = listing_for_application(str(listing_code or "")[:31])
    if listing is None:
        raise _invalid("listing_code", _("该事项不存在或暂不可预约。"))
    if slot.window.listing_codes and listing.code not in slot.window.listing_codes:
        raise _invalid("slot_id", _("该窗口不办理此事项，请选择其他时段。"))
    if case_id is not None:
        from .selectors import own_cases

        if not own_cases(user).filter(pk=case_id).exists():
            raise _invalid("case_id", _("办件不存在。"))
    if _slot_start(slot) <= timezone.now():
        raise _invalid("slot_id", _("该时段已开始或已过，请选择其他时段。"), status=409)
    if Appointment.objects.filter(
        slot=slot, user=user, status=AppointmentStatus.BOOKED
    ).exists():
        raise _invalid("slot_id", _("您已预约该时段。"), status=409)
    # The place is taken by the UPDATE itself: concurrent bookers of the last place
    # queue on the row and the loser's WHERE no longer matches.
    taken = AppointmentSlot.objects.filter(pk=slot.pk, booked__lt=F("capacity")).update(
        booked=F("booked") + 1, updated_at=timezone.now()
    )
    if not taken:
        raise CaseError(
            SLOT_FULL,
            _("该时段已约满，请选择其他时段。"),
            fields={"slot_id": [_("该时段已约满，请选择其他时段。")]},
            status=409,
        )
    appointment = Appointment(
        slot=slot,
        user=user,
        listing_code=listing.code,
        item_name=listing.item_name,
        case_id=case_id,
    )
    try:
        with transaction.atomic():
            appointment.save(force_insert=True)
    except IntegrityError as error:
        # A concurrent booking of the same user in the same slot won.
        raise _invalid("slot_id", _("您已预约该时段。"), status=409) from error
    audit.record(
        acting_user=user,
        event="cases.appointment_booked",
        target=appointment,
        data={
            "slot_id": slot.pk,
            "date": slot.date.isoformat(),
            "starts_at": slot.starts_at.isoformat(),
            "listing_code": listing.code,
        },
    )
    return appointment


def _own_locked(user: Any, appointment_id: int) -> Appointment:
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("slot__window__hall__division")
        .filter(pk=appointment_id)
        .first()
    )
    if appointment is None:
        raise CaseError(APPOINTMENT_NOT_FOUND, _("预约不存在。"), status=404)
    hall = appointment.slot.window.hall
    if appointment.user_id != getattr(user, "pk", None) and not staff_handles(
        user, organisation_id=hall.organisation_id, division_code=hall.division.code
    ):
        raise CaseError(APPOINTMENT_NOT_FOUND, _("预约不存在。"), status=404)
    return appointment


@transaction.atomic
def appointment_cancel(*, user: Any, appointment_id: int) -> Appointment:
    """Cancel a booking before its slot starts; the place is free again."""
    appointment = _own_locked(user, appointment_id)
    if appointment.status != AppointmentStatus.BOOKED:
        raise _invalid("appointment", _("该预约已取消或已取号，不能取消。"), status=409)
    if _slot_start(appointment.slot) <= timezone.now():
        raise _invalid("appointment", _("预约时段已开始，不能取消。"), status=409)
    appointment.status = AppointmentStatus.CANCELLED
    appointment.save(update_fields=["status", "updated_at"])
    AppointmentSlot.objects.filter(pk=appointment.slot_id, booked__gt=0).update(
        booked=F("booked") - 1, updated_at=timezone.now()
    )
    audit.record(
        acting_user=user,
        event="cases.appointment_cancelled",
        target=appointment,
        data={"slot_id": appointment.slot_id},
    )
    return appointment


@transaction.atomic
def appointment_arrive(*, user: Any, appointment_id: int) -> Appointment:
    """The applicant checks in at the hall on the day (or the hall's staff check
    them in): a queue number, ``A001`` …, unique per hall per day, in arrival order."""
    appointment = _own_locked(user, appointment_id)
    if appointment.status == AppointmentStatus.ARRIVED:
        return appointment
    if appointment.status != AppointmentStatus.BOOKED:
        raise _invalid("appointment", _("该预约已取消，不能取号。"), status=409)
    slot = appointment.slot
    if slot.date != timezone.localdate():
        raise _invalid("appointment", _("只能在预约当天到大厅取号。"), status=409)
    hall = slot.window.hall
    # The hall row lock serialises the numbering of one hall's day.
    ServiceHall.objects.select_for_update().filter(pk=hall.pk).first()
    issued = Appointment.objects.filter(
        slot__window__hall=hall,
        slot__date=slot.date,
        status=AppointmentStatus.ARRIVED,
    ).count()
    appointment.queue_number = f"A{issued + 1:03d}"
    appointment.status = AppointmentStatus.ARRIVED
    appointment.arrived_at = timezone.now()
    appointment.save(
        update_fields=["queue_number", "status", "arrived_at", "updated_at"]
    )
    audit.record(
        acting_user=user,
        event="cases.appointment_arrived",
        target=appointment,
        data={"queue_number": appointment.queue_number, "hall_id": hall.pk},
    )
    return appointment


# --- reminders (scheduled) ---------------------------------------------------------


def appointment_reminders_send(*, today: datetime.date | None = None) -> int:
    """Remind everyone booked for tomorrow, once: the row lock and
    ``reminder_sent_at`` make a second run (or two schedulers) send nothing new."""
    tomorrow = (today or timezone.localdate()) + datetime.timedelta(days=1)
    ids = list(
        Appointment.objects.filter(
            status=AppointmentStatus.BOOKED,
            slot__date=tomorrow,
            reminder_sent_at__isnull=True,
        ).values_list("pk", flat=True)
    )
    sent = 0
    for appointment_id in ids:
        with transaction.atomic():
            appointment = (
                Appointment.objects.select_for_update(of=("self",))
                .select_related("slot__window__hall", "user", "case")
                .filter(pk=appointment_id, reminder_sent_at__isnull=True)
                .first()
            )
            if appointment is None or appointment.status != AppointmentStatus.BOOKED:
                continue
            slot = appointment.slot
            hall = slot.window.hall
            body = _(
                "您预约的“%(item)s”将于%(date)s %(start)s在%(hall)s%(window)s号窗口办理，"
                "地址：%(address)s。请携带有效证件按时到达，到场后取号。"
            ) % {
                "item": appointment.item_name,
                "date": f"{slot.date.month}月{slot.date.day}日",
                "start": slot.starts_at.strftime("%H:%M"),
                "hall": hall.name,
                "window": slot.window.number,
                "address": hall.address,
            }
            mobile = appointment.case.contact_mobile if appointment.case else ""
            user_notify(
                recipient=appointment.user,
                case=appointment.case,
                event="appointment_reminder",
                reference=f"appointment:{appointment.pk}:reminder",
                title=_("预约提醒"),
                body=body,
                mobile=mobile or _profile_mobile(appointment.user),
            )
            appointment.reminder_sent_at = timezone.now()
            appointment.save(update_fields=["reminder_sent_at", "updated_at"])
            audit.record(
                acting_user=None,
                actor_label="system:appointments",
                event="cases.appointment_reminded",
                target=appointment,
                data={"date": slot.date.isoformat()},
            )
            sent += 1
    logger.info("appointment_reminders_sent", count=sent, date=tomorrow.isoformat())
    return sent


def _profile_mobile(user: Any) -> str:
    from zhengwu.identity.facade import applicant_profile, person_label_for_user

    label = person_label_for_user(user)
    profile = applicant_profile(user, label) if label else None
    return profile.mobile if profile is not None else ""
