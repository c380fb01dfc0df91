"""Delivery of a case's result: by express through a logistics adapter (order,
tracking number, signed status callbacks appended to the shipment's events) or
picked up at the counter.

A provider implements :class:`ExpressGateway`; ZHENGWU_EXPRESS_BACKEND names it."""

import re
import secrets
from collections.abc import Mapping
from functools import cache
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

import structlog

from zhengwu.core import audit

from .constants import FINISHED_STATUSES, CaseStatus, ResultDelivery, ShipmentStatus
from .errors import CaseError
from .models import Case, Shipment
from .notify import case_notify
from .payments import CallbackAnswer, provider_callback_receive
from .providers.signing import Verification
from .staff_rights import staff_handles_case

logger = structlog.get_logger(__name__)

DELIVERY_INVALID = "cases.delivery_invalid"
DELIVERY_NOT_FOUND = "cases.delivery_not_found"
MOBILE = re.compile(r"^1[3-9]\d{9}$")

# Forward order of a parcel's states; FAILED can follow any state but DELIVERED.
_RANK = {
    ShipmentStatus.ORDERED: 0,
    ShipmentStatus.COLLECTED: 1,
    ShipmentStatus.IN_TRANSIT: 2,
    ShipmentStatus.DELIVERED: 3,
    ShipmentStatus.FAILED: 3,
}


class ExpressGateway(Protocol):
    name: str

    def create_order(self, shipment: Shipment) -> str:
        """Book the pick-up; return the tracking number."""
        ...

    def verify_notification(
        self, *, headers: Mapping[str, str], body: bytes
    ) -> Verification: ...


def express_gateway() -> ExpressGateway:
    return _gateway(settings.ZHENGWU_EXPRESS_BACKEND)


@cache
def _gateway(path: str) -> ExpressGateway:
    return import_string(path)()


def _invalid(field: str, message: str) -> CaseError:
    return CaseError(DELIVERY_INVALID, message, fields={field: [message]}, status=422)


def _locked_case(case_id: int, acting_user: Any) -> Case:
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("division", "organisation", "applicant")
        .filter(pk=case_id)
        .first()
    )
    if case is None or not staff_handles_case(acting_user, case):
        raise CaseError(DELIVERY_NOT_FOUND, _("办件不存在。"), status=404)
    if case.status not in FINISHED_STATUSES:
        raise CaseError(
            DELIVERY_INVALID, _("办件尚未办结，没有可送达的结果。"), status=409
        )
    return case


def _recipient(name: str, mobile: str, address: str) -> tuple[str, str, str]:
    name = (name or "").strip()
    mobile = re.sub(r"[\s-]", "", mobile or "")
    address = (address or "").strip()
    if not name or len(name) > 50:
        raise _invalid("recipient_name", _("请填写收件人姓名（最多50个字符）。"))
    if not MOBILE.match(mobile):
        raise _invalid("recipient_mobile", _("请填写11位手机号码。"))
    if len(address) < 5 or len(address) > 200:
        raise _invalid("address", _("请填写详细收件地址（5至200个字符）。"))
    return name, mobile, address


def _pending_shipment(case: Case) -> Shipment | None:
    """The applicant's express address, not yet handed to the provider."""
    return (
        Shipment.objects.select_for_update()
        .filter(case=case, tracking_number="")
        .order_by("pk")
        .first()
    )


def _new_shipment(case: Case, name: str, mobile: str, address: str) -> Shipment:
    return Shipment(
        case=case,
        provider=express_gateway().name,
        order_number=f"EX{timezone.localdate():%Y%m%d}{secrets.token_hex(8).upper()}",
        recipient_name=name,
        recipient_mobile=mobile,
        address=address,
        status=ShipmentStatus.ORDERED,
    )


def _book(shipment: Shipment, acting_user: Any) -> Shipment:
    """Hand the shipment to the provider: tracking number, first track event."""
    case = shipment.case
    provider = express_gateway()
    shipment.provider = provider.name
    shipment.tracking_number = provider.create_order(shipment)[:40]
    shipment.events = [
        {
            "status": ShipmentStatus.ORDERED,
            "at": timezone.now().isoformat(),
            "description": str(_("已下单，等待揽收")),
        }
    ]
    shipment.save()
    audit.record(
        acting_user=acting_user,
        actor_label="system:delivery",
        event="cases.shipment_ordered",
        target=case,
        data={
            "order_number": shipment.order_number,
            "tracking_number": shipment.tracking_number,
            "provider": provider.name,
        },
    )
    case_notify(
        case=case,
        event="shipment_updated",
        extra=_("运单号：%(number)s。") % {"number": shipment.tracking_number},
    )
    return shipment


@transaction.atomic
def delivery_choose(
    *,
    user: Any,
    acting: Any = None,
    case_id: int,
    method: str,
    recipient_name: str = "",
    recipient_mobile: str = "",
    address: str = "",
) -> Case:
    """The applicant side chooses how to receive the result: online download,
    pick-up at the counter, or express (recipient and address, stored encrypted).
    An express choice on a finished case is booked at once; otherwise when staff
    dispatch the result. Refused once a parcel is on its way."""
    from .selectors import own_cases

    case = (
        own_cases(user, acting=acting)
        .select_for_update(of=("self",))
        .select_related("division", "organisation", "applicant")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise CaseError(DELIVERY_NOT_FOUND, _("办件不存在。"), status=404)
    if method not in ResultDelivery.values:
        raise _invalid("method", _("请选择结果送达方式。"))
    if case.status in (CaseStatus.DRAFT, CaseStatus.WITHDRAWN):
        raise CaseError(DELIVERY_INVALID, _("该办件当前不能选择送达方式。"), status=409)
    if Shipment.objects.filter(case=case).exclude(tracking_number="").exists():
        raise CaseError(
            DELIVERY_INVALID, _("结果已交寄，不能更改送达方式。"), status=409
        )
    pending = _pending_shipment(case)
    if method == ResultDelivery.EXPRESS:
        name, mobile, place = _recipient(recipient_name, recipient_mobile, address)
        shipment = pending or _new_shipment(case, name, mobile, place)
        shipment.recipient_name = name
        shipment.recipient_mobile = mobile
        shipment.address = place
        shipment.save()
        if case.status in FINISHED_STATUSES:
            _book(shipment, None)
    elif pending is not None:
        pending.delete()
    case.result_delivery = method
    case.save(update_fields=["result_delivery", "updated_at"])
    audit.record(
        acting_user=user,
        event="cases.delivery_chosen",
        target=case,
        data={"method": method},
    )
    return case


@transaction.atomic
def shipment_create(
    *,
    case_id: int,
    acting_user: Any,
    recipient_name: str = "",
    recipient_mobile: str = "",
    address: str = "",
) -> Shipment:
    """Staff send the result by express: to the applicant's chosen address (when
    the recipient is left empty) or to the one given; the provider books it and
    returns the tracking number."""
    case = _locked_case(case_id, acting_user)
    pending = _pending_shipment(case)
    if pending is not None and not (recipient_name or recipient_mobile or address):
        return _book(pending, acting_user)
    name, mobile, place = _recipient(recipient_name, recipient_mobile, address)
    shipment = pending or _new_shipment(case, name, mobile, place)
    shipment.recipient_name, shipment.recipient_mobile = name, mobile
    shipment.address = place
    return _book(shipment, acting_user)


def shipment_dispatch_pending(*, case: Case) -> Shipment | None:
    """At the result (called in the decision's transaction): book the express
    parcel the applicant asked for, if any."""
    pending = _pending_shipment(case)
    if pending is None:
        return None
    return _book(pending, None)


@transaction.atomic
def result_pickup(*, case_id: int, acting_user: Any, picked_up_by: str) -> Case:
    """The applicant (or an agent) collected the result at the counter."""
    case = _locked_case(case_id, acting_user)
    who = (picked_up_by or "").strip()
    if not who or len(who) > 50:
        raise _invalid("picked_up_by", _("请填写领取人姓名（最多50个字符）。"))
    audit.record(
        acting_user=acting_user,
        event="cases.result_picked_up",
        target=case,
        data={"picked_up_by": who},
    )
    return case


def shipments_for_case(case: Case) -> list[Shipment]:
    """The case's shipments; callers have already checked the case is visible."""
    return list(Shipment.objects.filter(case=case).order_by("pk"))


def _apply_shipment(data: dict[str, Any], provider_name: str, notify_id: str) -> str:
    if data.get("kind") != "shipment":
        return "malformed"
    tracking = str(data.get("tracking_number", ""))[:40]
    status = data.get("status")
    if not tracking or not isinstance(status, str) or status not in _RANK:
        return "malformed"
    shipment = (
        Shipment.objects.select_for_update(of=("self",))
        .select_related("case")
        .filter(tracking_number=tracking, provider=provider_name)
        .first()
    )
    if shipment is None:
        return "unknown_shipment"
    event = {
        "status": status,
        "at": str(data.get("occurred_at", ""))[:40] or timezone.now().isoformat(),
        "description": str(data.get("description", ""))[:200],
        "notify_id": notify_id,
    }
    shipment.events = [*shipment.events, event]
    moves = (
        shipment.status != ShipmentStatus.DELIVERED
        and _RANK[status] > _RANK[shipment.status]
    ) or (
        status == ShipmentStatus.FAILED
        and shipment.status not in (ShipmentStatus.DELIVERED, ShipmentStatus.FAILED)
    )
    if moves:
        shipment.status = status
    shipment.save(update_fields=["events", "status", "updated_at"])
    if not moves:
        return "shipment_recorded"  # late or repeated step: kept in the track only
    case = shipment.case
    audit.record(
        acting_user=None,
        actor_label=f"provider:{provider_name}",
        event="cases.shipment_updated",
        target=case,
        data={"tracking_number": tracking, "status": status, "notify_id": notify_id},
    )
    case_notify(
        case=case,
        event="shipment_updated",
        extra=_("运单号：%(number)s，%(status)s。")
        % {"number": tracking, "status": ShipmentStatus(status).label},
    )
    from .webhooks import webhook_case_event

    webhook_case_event(case=case, event="shipment_updated")
    return "shipment_updated"


def express_notification_receive(
    *,
    provider_name: str,
    headers: Mapping[str, str],
    body: bytes,
    source_ip: str | None = None,
) -> CallbackAnswer:
    provider = express_gateway()
    if provider_name not in (provider.name, getattr(provider, "callback_name", "")):
        return CallbackAnswer(404, "fail", "unknown_provider")
    provider_name = provider.name
    return provider_callback_receive(
        provider_name=provider_name,
        kind="shipment",
        verification=provider.verify_notification(headers=headers, body=body),
        body=body,
        source_ip=source_ip,
        apply=_apply_shipment,
    )
