"""Periodic tasks of cases (``manage.py run_scheduler`` enqueues them; each is
idempotent, so a second scheduler or a restart does no harm)."""

from django.conf import settings

from zhengwu.core.schedule import Every

SCHEDULE = [
    # Notifications whose worker was killed mid-task are delivered again.
    Every("zhengwu.cases.tasks.redeliver_stale_notifications", 60),
    # Applications taken in on the API's asynchronous path become cases.
    Every(
        "zhengwu.cases.tasks.process_pending_intakes",
        lambda: settings.ZHENGWU_INTAKE_INTERVAL_SECONDS,
    ),
    # Tomorrow's appointments are reminded once.
    Every("zhengwu.cases.tasks.send_appointment_reminders", 3600),
    # Deadline states move on (warning, overdue); limits whose calendar year was
    # not entered yet are computed once it is.
    Every("zhengwu.cases.tasks.refresh_deadlines", 3600),
]
