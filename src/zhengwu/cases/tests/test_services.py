"""The case lifecycle through the services: submission (idempotent, numbered,
materials checked), drafts, acceptance with the process, supplement, refusal,
withdrawal, the workbench to a decision, reuse of materials, extensions."""

import datetime
import re

import pytest

from zhengwu.cases import services, workbench
from zhengwu.cases.constants import CaseStatus, Credibility, TaskStatus
from zhengwu.cases.errors import CaseError
from zhengwu.cases.models import Case, CaseMaterial, Notification, StoredFile
from zhengwu.cases.numbers import case_day
from zhengwu.core.crypto import sm3_hex
from zhengwu.core.models import AuditEvent

from .factories import CONTACT_FORM, PDF_BYTES, World, apply, materials_for

pytestmark = pytest.mark.django_db


def open_tasks(case):
    return list(case.tasks.filter(status__in=[TaskStatus.OPEN, TaskStatus.CLAIMED]))


def decide(case, reviewer, outcome="approve"):
    """Work every task of the case until it is decided (review: pass)."""
    for _round in range(6):
        case.refresh_from_db()
        if case.status != CaseStatus.ACCEPTED:
            return case
        for task in open_tasks(case):
            workbench.task_complete(
                task_id=task.pk,
                acting_user=reviewer,
                outcome=outcome if task.role == "decider" else "pass",
                opinion="符合条件" if outcome == "approve" else "不符合条件",
            )
    case.refresh_from_db()
    return case


def test_apply_submits_a_numbered_case(world: World):
    # when a citizen applies with the form and the necessary materials
    case = apply(world.citizen.user, world.listing_a, key="k1")
    # then the case is submitted with number = code + date + serial
    assert case.status == CaseStatus.SUBMITTED
    assert re.fullmatch(rf"{world.listing_a}\d{{8}}0001", case.number)
    assert case.number[31:39] == f"{case_day():%Y%m%d}"
    assert case.principal_label == f"person:{world.citizen.pk}"
    assert case.applicant_name == "张三"
    assert case.acceptance_due_on is not None
    assert case.materials.count() == 2
    # and the second case of the day gets the next serial
    second = apply(world.citizen.user, world.listing_a, key="k2")
    assert second.number.endswith("0002")
    # and it is audited and the applicant told
    assert AuditEvent.objects.filter(
        event="cases.submitted", target_id=str(case.pk)
    ).exists()
    assert Notification.objects.filter(case=case, event="submitted").exists()


def test_submission_is_idempotent(world: World):
    # given a submitted case
    first = apply(world.citizen.user, world.listing_a, key="same-key")
    # when the same request comes again (a retry, a double click)
    again = apply(world.citizen.user, world.listing_a, key="same-key")
    # then the same case, flagged as a replay, and only one case exists
    assert again.pk == first.pk
    assert getattr(again, "replayed", False) is True
    assert Case.objects.count() == 1


def test_submitting_a_draft_twice_with_the_same_key_returns_it(world: World):
    # given a draft with its materials
    user = world.citizen.user
    draft = services.case_draft_save(
        user=user, acting=None, listing_code=world.listing_a, form_data={}
    )
    for item in materials_for(world.listing_a):
        services.material_upload(user=user, acting=None, case_id=draft.pk, **item)
    # when the draft is resumed, filled and submitted twice
    services.case_draft_save(
        user=user,
        acting=None,
        listing_code=world.listing_a,
        form_data=CONTACT_FORM,
        case_id=draft.pk,
    )
    first = services.case_submit(
        user=user, acting=None, case_id=draft.pk, submission_key="abc"
    )
    second = services.case_submit(
        user=user, acting=None, case_id=draft.pk, submission_key="abc"
    )
    # then one submission
    assert first.pk == second.pk == draft.pk
    assert second.replayed is True
    assert (
        AuditEvent.objects.filter(
            event="cases.submitted", target_id=str(draft.pk)
        ).count()
        == 1
    )


def test_missing_materials_are_named_and_nothing_is_created(world: World):
    # when applying without the necessary materials
    with pytest.raises(CaseError) as raised:
        services.case_apply(
            user=world.citizen.user,
            acting=None,
            listing_code=world.listing_a,
            form_data=CONTACT_FORM,
            submission_key="m1",
            materials=[materials_for(world.listing_a)[0]],
        )
    # then the error names the material
    assert raised.value.code == "cases.missing_materials"
    assert raised.value.status == 422
    assert "申请表" in raised.value.message
    assert raised.value.fields["materials"] == ["请上传“申请表”。"]
    # and nothing is left behind
    assert not Case.objects.exists()
    assert not CaseMaterial.objects.exists()


def test_an_invalid_form_names_each_field(world: World):
    with pytest.raises(CaseError) as raised:
        apply(
            world.citizen.user,
            world.listing_a,
            form={"contact_name": "", "contact_mobile": "12345"},
        )
    assert raised.value.code == "cases.invalid_form"
    assert raised.value.fields["contact_mobile"] == ["请填写11位手机号码。"]
    assert not Case.objects.exists()


def test_unknown_listing_is_a_404(world: World):
    with pytest.raises(CaseError) as raised:
        apply(world.citizen.user, "9" * 31)
    assert raised.value.status == 404
    assert raised.value.fields == {"listing_code": ["该事项不存在或当前不可申请。"]}


def test_upload_sniffs_content_and_hashes(world: World):
    user = world.citizen.user
    draft = services.case_draft_save(
        user=user, acting=None, listing_code=world.listing_a, form_data={}
    )
    # when a PDF is uploaded under a misleading name
    material = services.material_upload(
        user=user,
        acting=None,
        case_id=draft.pk,
        material_name="申请表",
        filename="../../etc/passwd.exe",
        content=PDF_BYTES,
    )
    # then it is kept as a PDF, hashed with SM3, its name without the path
    stored = material.file
    assert stored.content_type == "application/pdf"
    assert stored.sm3 == sm3_hex(PDF_BYTES)
    assert stored.original_name == "passwd.exe"
    assert material.credibility == Credibility.C
    # and an executable named .pdf is refused with the field named
    with pytest.raises(CaseError) as raised:
        services.material_upload(
            user=user,
            acting=None,
            case_id=draft.pk,
            material_name="申请表",
            filename="form.pdf",
            content=b"MZ\x90\x00binary",
        )
    assert raised.value.code == "cases.invalid_file"
    assert "file" in raised.value.fields
    assert StoredFile.objects.count() == 1


def test_upload_size_limit(world: World, settings):
    settings.ZHENGWU_CASE_UPLOAD_MAX_BYTES = 100
    user = world.citizen.user
    draft = services.case_draft_save(
        user=user, acting=None, listing_code=world.listing_a, form_data={}
    )
    with pytest.raises(CaseError) as raised:
        services.material_upload(
            user=user,
            acting=None,
            case_id=draft.pk,
            material_name="申请表",
            filename="big.pdf",
            content=PDF_BYTES + b"0" * 200,
        )
    assert raised.value.code == "cases.file_too_large"
    assert not StoredFile.objects.exists()


def test_accept_starts_the_process_and_the_deadline(world: World):
    case = apply(world.citizen.user, world.listing_a)
    # when a reviewer of the case's department accepts it
    case = services.case_accept(
        case_id=case.pk, acting_user=world.reviewer_a, opinion="材料齐全"
    )
    # then it is accepted, with a due date and a review task for the department
    assert case.status == CaseStatus.ACCEPTED
    assert case.due_on is not None and case.warn_on is not None
    tasks = open_tasks(case)
    assert [(t.node, t.role, t.organisation_id) for t in tasks] == [
        ("review", "reviewer", world.org_a.pk)
    ]
    assert tasks[0].due_on == case.due_on
    assert Notification.objects.filter(case=case, event="accepted").exists()


def test_supplement_round_trip(world: World):
    case = apply(world.citizen.user, world.listing_a)
    # when the reviewer asks for everything missing at once
    services.case_request_supplement(
        case_id=case.pk,
        acting_user=world.reviewer_a,
        items=[
            {"material": "申请表", "reason": "未签字"},
            {"material": "", "reason": "联系电话无法接通"},
        ],
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.SUPPLEMENT_REQUESTED
    # and the applicant uploads the corrected form and answers
    material = services.material_upload(
        user=world.citizen.user,
        acting=None,
        case_id=case.pk,
        material_name="申请表",
        filename="signed.pdf",
        content=PDF_BYTES,
    )
    assert material.supplement_round == 1
    case = services.case_supplement(
        user=world.citizen.user,
        acting=None,
        case_id=case.pk,
        form_data={**CONTACT_FORM, "contact_mobile": "13900000002"},
        note="已补正",
    )
    # then the case is submitted again and the request answered
    assert case.status == CaseStatus.SUBMITTED
    assert case.form_data["contact_mobile"] == "13900000002"
    assert case.supplements.get().answered_at is not None


def test_supplement_request_needs_items(world: World):
    case = apply(world.citizen.user, world.listing_a)
    with pytest.raises(CaseError) as raised:
        services.case_request_supplement(
            case_id=case.pk, acting_user=world.reviewer_a, items=[]
        )
    assert raised.value.fields == {"items": ["请列出需要补正的全部内容。"]}
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED


def test_not_accept_needs_reason_and_legal_basis(world: World):
    case = apply(world.citizen.user, world.listing_a)
    with pytest.raises(CaseError) as raised:
        services.case_not_accept(
            case_id=case.pk,
            acting_user=world.reviewer_a,
            reason="不属于本机关职权",
            legal_basis="",
        )
    assert raised.value.fields == {"legal_basis": ["必填。"]}
    case = services.case_not_accept(
        case_id=case.pk,
        acting_user=world.reviewer_a,
        reason="不属于本机关职权",
        legal_basis="《行政许可法》第三十二条第一款第（二）项",
    )
    assert case.status == CaseStatus.NOT_ACCEPTED
    assert case.legal_basis.startswith("《行政许可法》")


def test_withdraw_cancels_open_tasks(world: World):
    case = apply(world.citizen.user, world.listing_a)
    services.case_accept(case_id=case.pk, acting_user=world.reviewer_a)
    case = services.case_withdraw(user=world.citizen.user, acting=None, case_id=case.pk)
    assert case.status == CaseStatus.WITHDRAWN
    assert not open_tasks(case)
    with pytest.raises(CaseError) as raised:
        services.case_withdraw(user=world.citizen.user, acting=None, case_id=case.pk)
    assert raised.value.code == "cases.invalid_transition"


def test_workbench_drives_the_case_to_a_decision(world: World):
    case = apply(world.citizen.user, world.listing_a)
    services.case_accept(case_id=case.pk, acting_user=world.reviewer_a)
    review = open_tasks(case)[0]
    # claim, return, hand over
    workbench.task_claim(task_id=review.pk, acting_user=world.reviewer_a)
    workbench.task_return(
        task_id=review.pk, acting_user=world.reviewer_a, reason="回避"
    )
    workbench.task_hand_over(
        task_id=review.pk, acting_user=world.reviewer_a, to_user_id=world.approver_a.pk
    )
    review.refresh_from_db()
    assert review.assignee == world.approver_a
    # the reviewer no longer holds it
    with pytest.raises(CaseError):
        workbench.task_complete(
            task_id=review.pk, acting_user=world.reviewer_a, outcome="pass"
        )
    # when the assignee passes the review
    workbench.task_complete(
        task_id=review.pk, acting_user=world.approver_a, outcome="pass", opinion="同意"
    )
    decision_task = open_tasks(case)[0]
    assert (decision_task.node, decision_task.role) == ("decide", "decider")
    # and the decider approves
    workbench.task_complete(
        task_id=decision_task.pk,
        acting_user=world.reviewer_a,
        outcome="approve",
        opinion="准予许可",
    )
    # then the case is approved with its opinion and decision document
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED
    assert case.decision_opinion == "准予许可"
    assert case.decided_by == world.reviewer_a
    assert case.result_document is not None
    assert Notification.objects.filter(case=case, event="decided").exists()
    # and the issuing task follows
    assert [t.node for t in open_tasks(case)] == ["issue"]
    # and the timeline names each step that was completed
    from zhengwu.cases.selectors import case_timeline

    labels = [entry.label for entry in case_timeline(case)]
    assert f"完成办理环节：{review.name}" in labels
    assert f"完成办理环节：{decision_task.name}" in labels


def test_deny_needs_an_opinion(world: World):
    case = apply(world.citizen.user, world.listing_a)
    services.case_accept(case_id=case.pk, acting_user=world.reviewer_a)
    task = open_tasks(case)[0]
    with pytest.raises(CaseError) as raised:
        workbench.task_complete(
            task_id=task.pk, acting_user=world.reviewer_a, outcome="deny"
        )
    assert raised.value.fields == {"opinion": ["请填写意见。"]}


def test_reuse_of_an_earlier_material(world: World):
    # given an earlier case of the citizen
    earlier = apply(world.citizen.user, world.listing_a)
    source = earlier.materials.get(material_name="居民身份证")
    # when a new draft reuses it
    draft = services.case_draft_save(
        user=world.citizen.user,
        acting=None,
        listing_code=world.listing_b,
        form_data=CONTACT_FORM,
    )
    material = services.material_reuse(
        user=world.citizen.user,
        acting=None,
        case_id=draft.pk,
        material_name="居民身份证",
        source_material_id=source.pk,
    )
    # then it points to the same stored file
    assert material.file_id == source.file_id
    assert material.reused_from == source
    # and another citizen cannot reuse it
    other_draft = services.case_draft_save(
        user=world.other_citizen.user,
        acting=None,
        listing_code=world.listing_b,
        form_data=CONTACT_FORM,
    )
    with pytest.raises(CaseError) as raised:
        services.material_reuse(
            user=world.other_citizen.user,
            acting=None,
            case_id=other_draft.pk,
            material_name="居民身份证",
            source_material_id=source.pk,
        )
    assert raised.value.status == 404
    assert other_draft.materials.count() == 0


def test_extension_needs_another_approver_and_respects_the_cap(world: World):
    case = apply(world.citizen.user, world.listing_a)
    case = services.case_accept(case_id=case.pk, acting_user=world.reviewer_a)
    due = case.due_on
    extension = services.extension_request(
        case_id=case.pk, acting_user=world.reviewer_a, days=5, reason="情况复杂"
    )
    # the requester cannot approve it
    with pytest.raises(CaseError) as raised:
        services.extension_decide(
            extension_id=extension.pk, acting_user=world.reviewer_a, approve=True
        )
    assert raised.value.code == "cases.extension_same_user"
    # a reviewer of another department cannot see it
    with pytest.raises(CaseError) as raised:
        services.extension_decide(
            extension_id=extension.pk, acting_user=world.reviewer_b, approve=True
        )
    assert raised.value.status == 404
    # another reviewer of the department approves it: the due date moves
    services.extension_decide(
        extension_id=extension.pk, acting_user=world.approver_a, approve=True
    )
    case.refresh_from_db()
    assert case.extended_days == 5
    assert case.due_on > due
    # and more than 10 days in all is refused (single department)
    with pytest.raises(CaseError) as raised:
        services.extension_request(
            case_id=case.pk, acting_user=world.reviewer_a, days=6, reason="再延"
        )
    assert raised.value.code == "cases.extension_cap"


def test_pause_moves_the_due_date(world: World):
    case = apply(world.citizen.user, world.listing_a)
    case = services.case_accept(case_id=case.pk, acting_user=world.reviewer_a)
    services.pause_start(
        case_id=case.pk, acting_user=world.reviewer_a, name="专家评审", reason="第45条"
    )
    case.refresh_from_db()
    assert case.deadline_state == "paused"
    with pytest.raises(CaseError):
        services.pause_start(
            case_id=case.pk, acting_user=world.reviewer_a, name="检验", reason="第45条"
        )
    pause = services.pause_end(
        case_id=case.pk, acting_user=world.reviewer_a, result="评审通过"
    )
    case.refresh_from_db()
    assert pause.ended_on is not None
    assert case.deadline_state != "paused"


def test_handling_config_set_by_the_department_editor(world: World):
    # when the listing's department editor sets a form
    schema = {
        "type": "object",
        "properties": {"age": {"type": "integer", "title": "年龄", "minimum": 0}},
        "required": ["age"],
    }
    config = services.handling_config_set(
        listing_code=world.listing_a, acting_user=world.editor_a, form_schema=schema
    )
    assert config.form_schema == schema
    assert AuditEvent.objects.filter(event="cases.handling_configured").exists()
    # and an invalid schema is refused on its field
    with pytest.raises(CaseError) as raised:
        services.handling_config_set(
            listing_code=world.listing_a,
            acting_user=world.editor_a,
            form_schema={"type": "object", "properties": {"a": {"type": "nonsense"}}},
        )
    assert "form_schema" in raised.value.fields
    # and a reviewer may not change it
    with pytest.raises(CaseError) as raised:
        services.handling_config_set(
            listing_code=world.listing_a, acting_user=world.reviewer_a, form_schema={}
        )
    assert raised.value.status == 403


def test_decision_days_are_counted_from_acceptance(world: World):
    case = apply(world.citizen.user, world.listing_a)
    case = services.case_accept(case_id=case.pk, acting_user=world.reviewer_a)
    accepted_on = case.accepted_at.astimezone(datetime.UTC).date()
    assert case.due_on > accepted_on


def test_a_custom_process_needs_its_key(world: World):
    with pytest.raises(CaseError) as raised:
        services.handling_config_set(
            listing_code=world.listing_a,
            acting_user=world.editor_a,
            process_template="custom",
        )
    assert "process_key" in raised.value.fields
    with pytest.raises(CaseError) as raised:
        services.handling_config_set(
            listing_code=world.listing_a,
            acting_user=world.editor_a,
            process_template="custom",
            process_key="never_uploaded",
        )
    assert raised.value.fields == {"process_key": ["尚未上传该标识的模型。"]}


def test_decision_key_must_name_an_uploaded_decision_table(world: World):
    from pathlib import Path

    from zhengwu.workflows import facade as workflows

    with pytest.raises(CaseError) as raised:
        services.handling_config_set(
            listing_code=world.listing_a,
            acting_user=world.editor_a,
            decision_key="rules_a",
        )
    assert raised.value.fields == {"decision_key": ["尚未上传该标识的模型。"]}
    dmn = Path(workflows.__file__).parent / "templates_bpmn"
    workflows.upload_decision(
        key="rules_a",
        name="秒批",
        xml=(dmn / "sample_instant_approval.dmn").read_bytes(),
        acting_user=world.editor_a,
    )
    config = services.handling_config_set(
        listing_code=world.listing_a, acting_user=world.editor_a, decision_key="rules_a"
    )
    assert config.decision_key == "rules_a"
