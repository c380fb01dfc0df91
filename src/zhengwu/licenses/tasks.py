"""Background tasks of licences (django.tasks)."""

from typing import Any

from django.tasks import task


@task()
def expire_licences() -> int:
    """Mark licences past their last valid day expired; idempotent (a second run
    the same day changes nothing)."""
    from .services import expire_licences as expire

    return expire()


@task()
def run_licence_import(job_id: int) -> dict[str, Any]:
    """Import one uploaded workbook of historical licences
    (:class:`LicenceImportJob`). A job already running or finished is left alone,
    so a repeated delivery changes nothing."""
    from .imports import import_job_run

    return import_job_run(job_id=job_id)


@task()
def requeue_stalled_imports() -> int:
    """Queue again every licence import left running past the lease (its worker
    died); scheduled (``licenses.schedule``), idempotent."""
    from .imports import requeue_stalled_jobs

    return requeue_stalled_jobs()
