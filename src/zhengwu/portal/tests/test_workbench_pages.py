"""Staff case workbench pages: the inbox, the case page and its actions. A reviewer of
department A cannot open or act on department B's cases (404, nothing changes); the
acceptance forms show Chinese errors on their fields and change nothing on bad
input."""

import pytest

from zhengwu.cases.constants import CaseStatus, TaskStatus
from zhengwu.cases.models import Case, CaseTask, SupplementRequest
from zhengwu.cases.tests.factories import (
    World,
    apply,
    published_listing,
    seed_calendar_2026,
)
from zhengwu.core.models import AuditEvent
from zhengwu.identity.constants import StaffRole
from zhengwu.identity.tests.person_factories import make_citizen
from zhengwu.identity.tests.staff_factories import organisation, staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def wb(db) -> World:
    """The cases world (its fixture is named ``world`` like the portal's own):
    department A (Shenyang) and B (Dalian) with a published listing each."""
    seed_calendar_2026()
    org_a = organisation("沈阳市市场监督管理局", "210100")
    org_b = organisation("大连市公安局", "210200")
    return World(
        org_a=org_a,
        org_b=org_b,
        listing_a=published_listing(org_a),
        listing_b=published_listing(org_b),
        citizen=make_citizen("张三"),
        other_citizen=make_citizen("李四"),
        reviewer_a=staff_user("reviewer-a", (org_a, StaffRole.REVIEWER)),
        approver_a=staff_user("approver-a", (org_a, StaffRole.REVIEWER)),
        reviewer_b=staff_user("reviewer-b", (org_b, StaffRole.REVIEWER)),
        clerk_a=staff_user("clerk-a", (org_a, StaffRole.COUNTER_CLERK)),
        editor_a=staff_user("editor-a", (org_a, StaffRole.DEPARTMENT_EDITOR)),
    )


def _events(case, event):
    return AuditEvent.objects.filter(
        target_id=str(case.pk), target_type="cases.case", event=event
    ).count()


def _body(response):
    return response.content.decode()


@pytest.fixture
def case_a(wb):
    return apply(wb.citizen.user, wb.listing_a)


@pytest.fixture
def case_b(wb):
    return apply(wb.other_citizen.user, wb.listing_b)


@pytest.fixture
def accepted_a(wb, case_a):
    from zhengwu.cases.services import case_accept

    case_accept(case_id=case_a.pk, acting_user=wb.reviewer_a)
    return Case.objects.get(pk=case_a.pk)


# --- access ------------------------------------------------------------------------


def test_workbench_needs_login(client, wb):
    response = client.get("/workbench/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_workbench_refuses_citizens_and_catalogue_editors(client, wb):
    for user in (wb.citizen.user, wb.editor_a):
        client.force_login(user)
        assert client.get("/workbench/").status_code == 403


def test_inbox_lists_only_my_departments_cases(client, wb, case_a, case_b):
    # given: one submitted case in each department
    client.force_login(wb.reviewer_a)
    # when
    response = client.get("/workbench/")
    # then
    body = _body(response)
    assert response.status_code == 200
    assert case_a.number in body
    assert case_b.number not in body
    assert "待受理" in body


def test_reviewer_of_another_department_gets_404_and_changes_nothing(
    client, wb, case_a
):
    # given
    client.force_login(wb.reviewer_b)
    url = f"/workbench/cases/{case_a.pk}/"
    # when
    pages = [
        client.get(url),
        client.post(url + "accept/", {"opinion": "同意"}),
        client.post(
            url + "refuse/", {"reason": "不符合条件", "legal_basis": "行政许可法"}
        ),
        client.post(
            url + "supplement/",
            {
                "items-TOTAL_FORMS": "1",
                "items-INITIAL_FORMS": "0",
                "items-0-material": "",
                "items-0-reason": "补充",
            },
        ),
    ]
    # then
    assert [p.status_code for p in pages] == [404, 404, 404, 404]
    case_a.refresh_from_db()
    assert case_a.status == CaseStatus.SUBMITTED
    assert _events(case_a, "cases.accepted") == 0
    assert not SupplementRequest.objects.filter(case=case_a).exists()


def test_reviewer_of_another_department_cannot_act_on_tasks(client, wb, accepted_a):
    # given: the case's first task, open in department A
    task = CaseTask.objects.filter(case=accepted_a).first()
    assert task is not None
    client.force_login(wb.reviewer_b)
    # when
    responses = [
        client.post(f"/workbench/tasks/{task.pk}/{action}/", body)
        for action, body in [
            ("claim", {}),
            (
                "complete",
                {f"t{task.pk}-outcome": "approve", f"t{task.pk}-opinion": "x"},
            ),
            ("return", {f"t{task.pk}-reason": "x"}),
            ("hand-over", {f"t{task.pk}-to_user": str(wb.reviewer_b.pk)}),
        ]
    ]
    # then
    assert [r.status_code for r in responses] == [404, 404, 404, 404]
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN
    assert task.assignee_id is None


def test_material_download_of_another_department_is_404(client, wb, case_a):
    material = case_a.materials.first()
    client.force_login(wb.reviewer_b)
    url = f"/workbench/cases/{case_a.pk}/materials/{material.pk}/"
    assert client.get(url).status_code == 404


# --- the case page and acceptance ---------------------------------------------------


def test_case_page_shows_masked_applicant_and_actions(client, wb, case_a):
    client.force_login(wb.reviewer_a)
    response = client.get(f"/workbench/cases/{case_a.pk}/")
    body = _body(response)
    assert response.status_code == 200
    assert case_a.applicant_id_masked in body
    assert "13900000001" not in body  # the contact mobile is masked
    for label in ("受理", "一次性告知补正", "不予受理", "办理过程", "提交申请"):
        assert label in body


def test_accept_with_too_long_opinion_shows_error_and_changes_nothing(
    client, wb, case_a
):
    client.force_login(wb.reviewer_a)
    response = client.post(
        f"/workbench/cases/{case_a.pk}/accept/", {"opinion": "意" * 2001}
    )
    assert response.status_code == 400
    assert "最多 2000 个字" in _body(response) or "2000" in _body(response)
    case_a.refresh_from_db()
    assert case_a.status == CaseStatus.SUBMITTED


def test_accept_moves_the_case_on(client, wb, case_a):
    client.force_login(wb.reviewer_a)
    response = client.post(
        f"/workbench/cases/{case_a.pk}/accept/", {"opinion": "材料齐全"}
    )
    assert response.status_code == 302
    case_a.refresh_from_db()
    assert case_a.status == CaseStatus.ACCEPTED
    page = client.get(response["Location"])
    assert "已受理" in _body(page)


def test_refuse_needs_reason_and_legal_basis(client, wb, case_a):
    client.force_login(wb.reviewer_a)
    response = client.post(
        f"/workbench/cases/{case_a.pk}/refuse/", {"reason": "", "legal_basis": " "}
    )
    body = _body(response)
    assert response.status_code == 400
    assert "请写明不予受理的理由。" in body
    assert "请写明不予受理的法律依据。" in body
    case_a.refresh_from_db()
    assert case_a.status == CaseStatus.SUBMITTED
    assert _events(case_a, "cases.not_accepted") == 0


def test_supplement_with_no_rows_is_refused(client, wb, case_a):
    client.force_login(wb.reviewer_a)
    response = client.post(
        f"/workbench/cases/{case_a.pk}/supplement/",
        {
            "items-TOTAL_FORMS": "2",
            "items-INITIAL_FORMS": "0",
            "items-0-material": "",
            "items-0-reason": "",
            "items-1-material": "",
            "items-1-reason": "",
            "note": "",
        },
    )
    assert response.status_code == 400
    assert "请至少列出一项需要补正的内容。" in _body(response)
    case_a.refresh_from_db()
    assert case_a.status == CaseStatus.SUBMITTED


def test_supplement_row_without_reason_is_an_error_on_that_row(client, wb, case_a):
    client.force_login(wb.reviewer_a)
    response = client.post(
        f"/workbench/cases/{case_a.pk}/supplement/",
        {
            "items-TOTAL_FORMS": "2",
            "items-INITIAL_FORMS": "0",
            "items-0-material": "居民身份证",
            "items-0-reason": "",
            "items-1-material": "",
            "items-1-reason": "",
        },
    )
    body = _body(response)
    assert response.status_code == 400
    assert "请写明需要补正的原因和要求。" in body
    assert 'id="id_items-0-reason-error"' in body
    assert not SupplementRequest.objects.filter(case=case_a).exists()


def test_supplement_lists_every_item_at_once(client, wb, case_a):
    client.force_login(wb.reviewer_a)
    response = client.post(
        f"/workbench/cases/{case_a.pk}/supplement/",
        {
            "items-TOTAL_FORMS": "3",
            "items-INITIAL_FORMS": "0",
            "items-0-material": "居民身份证",
            "items-0-reason": "复印件不清晰",
            "items-1-material": "",
            "items-1-reason": "联系电话与本人不符",
            "items-2-material": "",
            "items-2-reason": "",
            "note": "请一并补正",
        },
    )
    assert response.status_code == 302
    case_a.refresh_from_db()
    assert case_a.status == CaseStatus.SUPPLEMENT_REQUESTED
    notice = SupplementRequest.objects.get(case=case_a)
    assert [i["reason"] for i in notice.items] == ["复印件不清晰", "联系电话与本人不符"]


def test_claim_then_complete_form_errors_in_chinese(client, wb, accepted_a):
    task = CaseTask.objects.filter(case=accepted_a, status=TaskStatus.OPEN).first()
    client.force_login(wb.reviewer_a)
    claimed = client.post(f"/workbench/tasks/{task.pk}/claim/")
    assert claimed.status_code == 302
    task.refresh_from_db()
    assert task.assignee_id == wb.reviewer_a.pk
    response = client.post(
        f"/workbench/tasks/{task.pk}/complete/",
        {f"t{task.pk}-outcome": "", f"t{task.pk}-opinion": ""},
    )
    body = _body(response)
    assert response.status_code == 400
    assert "请选择办理结果。" in body
    assert "请填写办理意见。" in body
    task.refresh_from_db()
    assert task.status == TaskStatus.CLAIMED


def test_inbox_tabs_and_filters(client, wb, accepted_a):
    client.force_login(wb.reviewer_a)
    mine = client.get("/workbench/?tab=mine")
    assert mine.status_code == 200
    assert accepted_a.number not in _body(mine)
    open_tab = client.get("/workbench/?tab=open")
    assert accepted_a.number in _body(open_tab)
    filtered = client.get("/workbench/?tab=open&item=没有这个事项")
    assert accepted_a.number not in _body(filtered)
    bad = client.get("/workbench/?tab=nonsense&status=nope")
    assert bad.status_code == 400
    assert "选择一个有效的选项" in _body(bad)
    cursor = client.get("/workbench/?tab=open&after=%00garbage")
    assert cursor.status_code == 200


# --- configuration ------------------------------------------------------------------


def test_config_page_shows_schema_errors(client, wb):
    client.force_login(wb.editor_a)
    url = f"/workbench/config/{wb.listing_a}/"
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"form_schema": "{not json", "process_template": "single"}
    )
    assert response.status_code == 400
    assert "不是有效的 JSON" in _body(response)


def test_config_page_refuses_other_departments(client, wb):
    client.force_login(wb.editor_a)
    assert client.get(f"/workbench/config/{wb.listing_b}/").status_code == 403


def test_config_saves_form_template_and_fees(client, wb):
    from zhengwu.cases.models import HandlingConfig

    client.force_login(wb.editor_a)
    url = f"/workbench/config/{wb.listing_a}/"
    page = client.get(url)
    fee_fields = [n for n in ("fee_0", "fee_1") if f'name="{n}"' in _body(page)]
    response = client.post(
        url,
        {
            "form_schema": '{"type": "object", "properties": {"name": '
            '{"type": "string", "title": "名称"}}}',
            "process_template": "single",
            "decision_key": "",
            **{name: "12.50" for name in fee_fields},
        },
    )
    assert response.status_code == 302, _body(response)
    config = HandlingConfig.objects.get(listing_code=wb.listing_a)
    assert config.form_schema["properties"]["name"]["title"] == "名称"
    assert [item["amount_fen"] for item in config.fee_items] == [1250] * len(fee_fields)


def test_config_refuses_a_bad_bpmn_file_at_its_field(client, wb):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from zhengwu.cases.models import HandlingConfig

    client.force_login(wb.editor_a)
    response = client.post(
        f"/workbench/config/{wb.listing_a}/",
        {
            "form_schema": "",
            "process_template": "custom",
            "process_file": SimpleUploadedFile(
                "model.bpmn", b"<not-bpmn/>", content_type="application/xml"
            ),
        },
    )
    body = _body(response)
    assert response.status_code == 400
    assert 'id="id_process_file-error"' in body
    assert not HandlingConfig.objects.filter(listing_code=wb.listing_a).exists()


def test_counter_clerk_opens_a_case_for_a_walk_in(client, wb):
    # given: the clerk checked the walk-in's ID on the counter page
    from zhengwu.cases.tests.factories import PDF_BYTES

    client.force_login(wb.clerk_a)
    started = client.post(
        "/staff/counter/",
        {
            "name": wb.citizen.name,
            "id_number": wb.citizen.clear_id_number,
            "document": "id_card",
        },
    )
    assert started.status_code == 302
    form = client.get(f"/workbench/counter/?listing={wb.listing_a}")
    body = _body(form)
    assert form.status_code == 200
    key = body.split('name="submission_key" value="')[1].split('"')[0]
    # when: a bad mobile first, then the corrected form
    post = {
        "listing": wb.listing_a,
        "submission_key": key,
        "f-contact_name": "张三",
        "f-contact_mobile": "123",
    }
    refused = client.post("/workbench/counter/", post)
    assert refused.status_code == 400
    assert "手机号码" in _body(refused)
    assert not Case.objects.filter(applicant=wb.clerk_a).exists()
    names = [n.split('"')[0] for n in _body(refused).split('name="material-')[1:]]
    files = {
        f"material-{index}": _upload(f"scan{index}.pdf", PDF_BYTES) for index in names
    }
    done = client.post(
        "/workbench/counter/", {**post, "f-contact_mobile": "13900000002", **files}
    )
    # then
    assert done.status_code == 302
    case = Case.objects.get(applicant=wb.clerk_a)
    assert case.status == CaseStatus.SUBMITTED
    assert case.channel == "counter"
    assert set(case.materials.values_list("credibility", flat=True)) == {"B"}
    again = client.post(
        "/workbench/counter/", {**post, "f-contact_mobile": "13900000002"}
    )
    assert again.status_code == 302
    assert Case.objects.filter(applicant=wb.clerk_a).count() == 1


def _upload(name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture
def bad_rating_a(wb, case_a):
    """Case A refused, rated 非常不满意: a rectification order for department A."""
    from zhengwu.cases.ratings import rating_create
    from zhengwu.cases.services import case_not_accept

    case_not_accept(
        case_id=case_a.pk,
        acting_user=wb.reviewer_a,
        reason="不符合条件",
        legal_basis="行政许可法第三十二条",
    )
    rating_create(
        user=wb.citizen.user,
        case_id=case_a.pk,
        level=1,
        indicators=["overall"],
        comment="没有说明清楚",
    )
    from zhengwu.cases.models import RectificationOrder

    return RectificationOrder.objects.get(case=case_a)


def test_rectifications_are_only_my_departments(client, wb, bad_rating_a):
    client.force_login(wb.reviewer_b)
    assert "没有说明清楚" not in _body(client.get("/workbench/rectifications/"))
    refused = client.post(
        f"/workbench/rectifications/{bad_rating_a.pk}/respond/",
        {f"r{bad_rating_a.pk}-response": "已整改"},
    )
    assert refused.status_code == 404
    bad_rating_a.refresh_from_db()
    assert bad_rating_a.status == "open"


def test_rectification_response_and_callback(client, wb, bad_rating_a):
    client.force_login(wb.reviewer_a)
    page = client.get("/workbench/rectifications/")
    assert "没有说明清楚" in _body(page)
    url = f"/workbench/rectifications/{bad_rating_a.pk}/"
    empty = client.post(url + "respond/", {f"r{bad_rating_a.pk}-response": " "})
    assert empty.status_code == 400
    assert "请填写整改情况。" in _body(empty)
    done = client.post(
        url + "respond/", {f"r{bad_rating_a.pk}-response": "已在告知书中写明依据"}
    )
    assert done.status_code == 302
    bad_rating_a.refresh_from_db()
    assert bad_rating_a.status == "responded"
    called = client.post(
        url + "callback/", {f"c{bad_rating_a.pk}-note": "已电话回访，申请人表示理解"}
    )
    assert called.status_code == 302
    bad_rating_a.refresh_from_db()
    assert bad_rating_a.callback_note


def test_catalogue_staff_find_the_configuration_from_their_listings(client, wb):
    client.force_login(wb.editor_a)
    body = _body(client.get("/staff/listings/"))
    assert f"/workbench/config/{wb.listing_a}/" in body
    assert f"/workbench/config/{wb.listing_b}/" not in body


@pytest.mark.parametrize(
    "schema",
    ["[" * 50000 + "]" * 50000, '{"type": "object", "properties": 5}', "\x00"],
)
def test_config_hostile_schemas_are_field_errors(client, wb, schema):
    client.force_login(wb.editor_a)
    response = client.post(
        f"/workbench/config/{wb.listing_a}/",
        {"form_schema": schema, "process_template": "single"},
    )
    assert response.status_code == 400
    assert 'id="id_form_schema-error"' in _body(response)


def test_hostile_action_posts_are_not_server_errors(client, wb, case_a):
    client.force_login(wb.reviewer_a)
    url = f"/workbench/cases/{case_a.pk}/"
    answers = [
        client.post(url + "supplement/", {"items-TOTAL_FORMS": "abc"}),
        client.post(url + "supplement/", {"items-TOTAL_FORMS": "100000"}),
        client.post(url + "accept/", {"opinion": "意见\x00"}),
        client.get(url + "?supplement_rows=99999999999999999999"),
        client.post(url + "extensions/", {"days": "1e9", "reason": "x"}),
        client.get("/workbench/counter/?listing=" + "A" * 5000),
    ]
    assert [a.status_code for a in answers] == [400, 400, 400, 200, 400, 403]
    case_a.refresh_from_db()
    assert case_a.status == CaseStatus.SUBMITTED


def test_extension_needs_another_reviewer_and_pause_stops_the_clock(
    client, wb, accepted_a
):
    from zhengwu.cases.models import ClockPause, Extension

    url = f"/workbench/cases/{accepted_a.pk}/"
    client.force_login(wb.reviewer_a)
    asked = client.post(url + "extensions/", {"days": "10", "reason": "需要现场核查"})
    assert asked.status_code == 302
    extension = Extension.objects.get(case=accepted_a)
    own_page = _body(client.get(url))
    assert f"/extensions/{extension.pk}/decide/" not in own_page  # not my own
    client.force_login(wb.approver_a)
    assert f"/extensions/{extension.pk}/decide/" in _body(client.get(url))
    decided = client.post(
        url + f"extensions/{extension.pk}/decide/",
        {f"e{extension.pk}-decision": "approve"},
    )
    assert decided.status_code == 302
    accepted_a.refresh_from_db()
    assert accepted_a.extended_days == 10
    started = client.post(url + "pause/", {"name": "专家评审", "reason": "技术审查"})
    assert started.status_code == 302
    assert ClockPause.objects.filter(case=accepted_a, ended_on__isnull=True).exists()
    missing = client.post(url + "pause/end/", {"result": ""})
    assert missing.status_code == 400
    assert "请填写特别程序的结果。" in _body(missing)
    ended = client.post(url + "pause/end/", {"result": "评审通过"})
    assert ended.status_code == 302
    assert not ClockPause.objects.filter(
        case=accepted_a, ended_on__isnull=True
    ).exists()


def test_hand_over_then_complete_moves_the_process_on(client, wb, accepted_a):
    task = CaseTask.objects.get(case=accepted_a, status=TaskStatus.OPEN)
    client.force_login(wb.reviewer_a)
    client.post(f"/workbench/tasks/{task.pk}/claim/")
    outsider = client.post(
        f"/workbench/tasks/{task.pk}/hand-over/",
        {f"t{task.pk}-to_user": str(wb.reviewer_b.pk)},
    )
    assert outsider.status_code == 400
    assert "只能转交给本单位有办理权限的同事。" in _body(outsider)
    handed = client.post(
        f"/workbench/tasks/{task.pk}/hand-over/",
        {f"t{task.pk}-to_user": str(wb.approver_a.pk)},
    )
    assert handed.status_code == 302
    task.refresh_from_db()
    assert task.assignee_id == wb.approver_a.pk
    client.force_login(wb.approver_a)
    done = client.post(
        f"/workbench/tasks/{task.pk}/complete/",
        {f"t{task.pk}-outcome": "pass", f"t{task.pk}-opinion": "审查通过"},
    )
    assert done.status_code == 302
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    assert CaseTask.objects.filter(case=accepted_a, status=TaskStatus.OPEN).exists()


def test_counter_clerk_sees_cases_to_accept_but_no_task_tabs(client, wb, case_a):
    client.force_login(wb.clerk_a)
    body = _body(client.get("/workbench/"))
    assert case_a.number in body
    assert "待办任务" not in body


def test_task_actions_are_offered_to_reviewers_only(client, wb, accepted_a):
    # given an accepted case with an open review task of department A
    claim_url = f"/workbench/tasks/{accepted_a.tasks.get().pk}/claim/"
    page = f"/workbench/cases/{accepted_a.pk}/"
    # when the department's counter clerk opens the case, then no claim is offered
    client.force_login(wb.clerk_a)
    assert claim_url not in _body(client.get(page))
    # when its reviewer does, then it is
    client.force_login(wb.reviewer_a)
    assert claim_url in _body(client.get(page))


def test_refund_of_a_paid_case_asks_the_provider(client, wb, accepted_a):
    from zhengwu.cases.models import PaymentOrder

    PaymentOrder.objects.create(
        case=accepted_a,
        order_number="T20261127000001",
        amount_fen=2000,
        status="paid",
        provider="local",
    )
    url = f"/workbench/cases/{accepted_a.pk}/"
    client.force_login(wb.reviewer_b)
    assert client.post(url + "refund/", {"reason": "重复缴费"}).status_code == 404
    client.force_login(wb.reviewer_a)
    assert "全额退款" in _body(client.get(url))
    empty = client.post(url + "refund/", {"reason": ""})
    assert empty.status_code == 400
    assert "请写明退款原因。" in _body(empty)
    asked = client.post(url + "refund/", {"reason": "重复缴费"})
    assert asked.status_code == 302
    assert _events(accepted_a, "cases.payment_refund_requested") == 1
