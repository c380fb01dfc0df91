"""The local express provider: an order gets a tracking number at once; the courier
console (``/local-express/<tracking>/``) moves the parcel and the provider sends a
signed status notification for each step, retried until the platform answers
``success``."""

from collections.abc import Mapping

from django.db import transaction
from django.utils import timezone

from zhengwu.cases.models import Shipment

from .sender import provider_notify, secret_for, stable_notify_id
from .signing import Verification, verify

NAME = "local_express"

DESCRIPTIONS = {
    "collected": "快递员已揽收",
    "in_transit": "运输中",
    "delivered": "已签收",
    "failed": "投递失败",
}


class LocalExpressGateway:
    name = NAME
    callback_name = "local"  # /api/v1/cases/callbacks/<kind>/local

    def create_order(self, shipment: Shipment) -> str:
        digits = int(stable_notify_id(NAME, "waybill", shipment.order_number), 16)
        return f"ZWEX{digits % 10**12:012d}"

    def verify_notification(
        self, *, headers: Mapping[str, str], body: bytes
    ) -> Verification:
        return verify(secret_for(NAME), headers=headers, body=body)


def courier_update(shipment: Shipment, *, status: str) -> None:
    """The courier reports ``status``; the provider notifies the platform after
    commit. Reporting the same status twice sends the same notification id."""
    body = {
        "kind": "shipment",
        "tracking_number": shipment.tracking_number,
        "status": status,
        "description": DESCRIPTIONS.get(status, status),
        "occurred_at": timezone.now().isoformat(),
    }
    notify_id = stable_notify_id(NAME, shipment.tracking_number, status)
    transaction.on_commit(
        lambda: provider_notify.enqueue(provider=NAME, notify_id=notify_id, body=body)
    )
