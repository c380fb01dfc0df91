"""秒批 on a listing that issues an electronic licence: when the licence cannot be
issued (face data missing, no active seal) the case is neither refused nor lost —
it falls back to manual review with the reason audited; a reviewer's manual
approval is still refused, with a message naming the cause."""

from __future__ import annotations

from pathlib import Path

import pytest

from zhengwu.cases import services
from zhengwu.cases.constants import CaseStatus
from zhengwu.cases.errors import CaseError
from zhengwu.core.models import AuditEvent
from zhengwu.identity.tests.person_factories import make_citizen
from zhengwu.licenses import facade as licences
from zhengwu.licenses.tests.factories import FACE_DATA, licence_world  # noqa: F401
from zhengwu.workflows import facade as workflows

from .factories import CONTACT_FORM, World, configure, materials_for, published_listing
from .test_licence_reuse import FORM_SCHEMA
from .test_services import decide

pytestmark = pytest.mark.django_db

DMN = Path(workflows.__file__).parent / "templates_bpmn" / "sample_instant_approval.dmn"
SCHEMA = {
    **FORM_SCHEMA,
    "properties": {
        **FORM_SCHEMA["properties"],
        "province": {"type": "string", "title": "户籍省份"},
    },
}


@pytest.fixture
def instant_issuing(world: World, licence_world):  # noqa: F811
    """A listing of the licence bureau deciding by 秒批 and issuing a licence."""
    workflows.upload_decision(
        key="retirement_instant",
        name="职工正常退休秒批",
        xml=DMN.read_bytes(),
        acting_user=world.editor_a,
    )
    code = published_listing(licence_world.bureau, name="职业资格秒批认定")
    configure(
        code,
        form_schema=SCHEMA,
        decision_key="retirement_instant",
        licence_type_code=licence_world.licence_type.type_code,
    )
    return code, licence_world


def _apply(user, code, form, key):
    return services.case_apply(
        user=user,
        acting=None,
        listing_code=code,
        form_data=form,
        submission_key=key,
        materials=materials_for(code),
    )


def test_instant_approval_issues_the_licence_when_it_can(instant_issuing):
    code, _lw = instant_issuing
    elder = make_citizen("孙德厚", born="19560720")
    case = _apply(
        elder.user, code, {**CONTACT_FORM, **FACE_DATA, "province": "辽宁省"}, "ok"
    )
    assert case.status == CaseStatus.APPROVED
    assert case.licence_identifier
    assert not AuditEvent.objects.filter(event="cases.instant_fell_back").exists()


def test_a_licence_that_cannot_be_issued_sends_instant_approval_to_review(
    instant_issuing,
):
    code, lw = instant_issuing
    elder = make_citizen("孙德厚", born="19560720")
    # when the rule matches but the form lacks the licence's face data
    case = _apply(
        elder.user, code, {**CONTACT_FORM, "gender": "男", "province": "辽宁省"}, "fb"
    )
    # then the case is not refused and not decided: it waits for manual review
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
    assert case.number
    assert case.decided_at is None and case.accepted_at is None
    assert case.decided_by_rule == ""
    assert not case.licence_identifier
    assert not licences.licences_for_holder(case.principal_label)
    assert case.result_document_id is None
    # the reason is audited; nothing of the undone approval stays recorded
    event = AuditEvent.objects.get(
        event="cases.instant_fell_back", target_id=str(case.pk)
    )
    assert event.data["code"] == "cases.licence_not_issued"
    assert event.data["licence_code"]
    assert "qualification" in event.data["fields"]
    assert "电子证照未能颁发" in event.data["reason"]
    assert not AuditEvent.objects.filter(
        event__in=["cases.instant_decided", "cases.accepted", "cases.licence_issued"],
        target_id=str(case.pk),
    ).exists()
    # and it is in the department's normal queue: a reviewer accepts it
    services.case_accept(case_id=case.pk, acting_user=lw.reviewer)
    case.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED
    # the reviewer's manual approval is still refused, naming the cause
    with pytest.raises(CaseError) as raised:
        decide(case, lw.reviewer)
    assert raised.value.code == "cases.licence_not_issued"
    assert "未作出准予决定" in raised.value.message
    assert "qualification" in raised.value.message
    case.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED
