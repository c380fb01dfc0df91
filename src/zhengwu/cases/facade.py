"""What other apps may ask about cases: frozen summaries, never model instances."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from .constants import OPEN_STATUSES
from .models import Case

__all__ = ["CaseSummary", "open_case_count", "case_summary_by_number"]


@dataclass(frozen=True)
class CaseSummary:
    pk: int
    number: str
    listing_code: str
    item_name: str
    organisation_id: int
    status: str
    submitted_at: datetime.datetime | None
    decided_at: datetime.datetime | None
    due_on: datetime.date | None
    deadline_state: str


def _summary(case: Case) -> CaseSummary:
    return CaseSummary(
        pk=case.pk,
        number=case.number or "",
        listing_code=case.listing_code,
        item_name=case.item_name,
        organisation_id=case.organisation_id,
        status=case.status,
        submitted_at=case.submitted_at,
        decided_at=case.decided_at,
        due_on=case.due_on,
        deadline_state=case.deadline_state,
    )


def case_summary_by_number(number: str) -> CaseSummary | None:
    """The public progress of a case by its number (for apps that already checked
    who asks)."""
    case = Case.objects.filter(number=str(number)[:43]).first()
    return _summary(case) if case is not None else None


def open_case_count(*, organisation_id: int) -> int:
    return Case.objects.filter(
        organisation_id=organisation_id, status__in=OPEN_STATUSES
    ).count()
