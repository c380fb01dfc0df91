"""Case notifications: rows in the caller's transaction, stable references,
delivery task idempotent with retries, the sweeper, the user's own inbox."""

import datetime

from django.core import mail
from django.db import transaction
from django.utils import timezone

import pytest
from django_tasks_db.models import DBTaskResult

from zhengwu.cases import notify
from zhengwu.cases.constants import DeliveryStatus, NotificationChannel
from zhengwu.cases.errors import CaseError
from zhengwu.cases.models import Notification
from zhengwu.cases.tasks import deliver_notification, redeliver_stale_notifications
from zhengwu.core.errors import NotFoundError
from zhengwu.core.models import SmsMessage

from .sidechannel_helpers import citizen_case

pytestmark = pytest.mark.django_db

DELIVER = "zhengwu.cases.tasks.deliver_notification"


def _with_email(world):
    user = world.citizen.user
    user.email = "zhangsan@example.com"
    user.save(update_fields=["email"])


def test_notify_writes_site_sms_and_email_and_enqueues_after_commit(
    world, django_capture_on_commit_callbacks
):
    # given a case with a contact mobile, an applicant with an email
    _with_email(world)
    case = citizen_case(world)

    # when the applicant is told the case was accepted
    with django_capture_on_commit_callbacks(execute=True):
        rows = notify.case_notify(case=case, event="accepted")

    # then three rows with stable references; the site message is delivered as
    # written, the other two are queued
    assert {row.channel: row.reference for row in rows} == {
        "site": f"case:{case.pk}:accepted:1",
        "sms": f"case:{case.pk}:accepted:1:sms",
        "email": f"case:{case.pk}:accepted:1:email",
    }
    site = next(row for row in rows if row.channel == NotificationChannel.SITE)
    assert site.status == DeliveryStatus.SENT
    assert site.title == "申请已受理"
    assert case.number in site.body
    assert DBTaskResult.objects.filter(task_path=DELIVER).count() == 2


def test_nothing_is_queued_when_the_transaction_rolls_back(world):
    case = citizen_case(world)

    class BoomError(Exception):
        pass

    with pytest.raises(BoomError), transaction.atomic():
        notify.case_notify(case=case, event="accepted")
        raise BoomError

    assert not Notification.objects.exists()
    assert not DBTaskResult.objects.filter(task_path=DELIVER).exists()


def test_a_second_occurrence_of_an_event_gets_its_own_reference(world):
    case = citizen_case(world, mobile="")
    first = notify.case_notify(case=case, event="supplement_requested")
    second = notify.case_notify(case=case, event="supplement_requested")
    assert [row.reference for row in first] == [
        f"case:{case.pk}:supplement_requested:1"
    ]
    assert [row.reference for row in second] == [
        f"case:{case.pk}:supplement_requested:2"
    ]


def test_a_pinned_occurrence_writes_nothing_twice(world):
    case = citizen_case(world)
    notify.case_notify(case=case, event="decided", occurrence=1)
    again = notify.case_notify(case=case, event="decided", occurrence=1)
    assert Notification.objects.filter(case=case, event="decided").count() == 2
    assert len(again) == 2


def test_sms_delivery_goes_through_the_outbox_once(world):
    # given an SMS notification
    case = citizen_case(world)
    rows = notify.case_notify(case=case, event="decided")
    sms = next(row for row in rows if row.channel == NotificationChannel.SMS)

    # when the task runs twice
    assert deliver_notification.call(notification_id=sms.pk) == DeliveryStatus.SENT
    assert deliver_notification.call(notification_id=sms.pk) == DeliveryStatus.SENT

    # then one outbox message, its reference derived from the notification's
    message = SmsMessage.objects.get()
    assert message.reference == f"notice:{sms.reference}"
    assert message.mobile == "13900000001"
    sms.refresh_from_db()
    assert sms.attempts == 1


def test_email_delivery_sends_once(world):
    _with_email(world)
    case = citizen_case(world, mobile="")
    rows = notify.case_notify(case=case, event="result_ready")
    email = next(row for row in rows if row.channel == NotificationChannel.EMAIL)

    deliver_notification.call(notification_id=email.pk)
    deliver_notification.call(notification_id=email.pk)

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["zhangsan@example.com"]
    assert mail.outbox[0].subject == "办理结果可领取"


def test_failed_delivery_is_retried_with_a_delay_then_given_up(world, settings):
    # given a mail gateway that always fails
    settings.MAILERS = {
        "default": {"BACKEND": "zhengwu.cases.tests.test_notify.FailingBackend"}
    }
    settings.ZHENGWU_NOTIFICATION_MAX_ATTEMPTS = 2
    _with_email(world)
    case = citizen_case(world, mobile="")
    email = next(
        row
        for row in notify.case_notify(case=case, event="decided")
        if row.channel == NotificationChannel.EMAIL
    )

    # when delivery fails once, a later attempt is queued
    with transaction.atomic():
        assert deliver_notification.call(notification_id=email.pk) == "pending"
    email.refresh_from_db()
    assert email.attempts == 1
    assert "SMTP down" in email.last_error

    # and after the last attempt it is marked failed
    assert deliver_notification.call(notification_id=email.pk) == "failed"


class FailingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionError("SMTP down")


def test_sweeper_requeues_only_stale_pending_rows(world):
    # given one pending row untouched for ten minutes and one fresh
    _with_email(world)
    case = citizen_case(world, mobile="")
    stale = notify.case_notify(case=case, event="accepted")[1]
    fresh = notify.case_notify(case=case, event="decided")[1]
    Notification.objects.filter(pk=stale.pk).update(
        updated_at=timezone.now() - datetime.timedelta(minutes=10)
    )
    DBTaskResult.objects.all().delete()

    # when the sweeper runs (twice)
    assert redeliver_stale_notifications.call() == 1
    assert redeliver_stale_notifications.call() == 0

    # then only the stale one was queued again
    queued = DBTaskResult.objects.get(task_path=DELIVER)
    assert queued.args_kwargs["kwargs"] == {"notification_id": stale.pk}
    assert fresh.pk != stale.pk


def test_inbox_shows_only_own_site_messages(world):
    # given a message for each citizen
    case = citizen_case(world)
    notify.case_notify(case=case, event="accepted")
    other_user = world.other_citizen.user
    notify.user_notify(
        recipient=other_user,
        event="appointment_reminder",
        reference="test:other",
        title="预约提醒",
        body="明天办理",
    )

    # then each sees their own site message only
    mine = list(notify.notifications_for_user(world.citizen.user))
    assert [row.channel for row in mine] == ["site"]
    assert mine[0].case_id == case.pk
    assert notify.notification_unread_count(world.citizen.user) == 1
    assert [row.reference for row in notify.notifications_for_user(other_user)] == [
        "test:other"
    ]


def test_mark_read_own_only(world):
    case = citizen_case(world)
    site = notify.case_notify(case=case, event="accepted")[0]

    # another user cannot mark it (not found, unchanged)
    with pytest.raises(NotFoundError):
        notify.notification_mark_read(
            user=world.other_citizen.user, notification_id=site.pk
        )
    site.refresh_from_db()
    assert site.read_at is None

    # the recipient can
    notify.notification_mark_read(user=world.citizen.user, notification_id=site.pk)
    site.refresh_from_db()
    assert site.read_at is not None
    assert notify.notification_unread_count(world.citizen.user) == 0
    assert notify.notification_mark_all_read(user=world.citizen.user) == 0


def test_every_event_has_a_chinese_text(world):
    case = citizen_case(world, mobile="")
    for event in notify.EVENTS:
        row = notify.case_notify(case=case, event=event)[0]
        assert row.title and "办件进度更新" not in row.title
    assert issubclass(CaseError, Exception)


def test_schedule_runs_the_sweeper_reminders_and_deadline_refresh():
    from zhengwu.core.schedule import build_schedule

    entries = {entry.task_path: seconds for entry, seconds in build_schedule()}
    assert entries["zhengwu.cases.tasks.redeliver_stale_notifications"] == 60
    assert entries["zhengwu.cases.tasks.send_appointment_reminders"] == 3600
    assert entries["zhengwu.cases.tasks.refresh_deadlines"] == 3600


def test_scheduled_tasks_run_with_nothing_to_do(world):
    from zhengwu.cases.tasks import refresh_deadlines, send_appointment_reminders

    assert send_appointment_reminders.call() == 0
    assert refresh_deadlines.call() >= 0
