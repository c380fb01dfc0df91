"""Background work of the catalogue (django.tasks; worker: ``manage.py db_worker``).

Tasks take ids, re-read their state and are idempotent."""

from typing import Any

from django.tasks import task

from .transfer import import_job_run


@task()
def run_import(job_id: int) -> dict[str, Any]:
    """Import one uploaded workbook (:class:`ImportJob`). A job that is already
    running or finished is left alone, so a repeated delivery changes nothing."""
    return import_job_run(job_id=job_id)
