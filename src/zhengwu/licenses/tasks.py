"""Background tasks of licences (django.tasks)."""

from django.tasks import task


@task()
def expire_licences() -> int:
    """Mark licences past their last valid day expired; idempotent (a second run
    the same day changes nothing)."""
    from .services import expire_licences as expire

    return expire()
