"""Fees of a case: payment orders from the guide's fee items, paid through a
payment adapter, confirmed only by the provider's signed asynchronous notification
(verified, idempotent by notify id), refunds.

A provider implements :class:`PaymentGateway`; the setting ZHENGWU_PAYMENT_BACKEND
names it. The local provider (``providers.payment_local``) serves a cashier page and
notifies like a real one."""

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

import structlog

from zhengwu.core import audit

from .constants import PaymentStatus
from .errors import CaseError
from .models import Case, HandlingConfig, PaymentOrder, ProviderCallback
from .notify import case_notify
from .providers.signing import Verification
from .staff_rights import staff_handles_case

logger = structlog.get_logger(__name__)

PAYMENT_NOT_FOUND = "cases.payment_not_found"
REFUND_INVALID = "cases.refund_invalid"


class PaymentGateway(Protocol):
    """A payment provider. ``name`` is stored on the order and names the callback
    URL (``/api/v1/cases/callbacks/payment/<name>``)."""

    name: str

    def create_order(self, order: PaymentOrder) -> str:
        """Register the order with the provider; return the URL the payer opens."""
        ...

    def refund(
        self, order: PaymentOrder, *, refund_number: str, amount_fen: int
    ) -> None:
        """Ask for a refund; the result comes back as a signed notification."""
        ...

    def verify_notification(
        self, *, headers: Mapping[str, str], body: bytes
    ) -> Verification:
        """Check a notification's signature and timestamp."""
        ...


def gateway() -> PaymentGateway:
    return _gateway(settings.ZHENGWU_PAYMENT_BACKEND)


@cache
def _gateway(path: str) -> PaymentGateway:
    return import_string(path)()


def gateway_named(name: str) -> PaymentGateway | None:
    configured = gateway()
    return configured if configured.name == name else None


def _fee_items(case: Case) -> list[dict[str, Any]]:
    config = HandlingConfig.objects.filter(listing_code=case.listing_code).first()
    if config is None:
        return []
    items = []
    for item in config.fee_items or []:
        if not isinstance(item, dict):
            continue
        amount = item.get("amount_fen")
        if isinstance(amount, int) and not isinstance(amount, bool) and amount > 0:
            items.append(
                {"name": str(item.get("name", ""))[:200], "amount_fen": amount}
            )
    return items


def _new_order_number() -> str:
    return f"ZW{timezone.localdate():%Y%m%d}{secrets.token_hex(8).upper()}"


def payment_order_for_case(
    *, case: Case, acting_user: Any = None
) -> PaymentOrder | None:
    """The case's open (or paid) fee order, created from the listing's fee items on
    first call; None when the listing charges nothing. Runs in the caller's
    transaction; a second call returns the same order."""
    existing = (
        PaymentOrder.objects.filter(case=case)
        .exclude(status=PaymentStatus.CLOSED)
        .order_by("pk")
        .first()
    )
    if existing is not None:
        return existing
    items = _fee_items(case)
    if not items:
        return None
    provider = gateway()
    order = PaymentOrder(
        case=case,
        order_number=_new_order_number(),
        amount_fen=sum(item["amount_fen"] for item in items),
        items=items,
        provider=provider.name,
    )
    order.full_clean()
    order.save(force_insert=True)
    provider.create_order(order)
    if not case.requires_payment:
        case.requires_payment = True
        case.save(update_fields=["requires_payment", "updated_at"])
    audit.record(
        acting_user=acting_user,
        actor_label="system:payments",
        event="cases.payment_ordered",
        target=case,
        data={"order_number": order.order_number, "amount_fen": order.amount_fen},
    )
    case_notify(case=case, event="payment_required")
    return order


def case_is_paid(case: Case) -> bool:
    """True when no fee order of the case is waiting for payment."""
    return not PaymentOrder.objects.filter(
        case=case, status=PaymentStatus.UNPAID
    ).exists()


def payment_url(order: PaymentOrder) -> str:
    """Where the payer pays this order (the provider's cashier)."""
    return gateway().create_order(order) if order.status == PaymentStatus.UNPAID else ""


def payments_for_case(case: Case) -> list[PaymentOrder]:
    """The case's orders; callers have already checked the case is visible."""
    return list(PaymentOrder.objects.filter(case=case).order_by("pk"))


@transaction.atomic
def payment_refund(
    *, order_id: int, acting_user: Any, reason: str, amount_fen: int | None = None
) -> PaymentOrder:
    """Staff ask the provider to refund (all of what is left, or ``amount_fen``).
    The order changes when the provider's refund notification arrives."""
    order = (
        PaymentOrder.objects.select_for_update(of=("self",))
        .select_related("case", "case__division")
        .filter(pk=order_id)
        .first()
    )
    if order is None or not staff_handles_case(acting_user, order.case):
        raise CaseError(PAYMENT_NOT_FOUND, _("缴费订单不存在。"), status=404)
    remaining = order.amount_fen - order.refunded_fen
    amount = remaining if amount_fen is None else amount_fen
    reason = (reason or "").strip()
    if order.status != PaymentStatus.PAID or remaining <= 0:
        raise CaseError(
            REFUND_INVALID,
            _("只有已缴费且未全额退款的订单可以退款。"),
            status=409,
        )
    if not (0 < amount <= remaining):
        message = _("退款金额须在0.01元至%(yuan)s元之间。") % {
            "yuan": f"{remaining / 100:.2f}"
        }
        raise CaseError(
            REFUND_INVALID, message, fields={"amount_fen": [message]}, status=422
        )
    if not reason:
        message = _("请填写退款原因。")
        raise CaseError(
            REFUND_INVALID, message, fields={"reason": [message]}, status=422
        )
    # One refund number per (order, amount already refunded): a double click before
    # the provider answers asks for the same refund, which the provider dedupes.
    refund_number = f"{order.order_number}R{order.refunded_fen:08d}"
    audit.record(
        acting_user=acting_user,
        event="cases.payment_refund_requested",
        target=order.case,
        data={
            "order_number": order.order_number,
            "refund_number": refund_number,
            "amount_fen": amount,
            "reason": reason[:500],
        },
    )
    provider = gateway_named(order.provider) or gateway()
    provider.refund(order, refund_number=refund_number, amount_fen=amount)
    return order


# --- the platform side of the provider's notifications ----------------------------

OK_OUTCOMES = frozenset(
    {
        "paid",
        "already_paid",
        "refunded",
        "already_refunded",
        "shipment_updated",
        "shipment_recorded",
    }
)


@dataclass(frozen=True)
class CallbackAnswer:
    status: int
    text: str
    outcome: str


def _answer(outcome: str) -> CallbackAnswer:
    if outcome in OK_OUTCOMES:
        return CallbackAnswer(200, "success", outcome)
    return CallbackAnswer(400, "fail", outcome)


def _parse(body: bytes) -> dict[str, Any] | None:
    """The JSON object of a callback body, or None when it is not one a database
    can keep: not UTF-8, not JSON, nested too deep, or holding a NUL or a lone
    surrogate (PostgreSQL refuses both; SQLite the surrogate)."""
    try:
        data = json.loads(body.decode("utf-8"))
        if not isinstance(data, dict):
            return None
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except (UnicodeError, ValueError, RecursionError):
        return None
    if "\\u0000" in json.dumps(data):
        return None
    return data


def _keepable(data: dict[str, Any] | None, body: bytes) -> dict[str, Any]:
    if data is not None and len(body) <= 8192:
        return data
    return {"raw": body[:512].decode("utf-8", "replace").replace("\x00", "\ufffd")}


def provider_callback_receive(
    *,
    provider_name: str,
    kind: str,
    verification: Verification,
    body: bytes,
    source_ip: str | None,
    apply: Any,
) -> CallbackAnswer:
    """Shared by the payment and express callbacks: keep every callback, refuse
    unverified ones, answer a replay as the first time and change nothing, else run
    ``apply(data) -> outcome`` in the same transaction as the stored callback."""
    data = _parse(body)
    if not verification.is_valid or data is None:
        outcome = verification.reason or "malformed"
        with transaction.atomic():
            ProviderCallback.objects.create(
                provider=provider_name,
                notify_id=verification.notify_id[:64] or "-",
                kind=kind,
                is_verified=False,
                outcome=outcome,
                body=_keepable(data, body),
                source_ip=source_ip,
            )
            audit.record(
                acting_user=None,
                actor_label=f"provider:{provider_name}",
                event="cases.provider_callback_rejected",
                outcome="failure",
                source_ip=source_ip,
                data={"kind": kind, "reason": outcome},
            )
        logger.warning(
            "provider_callback_rejected",
            provider=provider_name,
            kind=kind,
            reason=outcome,
        )
        return _answer(outcome)
    try:
        with transaction.atomic():
            previous = ProviderCallback.objects.filter(
                provider=provider_name,
                notify_id=verification.notify_id,
                is_verified=True,
            ).first()
            if previous is not None:
                logger.info(
                    "provider_callback_replayed",
                    provider=provider_name,
                    notify_id=verification.notify_id,
                )
                return _answer(previous.outcome)
            callback = ProviderCallback.objects.create(
                provider=provider_name,
                notify_id=verification.notify_id,
                kind=kind,
                is_verified=True,
                outcome="processing",
                body=_keepable(data, body),
                source_ip=source_ip,
            )
            outcome = apply(data, provider_name, verification.notify_id)
            callback.outcome = outcome
            callback.save(update_fields=["outcome", "updated_at"])
    except IntegrityError:
        # The same notification is being handled by a concurrent request: let the
        # provider retry; by then the first one has committed and this is a replay.
        return CallbackAnswer(503, "retry", "concurrent")
    if outcome not in OK_OUTCOMES:
        logger.error(
            "provider_callback_refused",
            provider=provider_name,
            notify_id=verification.notify_id,
            outcome=outcome,
        )
    return _answer(outcome)


def _apply_payment(data: dict[str, Any], provider_name: str, notify_id: str) -> str:
    kind = data.get("kind")
    order_number = str(data.get("order_number", ""))[:40]
    amount = data.get("amount_fen")
    if not isinstance(amount, int) or isinstance(amount, bool) or not order_number:
        return "malformed"
    order = (
        PaymentOrder.objects.select_for_update(of=("self",))
        .select_related("case")
        .filter(order_number=order_number, provider=provider_name)
        .first()
    )
    if order is None:
        return "unknown_order"
    case = order.case
    if kind == "payment":
        if data.get("status") != "paid":
            return "not_paid"
        if amount != order.amount_fen:
            return "amount_mismatch"
        if order.status == PaymentStatus.PAID:
            return "already_paid"
        if order.status != PaymentStatus.UNPAID:
            return "order_not_payable"
        order.status = PaymentStatus.PAID
        order.paid_at = timezone.now()
        order.provider_trade_number = str(data.get("trade_number", ""))[:64]
        order.save(
            update_fields=["status", "paid_at", "provider_trade_number", "updated_at"]
        )
        audit.record(
            acting_user=None,
            actor_label=f"provider:{provider_name}",
            event="cases.payment_paid",
            target=case,
            data={
                "order_number": order.order_number,
                "amount_fen": amount,
                "notify_id": notify_id,
            },
        )
        case_notify(case=case, event="payment_paid")
        _webhook(case, "payment_paid")
        return "paid"
    if kind == "refund":
        refund_number = str(data.get("refund_number", ""))[:64]
        if data.get("status") != "refunded" or not refund_number:
            return "malformed"
        if order.status not in (PaymentStatus.PAID, PaymentStatus.REFUNDED):
            return "order_not_refundable"
        if refund_number < f"{order.order_number}R{order.refunded_fen:08d}":
            # A refund number names the refunded amount before it: this one is done.
            return "already_refunded"
        if not (0 < amount <= order.amount_fen - order.refunded_fen):
            return "amount_mismatch"
        order.refunded_fen += amount
        if order.refunded_fen >= order.amount_fen:
            order.status = PaymentStatus.REFUNDED
        order.save(update_fields=["refunded_fen", "status", "updated_at"])
        audit.record(
            acting_user=None,
            actor_label=f"provider:{provider_name}",
            event="cases.payment_refunded",
            target=case,
            data={
                "order_number": order.order_number,
                "refund_number": refund_number,
                "amount_fen": amount,
                "notify_id": notify_id,
            },
        )
        case_notify(case=case, event="payment_refunded")
        return "refunded"
    return "malformed"


def _webhook(case: Case, event: str) -> None:
    from .webhooks import webhook_case_event

    webhook_case_event(case=case, event=event)


def payment_notification_receive(
    *,
    provider_name: str,
    headers: Mapping[str, str],
    body: bytes,
    source_ip: str | None = None,
) -> CallbackAnswer:
    """Handle one asynchronous notification from payment provider ``provider_name``
    (its name or the URL segment it posts to, ``callback_name``):
    200 ``success`` once handled (also for a replay), 400 ``fail`` when forged,
    stale, malformed or not matching the order — and then nothing changes."""
    provider = gateway()
    if provider_name not in (provider.name, getattr(provider, "callback_name", "")):
        return CallbackAnswer(404, "fail", "unknown_provider")
    provider_name = provider.name
    verification = provider.verify_notification(headers=headers, body=body)
    data = _parse(body)
    kind = str((data or {}).get("kind", "payment"))[:20]
    return provider_callback_receive(
        provider_name=provider_name,
        kind=kind,
        verification=verification,
        body=body,
        source_ip=source_ip,
        apply=_apply_payment,
    )
