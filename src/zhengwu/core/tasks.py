"""Background tasks of core (``django.tasks``; run by ``manage.py db_worker``)."""

from django.tasks import task

from . import audit


@task()
def seal_audit_log() -> int:
    """Seal the audit records written since the last run. Idempotent: a second run
    (or a retry) finds nothing left to seal."""
    return audit.seal()
