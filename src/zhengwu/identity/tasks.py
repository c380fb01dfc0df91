"""Background tasks of identity (``django.tasks``; run by ``manage.py db_worker``)."""

from django.tasks import task

from . import accounts, login, otp


@task()
def expire_accounts() -> int:
    """Deactivate accounts past their end date. Idempotent: a second run finds
    nothing left to expire."""
    return accounts.expire_accounts()


@task()
def purge_one_time_codes() -> int:
    """Delete SMS codes older than two days. Idempotent."""
    return otp.purge_codes()


@task()
def purge_login_locks() -> int:
    """Delete login lock rows with no lock in force and no failure within the
    address window (``login.purge_locks``). Idempotent."""
    return login.purge_locks()
