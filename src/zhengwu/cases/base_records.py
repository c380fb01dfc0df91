"""免于提交 from the shared base records: a guide material that is data the
platform holds (居民身份证 → the applicant's verified identity record in the
population base records, 营业执照 → the entity's record in the legal-person base
records) is fetched instead of uploaded. For an entity's application the
居民身份证 asked for is the filing person's (经办人): their own verified identity
record is used.

The listing's handling settings map material names to a ``BaseRecordKind``
(``HandlingConfig.base_record_materials``). On submission, each mapped material
the applicant did not hand in is made from the base record (``identity.facade
base_record_extract``, read-only): a generated PDF extract kept as a system file,
credibility A (standards §5.3: made on the authority's side, usable directly, no
original to check), marked with its kind, audited. A material the base records do
not hold for the principal (an L1 person, a deregistered entity) stays to be
uploaded like any other."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone
from django.utils.translation import gettext as _

import structlog

from zhengwu.catalog.facade import material_applies
from zhengwu.core import audit, pdf
from zhengwu.identity.facade import (
    ActingFor,
    BaseRecordExtract,
    base_record_extract,
    person_label_for_user,
    staff_scope,
)

from .constants import BaseRecordKind, Channel, Credibility
from .files import store_generated
from .models import Case, CaseMaterial, HandlingConfig

logger = structlog.get_logger(__name__)

LEFT, RIGHT = 72.0, pdf.PAGE_WIDTH - 72.0


def mapped_materials(
    listing: Any, config: HandlingConfig | None, handling_item_code: str = ""
) -> dict[str, str]:
    """``{material name: base-record kind}`` of the guide's materials (for the
    handling item) the settings say to fetch from the base records."""
    mapping = (config.base_record_materials or {}) if config is not None else {}
    if not isinstance(mapping, dict) or not mapping:
        return {}
    return {
        m.name: mapping[m.name]
        for m in listing.guide.materials
        if m.name in mapping
        and mapping[m.name] in BaseRecordKind.values
        and material_applies(m, handling_item_code)
    }


def record_holder(principal_label: str, kind: str, acting_person_label: str) -> str:
    """Whose base record stands for a material of ``kind``: the principal's; but
    for an entity's application, the 居民身份证 asked for is that of the person
    filing on the entity's behalf (经办人), so their own identity record
    (``acting_person_label``, ``person:<pk>`` of the acting user) is used."""
    if (
        kind == BaseRecordKind.PERSON_IDENTITY
        and principal_label.startswith("entity:")
        and acting_person_label.startswith("person:")
    ):
        return acting_person_label
    return principal_label


def filing_person_label(user: Any, acting: ActingFor | None) -> str:
    """``person:<pk>`` of ``user`` when they file online themself (for their own
    entity, or under an authorisation), whose identity record may then stand for
    an entity's representative's 居民身份证; "" at a counter or a village service
    point, where the clerk's identity is not the representative's."""
    if acting is not None and (
        acting.basis != "authorisation"
        or staff_scope(user).service_point_organisation_ids
    ):
        return ""
    return person_label_for_user(user)


def fetchable_materials(
    listing: Any,
    config: HandlingConfig | None,
    principal_label: str,
    handling_item_code: str = "",
    *,
    acting_person_label: str = "",
) -> dict[str, BaseRecordExtract]:
    """The mapped materials the base records hold for ``principal_label`` (the
    caller checked who asks for it), with the extract each would be made of.
    ``acting_person_label`` is the acting user's own person (``person:<pk>``):
    for an entity's application, their identity record stands for the
    representative's 居民身份证 (record_holder)."""
    found = {}
    for name, kind in mapped_materials(listing, config, handling_item_code).items():
        holder = record_holder(principal_label, kind, acting_person_label)
        extract = base_record_extract(holder, kind) if holder else None
        if extract is not None:
            found[name] = extract
    return found


def extract_pdf(extract: BaseRecordExtract, *, case: Case, material: str) -> bytes:
    """One A4 page: the material it stands for, the base record's rows, the
    source, the item applied for and the time it was fetched."""
    canvas, buffer, font = pdf.canvas()
    canvas.setTitle(extract.title)
    canvas.setAuthor(extract.source)
    y = pdf.PAGE_HEIGHT - 90

    def line(text: str, *, size: float = 12, gap: float = 22) -> None:
        nonlocal y
        for part in pdf.wrap(text, font=font, size=size, width=RIGHT - LEFT):
            if y < 90:
                canvas.showPage()
                y = pdf.PAGE_HEIGHT - 90
            canvas.setFont(font, size)
            canvas.drawString(LEFT, y, part)
            y -= gap

    canvas.setFont(font, 18)
    canvas.drawCentredString(pdf.PAGE_WIDTH / 2, y, extract.title)
    y -= 40
    line(_("代替材料：%(name)s") % {"name": material})
    if extract.principal_label != case.principal_label:
        line(
            _("（代表%(entity)s办理的经办人本人的信息）")
            % {"entity": case.applicant_name or _("申请单位")}
        )
    for label, value in extract.rows:
        line(f"{label}：{value or '—'}")
    y -= 10
    line(
        _("本材料由平台从%(source)s调取生成，申请人免于提交。")
        % {"source": extract.source},
        size=10,
        gap=18,
    )
    line(
        _("办理事项：%(item)s  调取时间：%(when)s")
        % {
            "item": case.item_name,
            "when": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
        },
        size=10,
        gap=18,
    )
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def fetch_base_record_materials(
    case: Case,
    listing: Any,
    config: HandlingConfig | None,
    *,
    acting_user: AbstractBaseUser,
) -> list[CaseMaterial]:
    """Make each mapped material the applicant did not hand in from the base
    records (in the caller's transaction, on submission). Returns what was made."""
    present = set(case.materials.values_list("material_name", flat=True))
    made = []
    for name, extract in fetchable_materials(
        listing,
        config,
        case.principal_label,
        case.handling_item_code,
        acting_person_label=person_label_for_user(acting_user)
        if case.channel == Channel.ONLINE
        else "",
    ).items():
        if name in present:
            continue
        stored = store_generated(
            content=extract_pdf(extract, case=case, material=name),
            filename=f"{name}（{extract.source}）.pdf",
            content_type="application/pdf",
        )
        material = CaseMaterial.objects.create(
            case=case,
            material_name=name,
            file=stored,
            credibility=Credibility.A,
            supplement_round=case.supplements.count(),
            uploaded_by=acting_user,
            base_record_kind=extract.kind,
        )
        audit.record(
            acting_user=acting_user,
            event="cases.material_base_record_fetched",
            target=case,
            data={
                "material": name,
                "kind": extract.kind,
                "file": str(stored.pk),
                "sm3": stored.sm3,
                # whose record: the principal's, or the filing person's own
                # identity record for an entity's application
                "record_of": extract.principal_label,
            },
        )
        made.append(material)
    if made:
        logger.info("case_base_records_fetched", case_id=case.pk, count=len(made))
    return made
