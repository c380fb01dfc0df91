"""/api/v1/appointments/: service halls, their free time slots, booking, cancelling
and taking a queue number at arrival (预约、取号).

Halls and slots are public; booking and everything after it belong to the signed-in
user: another user's appointment does not exist (404)."""

from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from ninja import Path, Query, Router, Status

from zhengwu.core.errors import NotFoundError
from zhengwu.core.schemas import ERRORS, MAX_KEY, error_responses

from . import appointments
from .api import case_auth
from .models import Appointment, AppointmentSlot, ServiceHall
from .schemas import (
    AppointmentOut,
    AppointmentPageIn,
    AppointmentPageOut,
    BookIn,
    HallOut,
    SlotFiltersIn,
    SlotOut,
)

router = Router(tags=["appointments"])

ObjectId = Annotated[int, Path(ge=1, le=MAX_KEY)]
PUBLIC_ERRORS = error_responses(404, 422)


def _hall(hall: ServiceHall) -> dict[str, Any]:
    return {
        "id": hall.pk,
        "name": hall.name,
        "address": hall.address,
        "division_code": hall.division.code,
        "organisation": {"id": hall.organisation_id, "name": hall.organisation.name},
    }


def _slot(slot: AppointmentSlot) -> dict[str, Any]:
    return {
        "id": slot.pk,
        "window_number": slot.window.number,
        "window_name": slot.window.name,
        "date": slot.date,
        "starts_at": slot.starts_at,
        "ends_at": slot.ends_at,
        "capacity": slot.capacity,
        "available": max(0, slot.capacity - slot.booked),
    }


def _appointment(appointment: Appointment) -> dict[str, Any]:
    slot = appointment.slot
    return {
        "id": appointment.pk,
        "hall_name": slot.window.hall.name,
        "window_number": slot.window.number,
        "date": slot.date,
        "starts_at": slot.starts_at,
        "ends_at": slot.ends_at,
        "listing_code": appointment.listing_code,
        "item_name": appointment.item_name,
        "status": appointment.status,
        "status_label": str(appointment.get_status_display()),
        "queue_number": appointment.queue_number,
        "case_id": appointment.case_id,
        "arrived_at": appointment.arrived_at,
        "created_at": appointment.created_at,
    }


def _mine(request: HttpRequest) -> Any:
    return appointments.appointments_for_user(request.auth).select_related(
        "slot__window__hall"
    )


def _my_appointment(request: HttpRequest, appointment_id: int) -> Appointment:
    appointment = _mine(request).filter(pk=appointment_id).first()
    if appointment is None:
        raise NotFoundError("cases.appointment_not_found", _("预约不存在。"))
    return appointment


def _present(request: HttpRequest, appointment: Appointment) -> dict[str, Any]:
    return _appointment(_my_appointment(request, appointment.pk))


@router.get(
    "/halls",
    response={200: list[HallOut]},
    auth=None,
    summary="Service halls taking appointments",
)
def list_halls(request: HttpRequest) -> list[dict[str, Any]]:
    halls = appointments.halls_open().select_related("division", "organisation")
    return [_hall(h) for h in halls[:500]]


@router.get(
    "/slots",
    response={200: list[SlotOut], **PUBLIC_ERRORS},
    auth=None,
    summary="Time slots of a hall between two dates (at most 62 days)",
)
def list_slots(request: HttpRequest, filters: Query[SlotFiltersIn]) -> list[dict]:
    slots = appointments.slots_for(
        hall_id=filters.hall,
        date_from=filters.date_from,
        date_to=filters.date_to,
        listing_code=filters.listing_code or "",
    ).select_related("window")
    return [_slot(s) for s in slots[:2000]]


@router.post(
    "/book",
    response={201: AppointmentOut, **ERRORS},
    auth=case_auth,
    summary="Book a slot for a listing",
)
def book(request: HttpRequest, payload: BookIn) -> Status:
    appointment = appointments.appointment_book(
        user=request.auth, slot_id=payload.slot_id, listing_code=payload.listing_code
    )
    return Status(201, _present(request, appointment))


@router.get(
    "/mine",
    response={200: AppointmentPageOut, **ERRORS},
    auth=case_auth,
    summary="The caller's appointments, newest first",
)
def list_mine(request: HttpRequest, filters: Query[AppointmentPageIn]) -> dict:
    mine = _mine(request)
    if filters.after:
        mine = mine.filter(pk__lt=filters.after)
    page = list(mine.order_by("-pk")[: filters.limit + 1])
    more = len(page) > filters.limit
    page = page[: filters.limit]
    return {
        "items": [_appointment(a) for a in page],
        "next_cursor": page[-1].pk if more else None,
    }


@router.post(
    "/{int:appointment_id}/cancel",
    response={200: AppointmentOut, **ERRORS},
    auth=case_auth,
    summary="Cancel a booked appointment",
)
def cancel(request: HttpRequest, appointment_id: ObjectId) -> dict[str, Any]:
    appointment = _my_appointment(request, appointment_id)
    appointment = appointments.appointment_cancel(
        user=request.auth, appointment_id=appointment.pk
    )
    return _present(request, appointment)


@router.post(
    "/{int:appointment_id}/arrive",
    response={200: AppointmentOut, **ERRORS},
    auth=case_auth,
    summary="Arrive at the hall: take the queue number (取号)",
)
def arrive(request: HttpRequest, appointment_id: ObjectId) -> dict[str, Any]:
    appointment = _my_appointment(request, appointment_id)
    appointment = appointments.appointment_arrive(
        user=request.auth, appointment_id=appointment.pk
    )
    return _present(request, appointment)
