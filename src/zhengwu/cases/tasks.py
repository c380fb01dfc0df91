"""Background work of cases (``django.tasks``; worker: ``manage.py db_worker``).

Every task takes ids, re-reads the rows under a lock and checks their status first,
so running it twice (a retry, the sweeper, two workers) changes nothing the second
time."""

import datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.tasks import task
from django.utils import timezone

import structlog

from zhengwu.core.crypto import mask_mobile
from zhengwu.core.models import SmsMessage
from zhengwu.core.sms import deliver_sms, send_sms

from .constants import DeliveryStatus, NotificationChannel
from .models import Notification

logger = structlog.get_logger(__name__)

# Delays before the 2nd, 3rd, … attempt; all shorter than the sweeper's staleness
# window, so the sweeper only finds rows whose worker really went away.
RETRY_DELAYS_SECONDS = (10, 30, 60, 90)


def retry_delay(attempts: int) -> datetime.timedelta:
    index = min(max(attempts - 1, 0), len(RETRY_DELAYS_SECONDS) - 1)
    return datetime.timedelta(seconds=RETRY_DELAYS_SECONDS[index])


def _mobile(notification: Notification) -> str:
    """The case's contact mobile, else the recipient's own (person record)."""
    if notification.case is not None:
        return notification.case.contact_mobile or ""
    from zhengwu.identity.facade import applicant_profile, person_label_for_user

    label = person_label_for_user(notification.recipient)
    profile = applicant_profile(notification.recipient, label) if label else None
    return profile.mobile if profile is not None else ""


def _send(notification: Notification) -> str:
    """Hand the message to its channel; returns a provider id. Raises on failure."""
    if notification.channel == NotificationChannel.SMS:
        mobile = _mobile(notification)
        if not mobile:
            return "no-mobile"
        # The outbox reference is derived from ours: a second delivery of this
        # notification finds the same outbox row and sends no second SMS.
        message = send_sms(
            mobile=mobile,
            text=notification.body,
            template="case_notice",
            reference=f"notice:{notification.reference}",
        )
        return f"sms:{message.pk}"
    if notification.channel == NotificationChannel.EMAIL:
        address = notification.recipient.email
        if not address:
            return "no-email"
        email = EmailMessage(
            subject=notification.title,
            body=notification.body,
            to=[address],
            # Receivers may drop a second copy with the same Message-ID.
            headers={"Message-ID": f"<{notification.reference}@zhengwu.local>"},
        )
        email.send(fail_silently=False)
        return "email"
    return "site"


@task()
def deliver_notification(notification_id: int) -> str:
    """Deliver one pending notification; a sent or failed one is left alone. A
    failure is retried with a growing delay up to ZHENGWU_NOTIFICATION_MAX_ATTEMPTS."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("case", "recipient")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None:
            return "missing"
        if notification.status != DeliveryStatus.PENDING:
            return notification.status
        notification.attempts += 1
        try:
            _send(notification)
        except Exception as error:  # any channel failure is retried  # noqa: BLE001
            detail = str(error)
            if notification.case is not None and notification.case.contact_mobile:
                mobile = notification.case.contact_mobile
                detail = detail.replace(mobile, mask_mobile(mobile))
            notification.last_error = f"{type(error).__name__}: {detail}"[:200]
            if notification.attempts >= settings.ZHENGWU_NOTIFICATION_MAX_ATTEMPTS:
                notification.status = DeliveryStatus.FAILED
            notification.save(
                update_fields=["attempts", "last_error", "status", "updated_at"]
            )
            logger.warning(
                "notification_failed",
                notification_id=notification_id,
                attempt=notification.attempts,
            )
            if notification.status == DeliveryStatus.PENDING:
                run_after = timezone.now() + retry_delay(notification.attempts)
                transaction.on_commit(
                    lambda: deliver_notification.using(run_after=run_after).enqueue(
                        notification_id=notification_id
                    )
                )
            return notification.status
        notification.status = DeliveryStatus.SENT
        notification.sent_at = timezone.now()
        notification.last_error = ""
        notification.save(
            update_fields=["attempts", "status", "sent_at", "last_error", "updated_at"]
        )
    logger.info(
        "notification_sent",
        notification_id=notification_id,
        channel=notification.channel,
    )
    return DeliveryStatus.SENT


@task()
def redeliver_stale_notifications() -> int:
    """Enqueue again every notification still pending after the staleness window
    (ZHENGWU_NOTIFICATION_STALE_SECONDS): its worker was killed or its task lost.
    Also re-enqueues case-notice SMS stuck in the core outbox the same way.
    Returns how many were enqueued."""
    now = timezone.now()
    cutoff = now - datetime.timedelta(
        seconds=settings.ZHENGWU_NOTIFICATION_STALE_SECONDS
    )
    ids = list(
        Notification.objects.filter(
            status=DeliveryStatus.PENDING, updated_at__lt=cutoff
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:1000]
    )
    # Touch them so the next sweep does not enqueue them again at once.
    Notification.objects.filter(pk__in=ids).update(updated_at=now)
    for notification_id in ids:
        deliver_notification.enqueue(notification_id=notification_id)
    # The outbox retries on its own for 30 + 60 + 120 + 240 seconds; a case notice
    # SMS still pending well after that lost its task.
    sms_cutoff = now - datetime.timedelta(
        seconds=max(settings.ZHENGWU_NOTIFICATION_STALE_SECONDS, 15 * 60)
    )
    sms_ids = list(
        SmsMessage.objects.filter(
            status=SmsMessage.Status.PENDING,
            created_at__lt=sms_cutoff,
            reference__startswith="notice:",
        ).values_list("pk", flat=True)[:1000]
    )
    for message_id in sms_ids:
        deliver_sms.enqueue(message_id=message_id)
    if ids or sms_ids:
        logger.warning(
            "stale_notifications_enqueued", count=len(ids), sms_count=len(sms_ids)
        )
    return len(ids) + len(sms_ids)


@task()
def send_appointment_reminders() -> int:
    """Remind the appointments of tomorrow (once each)."""
    from .appointments import appointment_reminders_send

    return appointment_reminders_send()


@task()
def refresh_deadlines() -> int:
    """Refresh case deadline states (the lifecycle's ``deadlines.refresh_deadlines``)
    and fill in rectification due dates left empty for an unknown calendar year;
    returns how many cases and orders it changed."""
    from .deadlines import refresh_deadlines as refresh_case_deadlines
    from .ratings import rectification_deadlines_refresh

    filled = rectification_deadlines_refresh()
    counts = refresh_case_deadlines()
    return filled + counts["accepted_by_law"] + counts["recomputed"]


@task()
def process_pending_intakes() -> int:
    """Make the cases of the applications taken in (收件) and still pending
    (scheduled every ZHENGWU_INTAKE_INTERVAL_SECONDS); idempotent."""
    from .intake import process_pending_intakes as drain

    return drain()
