"""The provider side of the local providers' asynchronous notifications: POST a
signed JSON body to the platform's callback URL and retry, with a growing delay,
until the platform answers ``success`` (HTTP 200, body ``success``) or the attempts
run out — the way payment and logistics providers notify their merchants."""

import datetime
import uuid
from typing import Any

from django.conf import settings
from django.tasks import task
from django.utils import timezone

import requests
import structlog

from .signing import HEADER_EVENT, canonical_json, provider_secret, signed_headers

logger = structlog.get_logger(__name__)

# provider name → (secret setting, label for the development secret, callback path)
PROVIDERS: dict[str, tuple[str, str, str]] = {
    "local_pay": (
        "ZHENGWU_PAYMENT_LOCAL_SECRET",
        "payment-local",
        "/api/v1/cases/callbacks/payment/local",
    ),
    "local_express": (
        "ZHENGWU_EXPRESS_LOCAL_SECRET",
        "express-local",
        "/api/v1/cases/callbacks/express/local",
    ),
}

RETRY_DELAYS_SECONDS = (5, 15, 60, 180, 600, 1800, 3600)


def secret_for(provider: str) -> bytes:
    setting, label, _path = PROVIDERS[provider]
    return provider_secret(setting, label)


def callback_url(provider: str) -> str:
    return settings.ZHENGWU_CALLBACK_BASE_URL.rstrip("/") + PROVIDERS[provider][2]


def stable_notify_id(*parts: str) -> str:
    """One notify id per business fact, so the provider re-sending the same fact
    (a second click on the cashier page) is a replay the platform recognises."""
    return uuid.uuid5(uuid.NAMESPACE_URL, "zhengwu:" + ":".join(parts)).hex


def post_signed(
    provider: str, *, notify_id: str, body: dict[str, Any], event: str = ""
) -> requests.Response:
    raw = canonical_json(body)
    headers = signed_headers(secret_for(provider), notify_id=notify_id, body=raw)
    headers["Content-Type"] = "application/json; charset=utf-8"
    if event:
        headers[HEADER_EVENT] = event
    return requests.post(
        callback_url(provider),
        data=raw,
        headers=headers,
        timeout=settings.ZHENGWU_WEBHOOK_TIMEOUT_SECONDS,
        allow_redirects=False,
    )


@task()
def provider_notify(
    provider: str, notify_id: str, body: dict[str, Any], attempt: int = 1
) -> str:
    """Send one notification; on anything but ``success`` enqueue the next attempt."""
    try:
        response = post_signed(
            provider, notify_id=notify_id, body=body, event=str(body.get("kind", ""))
        )
        delivered = response.status_code == 200 and response.text.strip() == "success"
        detail = f"HTTP {response.status_code}"
    except requests.RequestException as error:
        delivered, detail = False, type(error).__name__
    if delivered:
        logger.info("provider_notify_delivered", provider=provider, notify_id=notify_id)
        return "success"
    logger.warning(
        "provider_notify_failed",
        provider=provider,
        notify_id=notify_id,
        attempt=attempt,
        detail=detail,
    )
    if attempt >= settings.ZHENGWU_PROVIDER_NOTIFY_MAX_ATTEMPTS:
        return "gave_up"
    delay = RETRY_DELAYS_SECONDS[min(attempt - 1, len(RETRY_DELAYS_SECONDS) - 1)]
    provider_notify.using(
        run_after=timezone.now() + datetime.timedelta(seconds=delay)
    ).enqueue(provider=provider, notify_id=notify_id, body=body, attempt=attempt + 1)
    return "retrying"
