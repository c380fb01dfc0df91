"""The applicant's other pages around cases: the message centre (消息中心),
appointments (预约: hall → date → time, my appointments, cancel, 到场取号) and
bundles (一件事一次办: one form, then each department's case)."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from zhengwu.cases import appointments, notify, selectors, services
from zhengwu.cases.constants import CaseStatus
from zhengwu.cases.models import BundleDefinition
from zhengwu.core.errors import DomainError
from zhengwu.identity.facade import acting_for_request

from . import case_views_data as data
from .case_views import clean_submission_key, new_submission_key
from .case_views_form import fields_from_schema
from .views import is_htmx

PAGE_SIZE = 20
BOOKING_DAYS = 14


def _cursor(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) <= 18 else None


# --- messages ----------------------------------------------------------------------


@never_cache
@login_required
def message_list(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    queryset = notify.notifications_for_user(request.user, unread_only=unread_only)
    after = _cursor(request.GET.get("after"))
    if after is not None:
        queryset = queryset.filter(pk__lt=after)
    rows = list(queryset[: PAGE_SIZE + 1])
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    params = "unread=1&" if unread_only else ""
    return data.render_page(
        request,
        "portal/cases/messages.html",
        {
            "notifications": rows,
            "unread_only": unread_only,
            "unread_count": notify.notification_unread_count(request.user),
            "next_url": f"{request.path}?{params}after={rows[-1].pk}" if more else "",
        },
    )


@require_POST
@login_required
def message_read(request: HttpRequest) -> HttpResponse:
    """Mark one message read (``notification``) or all of them (``all``). htmx gets
    the message's row back; without JavaScript the page reloads."""
    if request.POST.get("all"):
        count = notify.notification_mark_all_read(user=request.user)
        messages.success(request, _("已将%(n)s条消息标为已读。") % {"n": count})
        return redirect("portal:messages")
    pk = _cursor(request.POST.get("notification"))
    if pk is None:
        raise Http404(_("消息不存在。"))
    try:
        notification = notify.notification_mark_read(
            user=request.user, notification_id=pk
        )
    except DomainError as error:
        raise Http404(_("消息不存在。")) from error
    if is_htmx(request):
        return render(
            request,
            "portal/cases/messages.html#message",
            {"notification": notification, "focus": True},
        )
    return redirect(f"{reverse('portal:messages')}#message-{notification.pk}")


# --- appointments -----------------------------------------------------------------


def _parse_date(value: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value or "")
    except ValueError:
        return None


def _booking_context(request: HttpRequest) -> dict[str, Any]:
    """Hall → date → time, each step chosen by a GET parameter checked against what
    exists (anything else is ignored, not an error)."""
    source = request.POST if request.method == "POST" else request.GET
    code = (source.get("listing") or "").strip().upper()[:31]
    listing = data.listing_for_application(code) if code else None
    halls = list(appointments.halls_open().select_related("division")[:200])
    hall_id = _cursor(source.get("hall"))
    hall = next((h for h in halls if h.pk == hall_id), None)
    today = timezone.localdate()
    last = today + datetime.timedelta(days=BOOKING_DAYS)
    slots: list[Any] = []
    dates: list[tuple[datetime.date, int]] = []
    day = _parse_date(source.get("date"))
    if hall is not None and listing is not None:
        all_slots = list(
            appointments.slots_for(
                hall_id=hall.pk,
                date_from=today,
                date_to=last,
                listing_code=listing.code,
            ).select_related("window")[:2000]
        )
        by_day: dict[datetime.date, int] = {}
        for slot in all_slots:
            by_day[slot.date] = by_day.get(slot.date, 0) + max(
                0, slot.capacity - slot.booked
            )
        dates = sorted(by_day.items())
        if day not in by_day:
            day = None
        if day is not None:
            slots = [
                {
                    "pk": s.pk,
                    "window": s.window,
                    "starts_at": s.starts_at,
                    "ends_at": s.ends_at,
                    "remaining": max(0, s.capacity - s.booked),
                }
                for s in all_slots
                if s.date == day
            ]
    else:
        day = None
    return {
        "listing": listing,
        "listing_code": code,
        "halls": halls,
        "hall": hall,
        "dates": dates,
        "day": day,
        "slots": slots,
        "booking_errors": [],
    }


@never_cache
@login_required
def appointments_page(request: HttpRequest) -> HttpResponse:
    mine = list(
        appointments.appointments_for_user(request.user)
        .select_related("slot__window__hall")
        .order_by("-pk")[:50]
    )
    return data.render_page(
        request,
        "portal/cases/appointments.html",
        {"appointments": mine, "today": timezone.localdate()},
    )


@never_cache
@login_required
def appointment_book(request: HttpRequest) -> HttpResponse:
    context = _booking_context(request)
    status = 200
    if request.method == "POST":
        slot_id = _cursor(request.POST.get("slot"))
        if context["listing"] is None:
            context["booking_errors"] = [_("请从事项页面进入预约。")]
        elif slot_id is None or slot_id not in {s["pk"] for s in context["slots"]}:
            context["booking_errors"] = [_("请选择一个可预约的时段。")]
        else:
            try:
                appointment = appointments.appointment_book(
                    user=request.user,
                    slot_id=slot_id,
                    listing_code=context["listing"].code,
                )
            except DomainError as error:
                context["booking_errors"] = [error.message]
            else:
                messages.success(
                    request,
                    _("预约成功：%(date)s %(time)s，%(hall)s。请按时到场取号。")
                    % {
                        "date": appointment.slot.date.isoformat(),
                        "time": appointment.slot.starts_at.strftime("%H:%M"),
                        "hall": appointment.slot.window.hall.name,
                    },
                )
                return redirect("portal:appointments")
        status = 400
    if is_htmx(request) and request.method == "GET":
        return render(request, "portal/cases/appointment_book.html#booking", context)
    return data.render_page(
        request, "portal/cases/appointment_book.html", context, status=status
    )


def _my_appointment(request: HttpRequest, pk: int) -> Any:
    appointment = appointments.appointments_for_user(request.user).filter(pk=pk).first()
    if appointment is None:
        raise Http404(_("预约不存在。"))
    return appointment


@require_POST
@login_required
def appointment_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _my_appointment(request, pk)
    try:
        appointments.appointment_cancel(
            user=request.user, appointment_id=appointment.pk
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("预约已取消。"))
    return redirect("portal:appointments")


@require_POST
@login_required
def appointment_arrive(request: HttpRequest, pk: int) -> HttpResponse:
    """到场取号: the queue number of a booked appointment, on the day."""
    appointment = _my_appointment(request, pk)
    try:
        appointment = appointments.appointment_arrive(
            user=request.user, appointment_id=appointment.pk
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("取号成功，您的排队号是 %(number)s，请留意窗口叫号。")
            % {"number": appointment.queue_number},
        )
    return redirect(f"{reverse('portal:appointments')}#appointment-{appointment.pk}")


# --- bundles (一件事一次办) ----------------------------------------------------------


@never_cache
@login_required
def bundle_apply(request: HttpRequest, code: str) -> HttpResponse:
    definition = BundleDefinition.objects.filter(code=code, is_active=True).first()
    if definition is None:
        raise Http404(_("没有这个“一件事”。"))
    acting = acting_for_request(request)
    schema = definition.form_schema or {}
    if not schema.get("properties"):
        schema = data.case_forms.default_schema()
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    key = new_submission_key()
    status = 200
    listings = [
        listing
        for listing in (
            data.listing_for_application(c) for c in definition.listing_codes
        )
        if listing is not None
    ]
    if request.method == "POST":
        key = clean_submission_key(request.POST.get("submission_key"))
        values = data.data_from_post(schema, request.POST)
        errors = data.validate(schema, values, partial=False)
        if not errors:
            try:
                bundle = services.bundle_apply(
                    user=request.user,
                    acting=acting,
                    bundle_code=definition.code,
                    form_data=values,
                    submission_key=key,
                    materials=_bundle_uploads(request, listings),
                )
            except DomainError as error:
                errors = data.field_errors(error)
                errors.pop("materials", None)
                errors.setdefault("__all__", [error.message])
            else:
                messages.success(
                    request,
                    _("“%(name)s”已提交，编号：%(number)s。各部门将并联办理。")
                    % {"name": definition.name, "number": bundle.number},
                )
                return redirect("portal:bundle", pk=bundle.pk)
        general = errors.pop("__all__", [])
        if request.FILES:
            general.append(_("出于安全原因，已选择的文件需要重新选择。"))
        prefilled = data.prefilled_names(request.user, acting, "", schema, values)
        status = 400
    else:
        values, prefilled = data.prefill(
            request.user, acting, _BundleListing(""), schema
        )
    fields = fields_from_schema(schema, values, errors=errors, prefilled=prefilled)
    return data.render_page(
        request,
        "portal/cases/bundle_apply.html",
        {
            "definition": definition,
            "listings": [
                {
                    "listing": listing,
                    "index": index,
                    "materials": [
                        (f"bm-{index}-{m_index}", material)
                        for m_index, material in enumerate(listing.guide.materials)
                    ],
                }
                for index, listing in enumerate(listings)
            ],
            "fields": fields,
            "submission_key": key,
            "general_errors": general,
            "error_links": [(f.html_id, f.label, f.errors) for f in fields if f.errors],
            "acting": acting,
        },
        status=status,
    )


def _bundle_uploads(
    request: HttpRequest, listings: list[Any]
) -> dict[str, list[dict[str, Any]]]:
    """Uploads per listing code, from the fields ``bm-<listing>-<material>``."""
    result: dict[str, list[dict[str, Any]]] = {}
    for index, listing in enumerate(listings):
        for m_index, material in enumerate(listing.guide.materials):
            upload = request.FILES.get(f"bm-{index}-{m_index}")
            if upload is None or not upload.size:
                continue
            result.setdefault(listing.code, []).append(
                {
                    "material_name": material.name,
                    "filename": upload.name[:200],
                    "content": data.read_upload(upload),
                }
            )
    return result


class _BundleListing:
    """Prefill looks up earlier submissions by listing code; a bundle has none."""

    def __init__(self, code: str) -> None:
        self.code = code


@never_cache
@login_required
def bundle_detail(request: HttpRequest, pk: int) -> HttpResponse:
    acting = acting_for_request(request)
    cases = list(
        selectors.own_cases(request.user, acting=acting)
        .filter(bundle_id=pk)
        .select_related("organisation", "bundle__definition")
        .order_by("pk")
    )
    if not cases:
        raise Http404(_("没有这个申请。"))
    bundle = cases[0].bundle
    return data.render_page(
        request,
        "portal/cases/bundle.html",
        {
            "bundle": bundle,
            "cases": cases,
            "result": selectors.bundle_result(bundle),
            "open_statuses": {CaseStatus.SUBMITTED, CaseStatus.SUPPLEMENT_REQUESTED},
        },
    )
