"""Identity's periodic tasks (read by ``core.schedule.build_schedule``)."""

from django.conf import settings

from zhengwu.core.schedule import Every

SCHEDULE = [
    Every(
        "zhengwu.identity.tasks.expire_accounts",
        lambda: settings.ZHENGWU_ACCOUNT_EXPIRY_SECONDS,
    ),
    Every("zhengwu.identity.tasks.purge_one_time_codes", 3600),
    Every("zhengwu.identity.tasks.purge_login_locks", 3600),
]
