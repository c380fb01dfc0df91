"""The decision document (决定书) of a case: a generated PDF with the department's
details, kept as a StoredFile (SM3-hashed) and linked as the case's result."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

import structlog

from zhengwu.core import audit, pdf

from .constants import CaseStatus
from .files import store_generated
from .models import Case, StoredFile

logger = structlog.get_logger(__name__)

LEFT, RIGHT = 72.0, pdf.PAGE_WIDTH - 72.0


def document_title(case: Case) -> str:
    if case.status == CaseStatus.NOT_ACCEPTED:
        return _("不予受理决定书")
    if case.status == CaseStatus.DENIED:
        return _("不予%(item)s决定书") % {"item": case.item_name}
    return _("准予%(item)s决定书") % {"item": case.item_name}


def _chinese_date(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def decision_pdf(case: Case) -> bytes:
    """One A4 page (more if the opinion is long): title, number, applicant, item,
    decision and opinion, legal basis, remedies for a refusal, the department's
    name, address and telephone, the date."""
    canvas, buffer, font = pdf.canvas()
    organisation = case.organisation
    title = document_title(case)
    decided_on = timezone.localdate(case.decided_at or timezone.now())
    canvas.setTitle(title)
    canvas.setAuthor(organisation.name)
    y = pdf.PAGE_HEIGHT - 90

    def line(
        text: str, *, size: float = 12, gap: float = 22, indent: float = 0
    ) -> None:
        nonlocal y
        for part in pdf.wrap(text, font=font, size=size, width=RIGHT - LEFT - indent):
            if y < 90:
                canvas.showPage()
                y = pdf.PAGE_HEIGHT - 90
            canvas.setFont(font, size)
            canvas.drawString(LEFT + indent, y, part)
            y -= gap

    canvas.setFont(font, 22)
    canvas.drawCentredString(pdf.PAGE_WIDTH / 2, y, title)
    y -= 30
    canvas.setFont(font, 11)
    canvas.drawCentredString(
        pdf.PAGE_WIDTH / 2, y, _("办件编号：%(number)s") % {"number": case.number}
    )
    y -= 40
    line(f"{case.applicant_name}：")
    submitted = timezone.localdate(case.submitted_at) if case.submitted_at else None
    intro = _(
        "你（单位）%(when)s提出的“%(item)s”申请（办件编号：%(number)s），"
        "本机关已依法审查。"
    ) % {
        "when": _chinese_date(submitted) if submitted else "",
        "item": case.item_name,
        "number": case.number,
    }
    line(intro, indent=24)
    if case.status == CaseStatus.APPROVED:
        decision = _("经审查，申请符合法定条件、标准，本机关决定准予办理。")
    elif case.status == CaseStatus.DENIED:
        decision = _("经审查，申请不符合法定条件、标准，本机关决定不予办理。")
    elif case.status == CaseStatus.NOT_ACCEPTED:
        decision = _(
            "经审查，该申请不属于受理范围或不符合受理条件，本机关决定不予受理。"
        )
    else:
        decision = _("办理结果：%(status)s。") % {"status": case.get_status_display()}
    line(decision, indent=24)
    if case.decision_opinion:
        line(_("办理意见：%(opinion)s") % {"opinion": case.decision_opinion}, indent=24)
    if case.legal_basis:
        line(_("法律依据：%(basis)s") % {"basis": case.legal_basis}, indent=24)
    if case.decided_by_rule:
        line(_("本决定由系统依规则自动作出（秒批）。"), indent=24)
    if case.status in (CaseStatus.DENIED, CaseStatus.NOT_ACCEPTED):
        line(
            _(
                "如不服本决定，可以自收到本决定书之日起六十日内依法申请行政复议，"
                "或者在六个月内依法向人民法院提起行政诉讼。"
            ),
            indent=24,
        )
    y -= 30
    for text in (
        organisation.name,
        _("地址：%(address)s") % {"address": organisation.address or "—"},
        _("联系电话：%(phone)s") % {"phone": organisation.phone or "—"},
        _chinese_date(decided_on),
    ):
        canvas.setFont(font, 12)
        width = canvas.stringWidth(text, font, 12)
        if y < 72:
            canvas.showPage()
            y = pdf.PAGE_HEIGHT - 90
        canvas.drawString(RIGHT - width, y, text)
        y -= 22
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def decision_document_create(*, case: Case) -> StoredFile:
    """Generate the decision document at the decision, in the caller's transaction,
    and link it as ``case.result_document``."""
    content = decision_pdf(case)
    stored = store_generated(
        content=content,
        filename=f"{document_title(case)}-{case.number}.pdf",
        content_type="application/pdf",
    )
    case.result_document = stored
    case.save(update_fields=["result_document", "updated_at"])
    audit.record(
        acting_user=None,
        actor_label="system:documents",
        event="cases.result_document_generated",
        target=case,
        data={"file": str(stored.pk), "sm3": stored.sm3},
    )
    logger.info("decision_document_created", case_id=case.pk, file_id=str(stored.pk))
    return stored
