"""What other apps may ask of licences: frozen summaries, never model instances."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from .errors import LicenceError
from .models import Licence
from .services import licence_issue
from .verification import effective_status

__all__ = [
    "LicenceError",
    "LicenceSummary",
    "issue_from_decision",
    "licence_by_identifier",
    "licences_for_holder",
]


@dataclass(frozen=True)
class LicenceSummary:
    identifier: str
    type_code: str
    type_name: str
    issuer_organisation_id: int
    issuer_name: str
    holder_label: str
    holder_name: str
    version: int
    status: str
    valid_from: datetime.date
    valid_until: datetime.date | None
    issued_at: datetime.datetime
    source_case_number: str
    file_sm3: str


def _summary(licence: Licence) -> LicenceSummary:
    return LicenceSummary(
        identifier=licence.identifier,
        type_code=licence.licence_type.type_code,
        type_name=licence.licence_type.name,
        issuer_organisation_id=licence.issuer_id,
        issuer_name=licence.issuer.name,
        holder_label=licence.holder_label,
        holder_name=licence.holder_name,
        version=licence.version,
        status=effective_status(licence),
        valid_from=licence.valid_from,
        valid_until=licence.valid_until,
        issued_at=licence.issued_at,
        source_case_number=licence.source_case_number,
        file_sm3=licence.file_sm3,
    )


def _rows():
    return Licence.objects.select_related("licence_type", "issuer").defer(
        "file", "face_data", "signed_metadata"
    )


def licences_for_holder(label: str) -> tuple[LicenceSummary, ...]:
    """Every licence version held by ``label`` (``person:<pk>`` or
    ``entity:<credit code>``), newest first (for apps that checked who asks)."""
    return tuple(
        _summary(licence)
        for licence in _rows().filter(holder_label=label).order_by("-issued_at", "-pk")
    )


def licence_by_identifier(identifier: str) -> LicenceSummary | None:
    licence = _rows().filter(identifier=str(identifier).strip()[:120]).first()
    return _summary(licence) if licence is not None else None


def issue_from_decision(
    *,
    type_code: str,
    issuer_organisation_id: int,
    holder_label: str,
    holder_code: str,
    holder_name: str,
    face_data: dict[str, Any],
    source_case_number: str,
) -> LicenceSummary:
    """Issue a licence as the system on an approving decision (制证): plain data
    in, a summary out. Raises ``LicenceError`` (stable codes) when refused."""
    licence = licence_issue(
        type_code=type_code,
        issuer_organisation_id=issuer_organisation_id,
        holder_label=holder_label,
        holder_code=holder_code,
        holder_name=holder_name,
        face_data=face_data,
        source_case_number=source_case_number,
        acting_user=None,
        actor_label="system:decision",
    )
    return _summary(licence)
