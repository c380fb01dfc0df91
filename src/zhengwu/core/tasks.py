"""Background tasks of core (``django.tasks``; run by ``manage.py db_worker``)."""

from django.conf import settings
from django.core.management import call_command
from django.tasks import task

from . import audit


@task()
def seal_audit_log() -> int:
    """Seal the audit records written since the last run. Idempotent: a second run
    (or a retry) finds nothing left to seal."""
    return audit.seal()


@task()
def prune_task_results() -> None:
    """Delete finished task results older than ZHENGWU_TASK_RESULTS_KEEP_DAYS (failed
    ones after ZHENGWU_TASK_FAILED_KEEP_DAYS): the queue's table would otherwise
    grow by every task ever run (the intake drain alone runs every two seconds).
    Pending and running tasks are never touched; what a task did is in the audit
    log and its own rows."""
    call_command(
        "prune_db_task_results",
        queue_name="*",
        min_age_days=settings.ZHENGWU_TASK_RESULTS_KEEP_DAYS,
        failed_min_age_days=settings.ZHENGWU_TASK_FAILED_KEEP_DAYS,
        verbosity=0,
    )
