"""Electronic licences in the case flow, through ``licenses.facade`` only: the
licence issued on an approving decision (制证), and a valid licence of the
applicant used instead of uploading a material (免于提交)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

import structlog

from zhengwu.catalog.facade import listing_for_application, material_applies
from zhengwu.core import audit
from zhengwu.identity.facade import ActingFor, applicant_profile, principal_code
from zhengwu.licenses import facade as licences

from . import errors
from .constants import Credibility
from .errors import CaseError, field_error
from .files import store_generated
from .models import Case, CaseMaterial, HandlingConfig

logger = structlog.get_logger(__name__)

SYSTEM_DECISION = "system:decision"
LICENCE_MATERIAL_TYPE = "certificate"
LICENCE_MATERIAL_SOURCE = "20"  # 政府部门核发


# --- issue on decision ------------------------------------------------------------


def issue_case_licence(case: Case, *, acting_user: AbstractBaseUser | None) -> None:
    """On approval of a case whose listing issues a licence: issue it to the
    case's principal (face data from the form fields named like the type's face
    fields) and keep its identifier on the case. Idempotent: a case holding an
    identifier issues nothing, and the licences app returns the licence already
    issued from this case number. A refusal by the licences app refuses the
    decision (its transaction rolls back) with the reasons named."""
    if case.licence_identifier:
        return
    config = HandlingConfig.objects.filter(listing_code=case.listing_code).first()
    code = config.licence_type_code if config is not None else ""
    if not code:
        return
    info = licences.licence_type_info(code)
    if info is None:
        raise CaseError(
            errors.LICENCE_NOT_ISSUED,
            _("办理配置中的电子证照类型不存在，无法颁发证照。"),
            status=409,
        )
    form = case.form_data or {}
    face = {name: form[name] for name in info.face_fields if name in form}
    profile = applicant_profile(None, case.principal_label)
    try:
        summary = licences.issue_from_decision(
            type_code=code,
            issuer_organisation_id=case.organisation_id,
            holder_label=case.principal_label,
            holder_code=principal_code(case.principal_label),
            holder_name=profile.name if profile is not None else case.applicant_name,
            face_data=face,
            source_case_number=case.number or "",
        )
    except licences.LicenceError as error:
        # face data errors name the application form's field of the same name
        fields = {
            key.removeprefix("face_data."): reasons
            for key, reasons in error.fields.items()
        }
        details = "；".join(
            f"{name}：{'、'.join(str(r) for r in reasons)}"
            for name, reasons in fields.items()
        )
        raise CaseError(
            errors.LICENCE_NOT_ISSUED,
            _("电子证照未能颁发，未作出准予决定：%(reason)s%(details)s")
            % {
                "reason": error.message,
                "details": f"（{details}）" if details else "",
            },
            fields=fields,
            status=409,
            licence_code=error.code,
        ) from error
    case.licence_identifier = summary.identifier
    case.save(update_fields=["licence_identifier", "updated_at"])
    audit.record(
        acting_user=acting_user,
        actor_label="" if acting_user is not None else SYSTEM_DECISION,
        event="cases.licence_issued",
        target=case,
        data={"number": case.number, "identifier": summary.identifier},
    )
    logger.info("case_licence_issued", case_id=case.pk, type_code=code)


# --- reuse instead of an upload ---------------------------------------------------


def licence_materials(
    listing: Any, config: HandlingConfig | None, handling_item_code: str = ""
) -> dict[str, tuple[str, ...]]:
    """``{material name: (licence type code, ...)}`` of the guide's materials a
    licence may replace: materials of type "certificate" or source "20"
    (government-issued) named like a licence type, or mapped on the handling
    settings (``licence_materials``)."""
    mapping = (config.licence_materials or {}) if config is not None else {}
    candidates = [
        m
        for m in listing.guide.materials
        if material_applies(m, handling_item_code)
        and (
            m.material_type == LICENCE_MATERIAL_TYPE
            or m.source == LICENCE_MATERIAL_SOURCE
            or m.name in mapping
        )
    ]
    if not candidates:
        return {}
    named = licences.licence_types_named(m.name for m in candidates)
    result: dict[str, tuple[str, ...]] = {}
    for material in candidates:
        codes = list(named.get(material.name, ()))
        mapped = mapping.get(material.name)
        if isinstance(mapped, str) and mapped and mapped not in codes:
            codes.append(mapped)
        if codes:
            result[material.name] = tuple(codes)
    return result


def offered_licences(
    *, listing_code: str, principal_label: str, handling_item_code: str = ""
) -> dict[str, tuple[licences.LicenceSummary, ...]]:
    """The valid licences of ``principal_label`` offered per material of the
    listing's guide (the caller checked the user applies for the principal)."""
    listing = listing_for_application(listing_code)
    if listing is None or not principal_label:
        return {}
    config = HandlingConfig.objects.filter(listing_code=listing_code).first()
    offered = {}
    for name, codes in licence_materials(listing, config, handling_item_code).items():
        found = licences.valid_licences_for_holder(principal_label, codes)
        if found:
            offered[name] = found
    return offered


@transaction.atomic
def material_licence_use(
    *,
    user: AbstractBaseUser,
    acting: ActingFor | None,
    case_id: int,
    material_name: str,
    licence_identifier: Any,
    consent: bool,
) -> CaseMaterial:
    """Use a valid licence of the case's principal instead of uploading the
    material (免于提交): the applicant's explicit consent is required; the licence
    must be one the principal holds, of a type that replaces the material. The
    material keeps the licence identifier and a copy of its PDF (credibility A:
    made by the issuing authority)."""
    from .services import _applicant_case, _material_editable, _material_name

    case = _applicant_case(user, acting, case_id)
    _material_editable(case)
    name = _material_name(case, material_name)
    if consent is not True:
        raise field_error(
            errors.CONSENT_REQUIRED,
            "consent",
            _("使用电子证照代替“%(name)s”前，请勾选同意调用您的电子证照。")
            % {"name": name[:50]},
        )
    identifier = str(licence_identifier or "").strip()[:120]
    listing = listing_for_application(case.listing_code)
    config = HandlingConfig.objects.filter(listing_code=case.listing_code).first()
    codes = (
        licence_materials(listing, config, case.handling_item_code).get(name, ())
        if listing is not None
        else ()
    )
    held = {
        s.identifier: s
        for s in licences.valid_licences_for_holder(case.principal_label, codes)
    }
    summary = held.get(identifier)
    content = (
        licences.licence_file_for_holder(identifier, case.principal_label)
        if summary is not None
        else None
    )
    if summary is None or content is None:
        raise field_error(
            errors.LICENCE_UNAVAILABLE,
            "licence_identifier",
            _("找不到您可用于“%(name)s”的有效电子证照。") % {"name": name[:50]},
            status=404,
        )
    stored = store_generated(
        content=content,
        filename=f"{summary.type_name}.pdf",
        content_type="application/pdf",
    )
    material = CaseMaterial.objects.create(
        case=case,
        material_name=name,
        file=stored,
        credibility=Credibility.A,
        supplement_round=case.supplements.count(),
        uploaded_by=user,
        licence_identifier=summary.identifier,
    )
    audit.record(
        acting_user=user,
        event="cases.material_licence_used",
        target=case,
        data={
            "material": name,
            "identifier": summary.identifier,
            "file": str(stored.pk),
            "sm3": stored.sm3,
            "consent": True,
        },
    )
    return material


def record_licence_uses(case: Case, *, acting_user: AbstractBaseUser | None) -> None:
    """On submission (the case has its number): record the use of each licence
    handed in instead of a material (用证, reason "办件 <number>") in the licences
    app's use records, as made by the case's handling department with the
    applicant who consented as who acted, and in the case's audit trail."""
    for identifier in (
        case.materials.exclude(licence_identifier="")
        .values_list("licence_identifier", flat=True)
        .distinct()
    ):
        check = licences.licence_use_for_case(
            identifier,
            case_number=case.number or "",
            organisation_id=case.organisation_id,
            user=acting_user,
        )
        audit.record(
            acting_user=acting_user,
            event="cases.licence_used",
            target=case,
            data={
                "identifier": identifier,
                "reason": f"办件 {case.number}",
                "status": check.status,
            },
        )


def wallet_licence_ids(case: Case) -> dict[str, int]:
    """``{identifier: id of the licence in 我的证照}`` of the licences of
    ``case`` (issued on its decision, handed in instead of a material) that its
    principal holds, for links to the holder's licence page (the caller checked
    who may see the case; the page checks again who asks)."""
    identifiers = {
        case.licence_identifier,
        *case.materials.exclude(licence_identifier="").values_list(
            "licence_identifier", flat=True
        ),
    } - {""}
    found = {}
    for identifier in sorted(identifiers):
        summary = licences.licence_by_identifier(identifier)
        if summary is not None and summary.holder_label == case.principal_label:
            found[identifier] = summary.licence_id
    return found


def licence_checks(case: Case) -> dict[str, licences.LicenceCheck]:
    """The verification of every licence handed in with ``case`` (for the
    reviewer who may see the case), by identifier."""
    return {
        identifier: licences.licence_check(identifier)
        for identifier in case.materials.exclude(licence_identifier="")
        .values_list("licence_identifier", flat=True)
        .distinct()
    }


# --- handling settings ---------------------------------------------------------------


def issuable_licence_types(
    listing: Any, config: HandlingConfig | None
) -> list[tuple[str, str]]:
    """(type code, "name（code）") of the licence types the listing may issue on
    approval, for the settings page: every type the listing's organisation
    defines or is authorised to issue (those named like the guide's result, the
    item or one of its materials first), and the type set now even when the
    organisation may no longer issue it (so the page shows what is saved)."""
    names = [listing.guide.result_name, listing.item_name]
    names += [m.name for m in listing.guide.materials]
    named = {n for n in names if n}
    types = list(licences.licence_types_for_issuer(listing.organisation_id))
    current = config.licence_type_code if config is not None else ""
    if current and all(info.type_code != current for info in types):
        info = licences.licence_type_info(current)
        if info is not None:
            types.append(info)
    types.sort(key=lambda info: (info.name not in named, info.name, info.type_code))
    return [(info.type_code, f"{info.name}（{info.type_code}）") for info in types]


def licence_type_exists(code: str) -> bool:
    return licences.licence_type_info(code) is not None
