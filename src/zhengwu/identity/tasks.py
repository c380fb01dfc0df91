"""Background tasks of identity (``django.tasks``; run by ``manage.py db_worker``)."""

from django.tasks import task

from . import accounts


@task()
def expire_accounts() -> int:
    """Deactivate accounts past their end date. Idempotent: a second run finds
    nothing left to expire."""
    return accounts.expire_accounts()
