"""Periodic tasks of licences (``manage.py run_scheduler`` enqueues them)."""

from zhengwu.core.schedule import Every

SCHEDULE = [
    # Licences past their last valid day become expired. Hourly, so the day's
    # expiries land soon after midnight (Asia/Shanghai) whenever the scheduler
    # started; a run that finds nothing changes nothing.
    Every("zhengwu.licenses.tasks.expire_licences", 3600),
]
