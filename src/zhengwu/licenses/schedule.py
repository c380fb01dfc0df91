"""Periodic tasks of licences (``manage.py run_scheduler`` enqueues them; each is
idempotent, so a second scheduler or a restart does no harm)."""

from django.conf import settings

from zhengwu.core.schedule import Every

SCHEDULE = [
    # Licences past their last valid day become expired. Hourly, so the day's
    # expiries land soon after midnight (Asia/Shanghai) whenever the scheduler
    # started; a run that finds nothing changes nothing.
    Every("zhengwu.licenses.tasks.expire_licences", 3600),
    # Licence imports left running past the lease (their worker died) are queued
    # again; reading a job (page or API) never changes it.
    Every(
        "zhengwu.licenses.tasks.requeue_stalled_imports",
        lambda: getattr(
            settings, "ZHENGWU_LICENCE_IMPORT_REQUEUE_INTERVAL_SECONDS", 300
        ),
    ),
]
