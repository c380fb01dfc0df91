"""The decision document: a PDF with an embedded CJK font, the case number and the
department's details, stored with its SM3 digest and linked as the result."""

import io

import pytest
from pypdf import PdfReader

from zhengwu.cases.constants import CaseStatus
from zhengwu.cases.documents import decision_document_create, document_title
from zhengwu.core.crypto import sm3_hex
from zhengwu.core.models import AuditEvent, Organisation

from .sidechannel_helpers import citizen_case

pytestmark = pytest.mark.django_db


def _text(stored) -> str:
    with stored.file.open("rb") as handle:
        content = handle.read()
    reader = PdfReader(io.BytesIO(content))
    return "".join(page.extract_text() for page in reader.pages), content, reader


def test_approval_document(world):
    # given an approved case of a department with an address and telephone
    Organisation.objects.filter(pk=world.org_a.pk).update(
        address="沈阳市和平区市府大路260号", phone="024-12345"
    )
    case = citizen_case(
        world,
        status=CaseStatus.APPROVED,
        decision_opinion="材料齐全，符合法定条件。",
        legal_basis="《中华人民共和国行政许可法》第三十八条",
    )
    case.organisation.refresh_from_db()

    # when the document is generated
    stored = decision_document_create(case=case)

    # then a PDF naming the decision, the number, the department and its details
    text, content, reader = _text(stored)
    assert content.startswith(b"%PDF-")
    assert stored.content_type == "application/pdf"
    assert stored.sm3 == sm3_hex(content)
    assert f"准予{case.item_name}决定书" in text
    assert case.number in text
    assert "沈阳市市场监督管理局" in text
    assert "市府大路260号" in text
    assert "024-12345" in text
    assert "第三十八条" in text
    assert "张三" in text
    # the CJK font is embedded (TrueType), not referenced
    fonts = reader.pages[0]["/Resources"]["/Font"]
    embedded = [
        font.get_object()
        for font in fonts.values()
        if "/FontFile2" in font.get_object().get("/FontDescriptor", {})
    ]
    assert embedded
    case.refresh_from_db()
    assert case.result_document_id == stored.pk
    assert AuditEvent.objects.filter(
        event="cases.result_document_generated", target_id=str(case.pk)
    ).exists()


def test_refusal_document_names_the_remedies(world):
    case = citizen_case(
        world, status=CaseStatus.DENIED, decision_opinion="不符合条件" * 80
    )
    stored = decision_document_create(case=case)
    text, _content, reader = _text(stored)
    assert document_title(case) in text
    assert "行政复议" in text
    assert len(reader.pages) >= 1


def test_not_accepted_title(world):
    case = citizen_case(world, status=CaseStatus.NOT_ACCEPTED)
    assert document_title(case) == "不予受理决定书"
