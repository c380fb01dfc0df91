"""Text messages (SMS) through an adapter.

:func:`send_sms` writes the message to the outbox table (:class:`SmsMessage`) in the
caller's transaction and, once that commits, enqueues :func:`deliver_sms`, which
hands it to the gateway named by ``ZHENGWU_SMS_BACKEND``. Delivery is idempotent by
``reference``: a second :func:`send_sms` with the same reference, a retry or a task
run twice sends nothing new.

A real provider implements :class:`SmsGateway`. The default, :class:`OutboxSmsGateway`,
is the local provider: it delivers nowhere, so the outbox is where the tests and the
demo read their messages."""

import datetime
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.utils import timezone
from django.utils.module_loading import import_string

import structlog

from .crypto import mask_mobile
from .models import SmsMessage

logger = structlog.get_logger(__name__)

MAX_ATTEMPTS = 5


class SmsGateway(Protocol):
    """Sends one message; returns the provider's message id. Raises on failure
    (the task retries)."""

    def send(self, mobile: str, text: str, *, template: str, reference: str) -> str: ...


class OutboxSmsGateway:
    """The local provider: the outbox row is the delivered message."""

    def send(self, mobile: str, text: str, *, template: str, reference: str) -> str:
        return f"local:{reference}"


def gateway() -> SmsGateway:
    return import_string(settings.ZHENGWU_SMS_BACKEND)()


def send_sms(*, mobile: str, text: str, template: str, reference: str) -> SmsMessage:
    """Record the message and deliver it after the transaction commits.

    ``reference`` names the business event (``otp:42``); the same reference twice
    returns the first message unchanged."""
    message, created = SmsMessage.objects.get_or_create(
        reference=reference,
        defaults={
            "mobile": mobile,
            "mobile_masked": mask_mobile(mobile),
            "text": text,
            "template": template,
        },
    )
    if created:
        message_id = message.pk
        transaction.on_commit(lambda: deliver_sms.enqueue(message_id=message_id))
        logger.info(
            "sms_queued", message_id=message_id, template=template, reference=reference
        )
    return message


@task()
def deliver_sms(message_id: int) -> str:
    """Hand one outbox message to the gateway. A message already sent is not sent
    again; a failure is retried with a growing delay, up to five attempts."""
    with transaction.atomic():
        message = SmsMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.status != SmsMessage.Status.PENDING:
            return message.status if message is not None else "missing"
        message.attempts += 1
        try:
            provider_id = gateway().send(
                message.mobile,
                message.text,
                template=message.template,
                reference=message.reference,
            )
        except Exception as error:  # any provider failure is retried  # noqa: BLE001
            # A provider's error text may quote the number: never keep it in clear.
            detail = str(error).replace(message.mobile, message.mobile_masked)
            message.last_error = f"{type(error).__name__}: {detail}"[:200]
            if message.attempts >= MAX_ATTEMPTS:
                message.status = SmsMessage.Status.FAILED
            message.save(update_fields=["attempts", "last_error", "status"])
            logger.warning(
                "sms_failed", message_id=message_id, attempt=message.attempts
            )
            if message.status == SmsMessage.Status.PENDING:
                delay = datetime.timedelta(seconds=30 * 2 ** (message.attempts - 1))
                transaction.on_commit(
                    lambda: deliver_sms.using(run_after=timezone.now() + delay).enqueue(
                        message_id=message_id
                    )
                )
            return message.status
        message.status = SmsMessage.Status.SENT
        message.provider_message_id = provider_id[:100]
        message.sent_at = timezone.now()
        message.last_error = ""
        message.save(
            update_fields=[
                "attempts",
                "status",
                "provider_message_id",
                "sent_at",
                "last_error",
            ]
        )
    logger.info("sms_sent", message_id=message_id)
    return message.status
