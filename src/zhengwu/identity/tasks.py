"""Background tasks of identity (``django.tasks``; run by ``manage.py db_worker``)."""

from django.tasks import task

from . import accounts, otp


@task()
def expire_accounts() -> int:
    """Deactivate accounts past their end date. Idempotent: a second run finds
    nothing left to expire."""
    return accounts.expire_accounts()


@task()
def purge_one_time_codes() -> int:
    """Delete SMS codes older than two days. Idempotent."""
    return otp.purge_codes()
