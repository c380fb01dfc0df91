"""Signed status-change notifications to subscribed department systems (webhooks).

:func:`webhook_case_event` writes one :class:`WebhookDelivery` per matching active
subscription of the case's organisation in the caller's transaction; after commit a
task POSTs the JSON payload signed with HMAC-SM3 (headers X-Zhengwu-Timestamp,
X-Zhengwu-Notify-Id = the delivery reference, X-Zhengwu-Event, X-Zhengwu-Signature;
see docs/integrations.md) and retries with a growing delay until the receiver answers
2xx. The payload carries no personal data: the receiver reads details through the API."""

import datetime
import ipaddress
import secrets
import socket
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext as _

import requests
import structlog

from zhengwu.core import audit
from zhengwu.core.models import Organisation

from .constants import DeliveryStatus
from .errors import CaseError
from .models import Case, WebhookDelivery, WebhookSubscription
from .providers.signing import HEADER_EVENT, canonical_json, signed_headers
from .staff_rights import handled_organisation_ids, staff_handles

logger = structlog.get_logger(__name__)

WEBHOOK_INVALID = "cases.webhook_invalid"
WEBHOOK_NOT_FOUND = "cases.webhook_not_found"

EVENTS = (
    "submitted",
    "accepted",
    "supplement_requested",
    "supplemented",
    "not_accepted",
    "decided",
    "withdrawn",
    "payment_paid",
    "shipment_updated",
    "rated",
)
RETRY_DELAYS_SECONDS = (10, 60, 300, 900, 3600, 3600 * 3, 3600 * 6)


def _payload(case: Case, event: str, reference: str) -> dict[str, Any]:
    return {
        "delivery": reference,
        "event": event,
        "occurred_at": timezone.now().isoformat(),
        "case": {
            "number": case.number,
            "status": case.status,
            "listing_code": case.listing_code,
            "item_name": case.item_name,
            "organisation_id": case.organisation_id,
            "channel": case.channel,
            "due_on": case.due_on.isoformat() if case.due_on else None,
        },
    }


def webhook_case_event(*, case: Case, event: str) -> list[WebhookDelivery]:
    """Queue ``event`` of ``case`` for every active subscription of its organisation
    that wants it (an empty event list wants all). In the caller's transaction; the
    reference is stable per occurrence, so a retried transaction queues no extra."""
    subscriptions = [
        subscription
        for subscription in WebhookSubscription.objects.filter(
            organisation_id=case.organisation_id, is_active=True
        )
        if not subscription.events or event in subscription.events
    ]
    deliveries = []
    for subscription in subscriptions:
        prefix = f"{subscription.pk}:case:{case.pk}:{event}:"
        n = WebhookDelivery.objects.filter(reference__startswith=prefix).count() + 1
        reference = f"{prefix}{n}"
        delivery = WebhookDelivery(
            subscription=subscription,
            reference=reference,
            event=event,
            payload=_payload(case, event, reference),
        )
        delivery.save(force_insert=True)
        deliveries.append(delivery)
    if deliveries:
        ids = [delivery.pk for delivery in deliveries]
        transaction.on_commit(
            lambda: [deliver_webhook.enqueue(delivery_id=pk) for pk in ids]
        )
    return deliveries


def _public_address(address: str) -> bool:
    """Whether an IP address is a public (globally routable unicast) one."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def private_targets_allowed() -> bool:
    return settings.ZHENGWU_WEBHOOK_ALLOW_PRIVATE_TARGETS


def _literal_or_local_host(hostname: str) -> str | None:
    """For a host written as an IP literal or a local name: "private" when it is
    not a public address, "public" for a public literal; None for other names
    (checked when resolved, at sending)."""
    name = hostname.rstrip(".").lower()
    if name == "localhost" or name.endswith((".localhost", ".local", ".internal")):
        return "private"
    try:
        ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return None
    return "public" if _public_address(name) else "private"


def _target_refusal(url: str) -> str:
    """Why the receiver of ``url`` may not be called (SSRF guard): "" when every
    address its host resolves to is public, or private targets are allowed
    (setting ZHENGWU_WEBHOOK_ALLOW_PRIVATE_TARGETS: local test receivers)."""
    if private_targets_allowed():
        return ""
    parts = urlsplit(url)
    hostname = parts.hostname or ""
    if _literal_or_local_host(hostname) == "private":
        return "private_address"
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(hostname, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError, ValueError):
        return "unresolvable"
    if not infos or not all(_public_address(info[4][0]) for info in infos):
        return "private_address"
    return ""


def _send(delivery: WebhookDelivery) -> tuple[bool, str]:
    subscription = delivery.subscription
    refusal = _target_refusal(subscription.url)
    if refusal:
        return False, refusal
    body = canonical_json(delivery.payload)
    headers = signed_headers(
        subscription.secret.encode(), notify_id=delivery.reference, body=body
    )
    headers[HEADER_EVENT] = delivery.event
    headers["Content-Type"] = "application/json; charset=utf-8"
    headers["User-Agent"] = "zhengwu-webhook/1"
    try:
        response = requests.post(
            subscription.url,
            data=body,
            headers=headers,
            timeout=settings.ZHENGWU_WEBHOOK_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
    except requests.RequestException as error:
        return False, type(error).__name__
    return 200 <= response.status_code < 300, f"HTTP {response.status_code}"


@task()
def deliver_webhook(delivery_id: int) -> str:
    """POST one pending delivery. The row is locked only to claim the attempt, not
    during the HTTP call, so a slow receiver holds no lock; a delivery already sent
    or given up is left alone."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:
            return "missing"
        if delivery.status != DeliveryStatus.PENDING:
            return delivery.status
        delivery.attempts += 1
        delivery.save(update_fields=["attempts", "updated_at"])
    delivery = WebhookDelivery.objects.select_related("subscription").get(
        pk=delivery_id
    )
    delivered, detail = _send(delivery)
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update(of=("self",)).get(
            pk=delivery_id
        )
        if delivery.status != DeliveryStatus.PENDING:
            return delivery.status
        if delivered:
            delivery.status = DeliveryStatus.SENT
            delivery.delivered_at = timezone.now()
            delivery.last_error = ""
        else:
            delivery.last_error = detail[:200]
            if delivery.attempts >= settings.ZHENGWU_WEBHOOK_MAX_ATTEMPTS:
                delivery.status = DeliveryStatus.FAILED
        delivery.save(
            update_fields=["status", "delivered_at", "last_error", "updated_at"]
        )
    if delivered:
        logger.info("webhook_delivered", delivery_id=delivery_id)
        return DeliveryStatus.SENT
    logger.warning(
        "webhook_failed",
        delivery_id=delivery_id,
        attempt=delivery.attempts,
        detail=detail,
    )
    if delivery.status == DeliveryStatus.PENDING:
        index = min(delivery.attempts - 1, len(RETRY_DELAYS_SECONDS) - 1)
        deliver_webhook.using(
            run_after=timezone.now()
            + datetime.timedelta(seconds=RETRY_DELAYS_SECONDS[index])
        ).enqueue(delivery_id=delivery_id)
    return delivery.status


# --- subscriptions (staff of the organisation) -------------------------------------


def _handles_organisation(user: Any, organisation_id: int) -> bool:
    organisation = (
        Organisation.objects.select_related("division")
        .filter(pk=organisation_id)
        .first()
    )
    return organisation is not None and staff_handles(
        user, organisation_id=organisation.pk, division_code=organisation.division.code
    )


def subscriptions_for_user(user: Any) -> QuerySet[WebhookSubscription]:
    """Active subscriptions of the organisations the user handles cases for."""
    return WebhookSubscription.objects.filter(
        is_active=True, organisation_id__in=handled_organisation_ids(user)
    ).order_by("pk")


def _check_url(url: str) -> str:
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        valid = bool(parts.hostname) and (parts.port or 1) > 0
    except ValueError:
        parts, valid = urlsplit(""), False
    message = ""
    if parts.scheme not in ("https", "http") or not valid or "\x00" in url:
        message = _("接收地址须为 http(s):// 开头的完整网址。")
    elif len(url) > 500:
        message = _("接收地址过长（最多500个字符）。")
    elif (
        _literal_or_local_host(parts.hostname) == "private"
        and not private_targets_allowed()
    ):
        message = _("接收地址不能是本机或内网地址。")
    elif (
        parts.scheme == "http"
        and not settings.DEBUG
        and not (
            private_targets_allowed()
            and _literal_or_local_host(parts.hostname) == "private"
        )
    ):
        message = _("接收地址须使用 https。")
    if message:
        raise CaseError(WEBHOOK_INVALID, message, fields={"url": [message]}, status=422)
    return url


@transaction.atomic
def webhook_subscribe(
    *,
    acting_user: Any,
    organisation_id: int,
    url: str,
    events: list[str] | None = None,
    secret: str = "",
) -> tuple[WebhookSubscription, str]:
    """Staff of the organisation subscribe their system. The secret (generated
    unless given; at least 16 characters) is stored encrypted, used for HMAC-SM3
    and returned once so the receiving system can be configured."""
    if not _handles_organisation(acting_user, organisation_id):
        raise CaseError(WEBHOOK_NOT_FOUND, _("无权为该部门订阅状态推送。"), status=403)
    url = _check_url(url)
    secret = secret or secrets.token_urlsafe(32)
    if len(secret) < 16 or len(secret) > 200:
        message = _("签名密钥须为16至200个字符。")
        raise CaseError(
            WEBHOOK_INVALID, message, fields={"secret": [message]}, status=422
        )
    wanted = list(dict.fromkeys(events or []))
    unknown = [event for event in wanted if event not in EVENTS]
    if unknown:
        message = _("不支持的事件：%(events)s。") % {"events": "、".join(unknown)[:200]}
        raise CaseError(
            WEBHOOK_INVALID, message, fields={"events": [message]}, status=422
        )
    subscription = WebhookSubscription(
        organisation_id=organisation_id,
        url=url,
        secret=secret,
        events=wanted,
        created_by=acting_user,
    )
    subscription.save(force_insert=True)
    audit.record(
        acting_user=acting_user,
        event="cases.webhook_subscribed",
        target=subscription,
        data={"url": url, "events": wanted, "organisation_id": organisation_id},
    )
    return subscription, secret


@transaction.atomic
def webhook_unsubscribe(
    *, acting_user: Any, subscription_id: int
) -> WebhookSubscription:
    subscription = (
        WebhookSubscription.objects.select_for_update()
        .filter(pk=subscription_id)
        .first()
    )
    if subscription is None or not _handles_organisation(
        acting_user, subscription.organisation_id
    ):
        raise CaseError(WEBHOOK_NOT_FOUND, _("订阅不存在。"), status=404)
    if subscription.is_active:
        subscription.is_active = False
        subscription.save(update_fields=["is_active", "updated_at"])
        audit.record(
            acting_user=acting_user,
            event="cases.webhook_unsubscribed",
            target=subscription,
            data={"url": subscription.url},
        )
    return subscription
