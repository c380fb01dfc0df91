"""The local payment provider: a cashier page on this server where the payer
confirms, then a signed asynchronous notification to the platform's callback URL,
retried until the platform answers ``success`` — the shape of a real acquirer's
integration, without money. Refunds are confirmed the same way.

The provider keeps no books of its own: it reads the platform's order to show the
amount (a real provider has its own order created by ``create_order``)."""

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from zhengwu.cases.models import PaymentOrder

from .sender import provider_notify, secret_for, stable_notify_id
from .signing import Verification, verify

NAME = "local_pay"


class LocalPaymentGateway:
    name = NAME
    callback_name = "local"  # /api/v1/cases/callbacks/<kind>/local

    def create_order(self, order: PaymentOrder) -> str:
        return reverse("cases_callbacks:local_pay", args=[order.order_number])

    def refund(
        self, order: PaymentOrder, *, refund_number: str, amount_fen: int
    ) -> None:
        body = {
            "kind": "refund",
            "order_number": order.order_number,
            "refund_number": refund_number,
            "amount_fen": amount_fen,
            "status": "refunded",
            "refunded_at": timezone.now().isoformat(),
        }
        _notify_after_commit(stable_notify_id(NAME, "refund", refund_number), body)

    def verify_notification(
        self, *, headers: Mapping[str, str], body: bytes
    ) -> Verification:
        return verify(secret_for(NAME), headers=headers, body=body)


def _notify_after_commit(notify_id: str, body: dict[str, Any]) -> None:
    transaction.on_commit(
        lambda: provider_notify.enqueue(provider=NAME, notify_id=notify_id, body=body)
    )


def cashier_confirm(order: PaymentOrder) -> None:
    """The payer confirmed on the cashier page: the provider notifies the platform
    (asynchronously). Confirming twice sends the same notification (same id)."""
    body = {
        "kind": "payment",
        "order_number": order.order_number,
        "trade_number": "LP" + stable_notify_id(NAME, "trade", order.order_number)[:20],
        "amount_fen": order.amount_fen,
        "status": "paid",
        "paid_at": timezone.now().isoformat(),
    }
    _notify_after_commit(stable_notify_id(NAME, "paid", order.order_number), body)
