"""What other apps may ask of licences: frozen summaries, never model instances."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q

from zhengwu.core.models import Organisation

from . import identifiers
from .constants import LicenceStatus
from .errors import LicenceError
from .models import Licence, LicenceType
from .services import licence_issue
from .verification import effective_status, verify

__all__ = [
    "LicenceCheck",
    "LicenceError",
    "LicenceSummary",
    "LicenceTypeInfo",
    "issue_from_decision",
    "licence_by_identifier",
    "licence_check",
    "licence_file_for_holder",
    "licence_type_info",
    "licence_use_for_case",
    "licence_types_for_issuer",
    "licence_types_named",
    "licences_for_holder",
    "valid_licences_for_holder",
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
    licence_id: int = 0  # the row's id: the holder's page /licenses/mine/<id>/


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
        licence_id=licence.pk,
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
    in, a summary out. Raises ``LicenceError`` (stable codes) when refused.
    Idempotent per case: a licence of the type already issued to the holder from
    ``source_case_number`` is returned, not issued again."""
    if source_case_number:
        existing = (
            _rows()
            .filter(
                source_case_number=source_case_number,
                licence_type__type_code=type_code,
                holder_label=holder_label,
                previous__isnull=True,
            )
            .first()
        )
        if existing is not None:
            return _summary(existing)
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


@dataclass(frozen=True)
class LicenceTypeInfo:
    type_code: str
    name: str
    holder_kind: str
    defining_organisation_id: int
    face_fields: tuple[str, ...]  # the properties of the face schema, in order
    # the defining organisation and those authorised to issue the type
    issuing_organisation_ids: tuple[int, ...] = ()


def _type_info(licence_type: LicenceType) -> LicenceTypeInfo:
    properties = (licence_type.face_schema or {}).get("properties") or {}
    # ``.all()`` reads a prefetch when there is one (licence_types_for_issuer)
    others = sorted(o.pk for o in licence_type.issuing_organisations.all())
    return LicenceTypeInfo(
        type_code=licence_type.type_code,
        name=licence_type.name,
        holder_kind=licence_type.holder_kind,
        defining_organisation_id=licence_type.defining_organisation_id,
        face_fields=tuple(str(key) for key in properties),
        issuing_organisation_ids=(
            licence_type.defining_organisation_id,
            *(pk for pk in others if pk != licence_type.defining_organisation_id),
        ),
    )


def licence_type_info(type_code: str) -> LicenceTypeInfo | None:
    """The licence type of ``type_code``; None for anything that is not a type
    code (never sent to the database: PostgreSQL refuses NUL in text)."""
    code = str(type_code or "").strip()
    if not identifiers.TYPE_CODE.match(code):
        return None
    licence_type = LicenceType.objects.filter(type_code=code).first()
    return _type_info(licence_type) if licence_type is not None else None


def licence_types_for_issuer(organisation_id: int) -> tuple[LicenceTypeInfo, ...]:
    """The licence types organisation ``organisation_id`` may issue: those it
    defines and those it is authorised to issue (``issuing_organisations``), by
    name then code. Empty for an organisation that issues none (or a bad id)."""
    try:
        pk = int(organisation_id)
    except (TypeError, ValueError):
        return ()
    if isinstance(organisation_id, bool) or pk <= 0:
        return ()
    rows = (
        LicenceType.objects.filter(
            Q(defining_organisation_id=pk) | Q(issuing_organisations__pk=pk)
        )
        .distinct()
        .prefetch_related(
            Prefetch("issuing_organisations", queryset=Organisation.objects.only("pk"))
        )
        .order_by("name", "type_code")
    )
    return tuple(_type_info(licence_type) for licence_type in rows)


def licence_types_named(names: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """``{name: (type code, ...)}`` of the licence types called by one of ``names``
    (a guide material named like a licence type may be replaced by it)."""
    wanted = {str(name) for name in names if name}
    found: dict[str, list[str]] = {}
    for name, code in (
        LicenceType.objects.filter(name__in=wanted)
        .order_by("type_code")
        .values_list("name", "type_code")
    ):
        found.setdefault(name, []).append(code)
    return {name: tuple(codes) for name, codes in found.items()}


def valid_licences_for_holder(
    label: str, type_codes: Iterable[str]
) -> tuple[LicenceSummary, ...]:
    """The licences of ``label`` of the given types that are valid today (the
    latest version only: a superseded version is no longer valid), newest first.
    For apps that checked who asks for ``label``."""
    codes = {str(code) for code in type_codes if code}
    if not label or not codes:
        return ()
    rows = (
        _rows()
        .filter(
            holder_label=label,
            licence_type__type_code__in=codes,
            status=LicenceStatus.VALID,
            next_version__isnull=True,
        )
        .order_by("-issued_at", "-pk")
    )
    summaries = (_summary(licence) for licence in rows)
    return tuple(s for s in summaries if s.status == LicenceStatus.VALID)


def licence_file_for_holder(identifier: str, label: str) -> bytes | None:
    """The PDF of licence ``identifier`` when ``label`` holds it, else None (an
    identifier guessed by someone else gives nothing)."""
    licence = (
        Licence.objects.filter(identifier=str(identifier or "").strip()[:120])
        .only("file", "holder_label")
        .first()
    )
    if licence is None or not label or licence.holder_label != label:
        return None
    return bytes(licence.file)


@dataclass(frozen=True)
class LicenceCheck:
    """The verification of a licence against the licence library (each check)."""

    identifier: str
    ok: bool
    found: bool
    signature_ok: bool
    file_digest_ok: bool
    status: str
    type_name: str = ""
    issuer_name: str = ""
    valid_until: datetime.date | None = None

    @property
    def status_label(self) -> str:
        if self.status in LicenceStatus.values:
            return str(LicenceStatus(self.status).label)
        return self.status


def licence_check(identifier: str) -> LicenceCheck:
    result = verify(identifier)
    summary = licence_by_identifier(identifier) if result.found else None
    return LicenceCheck(
        identifier=result.identifier,
        ok=result.ok,
        found=result.found,
        signature_ok=result.signature_ok and result.metadata_ok,
        file_digest_ok=result.file_digest_ok,
        status=result.status,
        type_name=summary.type_name if summary else "",
        issuer_name=summary.issuer_name if summary else "",
        valid_until=result.valid_until,
    )


def licence_use_for_case(
    identifier: str, *, case_number: str, organisation_id: int | None, user
) -> LicenceCheck:
    """用证 by a case: check licence ``identifier`` handed in with case
    ``case_number`` and record the use as made by the case's handling
    department (organisation ``organisation_id``, by name; the holder sees it on
    the licence page), reason "办件 <number>", with ``user`` (the applicant who
    consented) as who acted."""
    from .uses import check_for_case

    department = (
        Organisation.objects.filter(pk=organisation_id)
        .values_list("name", flat=True)
        .first()
        if organisation_id
        else None
    )
    outcome = check_for_case(
        identifier, case_number=case_number, department=department or "", user=user
    )
    return LicenceCheck(
        identifier=outcome.identifier,
        ok=outcome.ok,
        found=outcome.found,
        signature_ok=outcome.signature_ok and outcome.metadata_ok,
        file_digest_ok=outcome.file_digest_ok,
        status=outcome.status,
        type_name=outcome.type_name,
        issuer_name=outcome.issuer_name,
        valid_until=outcome.valid_until,
    )


# The holder's and the verifier's side (亮证, 查证, 用证), for the portal's pages.
from .seals import (  # noqa: E402
    PNG_MAX_BYTES,
    SealInfo,
    is_seal_staff,
    seal_create,
    seal_deactivate,
    seal_image,
    seal_organisations,
    seals_for,
)
from .showing import (  # noqa: E402
    HolderLicence,
    holder_file,
    holder_licence,
    qr_svg,
    read_token,
    show_licence,
    show_seconds,
    wallet,
)
from .uses import (  # noqa: E402
    check_file,
    check_identifier,
    check_token,
    clean_reason,
    preview_token,
    too_many_checks,
)

__all__ = [
    "PNG_MAX_BYTES",
    "HolderLicence",
    "LicenceCheck",
    "LicenceError",
    "LicenceSummary",
    "LicenceTypeInfo",
    "check_file",
    "check_identifier",
    "check_token",
    "clean_reason",
    "holder_file",
    "holder_licence",
    "issue_from_decision",
    "licence_by_identifier",
    "licence_check",
    "licence_file_for_holder",
    "licence_type_info",
    "licence_types_for_issuer",
    "licence_types_named",
    "licence_use_for_case",
    "licences_for_holder",
    "populate_licences_demo",
    "preview_token",
    "qr_svg",
    "read_token",
    "SealInfo",
    "is_seal_staff",
    "seal_create",
    "seal_deactivate",
    "seal_image",
    "seal_organisations",
    "seals_for",
    "show_licence",
    "show_seconds",
    "too_many_checks",
    "valid_licences_for_holder",
    "wallet",
]


def populate_licences_demo() -> dict[str, int]:
    """Load the licences part of the demo (after the catalogue and identity demos,
    before the cases demo): a licence type, its issuer's seal, one licence of a
    demo citizen. Idempotent; returns how many of each kind were created. Raises
    ``LicenceError`` when the demos it builds on are missing."""
    from .demo import populate

    return populate()


# --- 证照批量导入: the workbench page (the rules are licenses.imports) ------------------

from .imports import (  # noqa: E402
    ImportChoice,
    ImportJobView,
    import_choices,
    import_job_view,
    import_jobs_view,
    import_start_view,
    import_template,
)
from .imports import max_upload_bytes as import_max_bytes  # noqa: E402

__all__ += [  # noqa: PLE0605
    "ImportChoice",
    "ImportJobView",
    "import_choices",
    "import_job_view",
    "import_jobs_view",
    "import_max_bytes",
    "import_start_view",
    "import_template",
]
