"""The applicant's case pages: apply online (form errors in Chinese next to the
field, nothing saved; prefill; drafts; idempotent submission), my cases, the
progress page, files, and a citizen cannot open another citizen's case or file."""

import re

import pytest

from zhengwu.cases.constants import CaseStatus
from zhengwu.cases.models import Case, CaseMaterial, StoredFile
from zhengwu.identity.tests.person_factories import make_citizen

from .fixtures import PDF_BYTES

pytestmark = pytest.mark.django_db

PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def citizen(world):
    return make_citizen("李明")


@pytest.fixture
def other_citizen(world):
    return make_citizen("王芳")


def apply_url(world) -> str:
    return f"/items/{world.passport_listing.code}/apply/"


def submission_key(html: str) -> str:
    return re.search(r'name="submission_key" value="([0-9a-f]{32})"', html).group(1)


def pdf(name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def valid_post(key: str, **extra) -> dict:
    data = {
        "handling": "01",
        "submission_key": key,
        "f-contact_name": "李明",
        "f-contact_mobile": "13912345678",
        "f-description": "首次申领普通护照",
        "material-0": pdf("身份证.pdf"),
        "material-1": pdf("申请表.pdf"),
        "action": "submit",
    }
    data.update(extra)
    return data


def submit_case(client, world) -> Case:
    page = client.get(apply_url(world), {"handling": "01"})
    key = submission_key(page.content.decode())
    response = client.post(apply_url(world), valid_post(key))
    assert response.status_code == 302, response.content.decode()[:2000]
    client.get(response["Location"])  # shows (and so clears) the flash message
    return Case.objects.get(submission_key=key)


def test_item_page_links_to_apply_online(client, world):
    # when
    response = client.get(f"/items/{world.passport_listing.code}/")
    # then
    html = response.content.decode()
    assert 'id="apply-online"' in html
    assert apply_url(world) in html
    assert 'id="book-appointment"' in html


def test_apply_asks_for_the_handling_item_first(client, world, citizen):
    # given
    client.force_login(citizen.user)
    # when
    response = client.get(apply_url(world))
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "首次申领" in html and "换发" in html
    assert 'name="handling"' in html


def test_apply_requires_login(client, world):
    response = client.get(apply_url(world))
    assert response.status_code == 302
    assert "/login" in response["Location"] or "accounts" in response["Location"]


def test_apply_form_is_prefilled_and_marked(client, world, citizen):
    # given
    client.force_login(citizen.user)
    # when
    response = client.get(apply_url(world), {"handling": "01"})
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert "已为您自动填写" in html
    assert 'value="李明"' in html
    assert 'aria-describedby="id_f-contact_name-prefilled' in html
    # the three materials of 首次申领, each with its own upload
    for index in range(3):
        assert f'name="material-{index}"' in html


def test_form_errors_show_in_chinese_next_to_the_field_and_nothing_is_saved(
    client, world, citizen
):
    # given
    client.force_login(citizen.user)
    page = client.get(apply_url(world), {"handling": "01"})
    key = submission_key(page.content.decode())
    # when
    response = client.post(
        apply_url(world), valid_post(key, **{"f-contact_mobile": "12345"})
    )
    # then
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_f-contact_mobile-error"' in html
    assert "请填写11位手机号码" in html
    assert 'aria-describedby="id_f-contact_mobile-help id_f-contact_mobile-error"' in (
        html
    ) or "id_f-contact_mobile-error" in re.search(
        r'<input id="id_f-contact_mobile"[^>]*>', html
    ).group(0)
    assert 'href="#id_f-contact_mobile"' in html  # the summary links to the field
    assert Case.objects.count() == 0
    assert StoredFile.objects.count() == 0


def test_missing_required_material_is_named_and_nothing_is_saved(
    client, world, citizen
):
    # given
    client.force_login(citizen.user)
    page = client.get(apply_url(world), {"handling": "01"})
    key = submission_key(page.content.decode())
    data = valid_post(key)
    del data["material-1"]
    # when
    response = client.post(apply_url(world), data)
    # then
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_material-1-error"' in html
    assert "中国公民出入境证件申请表" in html
    assert Case.objects.count() == 0


def test_a_file_that_is_not_an_allowed_type_is_refused_at_its_material(
    client, world, citizen
):
    # given
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(citizen.user)
    page = client.get(apply_url(world), {"handling": "01"})
    key = submission_key(page.content.decode())
    fake = SimpleUploadedFile("身份证.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")
    # when
    response = client.post(apply_url(world), valid_post(key, **{"material-0": fake}))
    # then
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_material-0-error"' in html
    assert "不是允许的文件类型" in html
    assert Case.objects.count() == 0


def test_submit_shows_the_case_number(client, world, citizen):
    # given
    client.force_login(citizen.user)
    # when
    case = submit_case(client, world)
    response = client.get(f"/cases/{case.pk}/")
    # then
    html = response.content.decode()
    assert case.status == CaseStatus.SUBMITTED
    assert case.number and case.number.startswith(world.passport_listing.code)
    assert case.number in html
    assert "待受理" in html
    assert CaseMaterial.objects.filter(case=case).count() == 2


def test_double_submit_makes_one_case_and_shows_it(client, world, citizen):
    # given
    client.force_login(citizen.user)
    page = client.get(apply_url(world), {"handling": "01"})
    key = submission_key(page.content.decode())
    # when
    first = client.post(apply_url(world), valid_post(key))
    second = client.post(apply_url(world), valid_post(key))
    # then
    case = Case.objects.get()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == f"/cases/{case.pk}/"
    assert CaseMaterial.objects.count() == 2


def test_draft_saves_and_resumes(client, world, citizen):
    # given
    client.force_login(citizen.user)
    page = client.get(apply_url(world), {"handling": "01"})
    key = submission_key(page.content.decode())
    # when: a draft may leave required fields empty
    response = client.post(
        apply_url(world),
        {
            "handling": "01",
            "submission_key": key,
            "f-contact_name": "",
            "f-description": "草稿说明",
            "material-0": pdf("身份证.pdf"),
            "action": "draft",
        },
    )
    # then
    draft = Case.objects.get()
    assert draft.status == CaseStatus.DRAFT
    assert response["Location"] == f"/cases/{draft.pk}/edit/"
    listing = client.get("/cases/").content.decode()
    assert f"/cases/{draft.pk}/edit/" in listing
    resumed = client.get(f"/cases/{draft.pk}/edit/").content.decode()
    assert "草稿说明" in resumed
    assert "身份证.pdf" in resumed
    # and when it is submitted from the draft page
    key = submission_key(resumed)
    submitted = client.post(
        f"/cases/{draft.pk}/edit/",
        {
            "submission_key": key,
            "f-contact_name": "李明",
            "f-contact_mobile": "13912345678",
            "material-1": pdf("申请表.pdf"),
            "action": "submit",
        },
    )
    draft.refresh_from_db()
    assert submitted["Location"] == f"/cases/{draft.pk}/"
    assert draft.status == CaseStatus.SUBMITTED
    assert Case.objects.count() == 1


def test_my_cases_lists_number_status_and_item(client, world, citizen):
    # given
    client.force_login(citizen.user)
    case = submit_case(client, world)
    # when
    html = client.get("/cases/").content.decode()
    # then
    assert case.number in html
    assert "普通护照签发" in html
    assert "待受理" in html


@pytest.mark.parametrize("path", ["", "edit/", "withdraw/"])
def test_a_citizen_cannot_open_another_citizens_case(
    client, world, citizen, other_citizen, path
):
    # given
    client.force_login(citizen.user)
    case = submit_case(client, world)
    client.force_login(other_citizen.user)
    # when
    if path == "withdraw/":
        response = client.post(f"/cases/{case.pk}/{path}")
    else:
        response = client.get(f"/cases/{case.pk}/{path}")
    # then
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
    assert case.number not in response.content.decode()


def test_a_citizen_cannot_download_another_citizens_file(
    client, world, citizen, other_citizen
):
    # given
    client.force_login(citizen.user)
    case = submit_case(client, world)
    material = CaseMaterial.objects.filter(case=case).first()
    own = client.get(f"/cases/{case.pk}/files/{material.file_id}/")
    assert own.status_code == 200
    assert b"".join(own.streaming_content).startswith(b"%PDF")
    # when
    client.force_login(other_citizen.user)
    response = client.get(f"/cases/{case.pk}/files/{material.file_id}/")
    # then
    assert response.status_code == 404


def test_a_file_id_of_another_case_is_404_even_for_the_owner(
    client, world, citizen, other_citizen
):
    # given: the other citizen's file, asked for under the citizen's own case
    client.force_login(other_citizen.user)
    theirs = submit_case(client, world)
    their_file = CaseMaterial.objects.filter(case=theirs).first().file_id
    client.force_login(citizen.user)
    mine = submit_case(client, world)
    # when
    response = client.get(f"/cases/{mine.pk}/files/{their_file}/")
    # then
    assert response.status_code == 404


def test_withdraw_from_the_progress_page(client, world, citizen):
    # given
    client.force_login(citizen.user)
    case = submit_case(client, world)
    # when
    response = client.post(f"/cases/{case.pk}/withdraw/")
    # then
    case.refresh_from_db()
    assert response.status_code == 302
    assert case.status == CaseStatus.WITHDRAWN


# --- supplement, result, delivery, rating ------------------------------------------


@pytest.fixture
def reviewer(world):
    from zhengwu.catalog.tests.factories import grant
    from zhengwu.identity.constants import StaffRole

    from .fixtures import make_user

    user = make_user("heping_reviewer")
    grant(user, world.county_org, StaffRole.REVIEWER)
    return user


def finish(case: Case, status: str = CaseStatus.APPROVED) -> None:
    """Test setup: the case decided (the workflow itself is tested in cases)."""
    from django.utils import timezone

    Case.objects.filter(pk=case.pk).update(status=status, decided_at=timezone.now())


def test_supplement_request_lists_every_item_and_the_answer_resubmits(
    client, world, citizen, reviewer
):
    # given
    from zhengwu.cases import services

    client.force_login(citizen.user)
    case = submit_case(client, world)
    services.case_request_supplement(
        case_id=case.pk,
        acting_user=reviewer,
        items=[
            {"material": "居民身份证", "reason": "复印件不清晰"},
            {"material": "中国公民出入境证件申请表", "reason": "缺少本人签名"},
        ],
        note="请一次补齐。",
    )
    # when
    page = client.get(f"/cases/{case.pk}/").content.decode()
    # then: everything at once (一次性告知), each with its own upload
    assert "补正告知（一次性告知）" in page
    assert "复印件不清晰" in page and "缺少本人签名" in page
    assert 'name="supplement-0"' in page and 'name="supplement-1"' in page
    # when: an empty answer is refused and changes nothing
    refused = client.post(f"/cases/{case.pk}/supplement/", {"note": ""})
    case.refresh_from_db()
    assert refused.status_code == 400
    assert "请上传补正材料或填写补正说明" in refused.content.decode()
    assert case.status == CaseStatus.SUPPLEMENT_REQUESTED
    # when: the answer
    response = client.post(
        f"/cases/{case.pk}/supplement/",
        {"supplement-0": pdf("身份证清晰件.pdf"), "note": "已重新扫描"},
    )
    # then
    case.refresh_from_db()
    assert response.status_code == 302
    assert case.status == CaseStatus.SUBMITTED
    assert CaseMaterial.objects.filter(
        case=case, file__original_name="身份证清晰件.pdf"
    ).exists()


def test_a_bad_rating_needs_a_comment_next_to_the_field_and_saves_nothing(
    client, world, citizen
):
    # given
    from zhengwu.cases.models import Rating

    client.force_login(citizen.user)
    case = submit_case(client, world)
    finish(case)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="rating-form"' in page and "非常满意" in page and "办事效率" in page
    # when
    response = client.post(f"/cases/{case.pk}/rating/", {"level": "1"})
    # then
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_comment-error"' in html
    assert "请填写评价内容" in html
    assert not Rating.objects.exists()


def test_a_rating_is_saved_once(client, world, citizen):
    # given
    from zhengwu.cases.models import Rating

    client.force_login(citizen.user)
    case = submit_case(client, world)
    finish(case)
    # when
    response = client.post(
        f"/cases/{case.pk}/rating/",
        {"level": "5", "indicators": ["efficiency", "convenience"]},
    )
    # then
    rating = Rating.objects.get()
    assert response.status_code == 302
    assert (rating.level, rating.indicators) == (5, ["efficiency", "convenience"])
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'id="rating-form"' not in page
    assert "非常满意" in page


def test_a_bad_rating_opens_rectification_and_the_follow_up_rating(
    client, world, citizen, reviewer
):
    # given
    from zhengwu.cases.constants import RectificationStatus
    from zhengwu.cases.models import Rating, RectificationOrder

    client.force_login(citizen.user)
    case = submit_case(client, world)
    finish(case)
    client.post(f"/cases/{case.pk}/rating/", {"level": "2", "comment": "等太久"})
    order = RectificationOrder.objects.get()
    RectificationOrder.objects.filter(pk=order.pk).update(
        status=RectificationStatus.RESPONDED, response="已优化流程"
    )
    # when
    page = client.get(f"/cases/{case.pk}/").content.decode()
    response = client.post(
        f"/cases/{case.pk}/rating/", {"level": "4", "follow_up": "True"}
    )
    # then
    assert "已优化流程" in page
    assert 'name="follow_up"' in page
    assert response.status_code == 302
    assert Rating.objects.filter(is_follow_up=True, level=4).exists()


def test_choosing_express_needs_an_address_then_is_kept(client, world, citizen):
    # given
    from zhengwu.cases.models import Shipment

    client.force_login(citizen.user)
    case = submit_case(client, world)
    # when
    refused = client.post(f"/cases/{case.pk}/delivery/", {"method": "express"})
    # then
    assert refused.status_code == 400
    assert 'id="id_address-error"' in refused.content.decode()
    assert not Shipment.objects.exists()
    # when
    response = client.post(
        f"/cases/{case.pk}/delivery/",
        {
            "method": "express",
            "recipient_name": "李明",
            "recipient_mobile": "13912345678",
            "address": "沈阳市和平区南京北街1号",
        },
    )
    # then
    case.refresh_from_db()
    assert response.status_code == 302
    assert case.result_delivery == "express"
    assert Shipment.objects.filter(case=case).count() == 1


def test_another_citizen_cannot_rate_or_choose_delivery(
    client, world, citizen, other_citizen
):
    # given
    from zhengwu.cases.models import Rating

    client.force_login(citizen.user)
    case = submit_case(client, world)
    finish(case)
    client.force_login(other_citizen.user)
    # when
    rating = client.post(f"/cases/{case.pk}/rating/", {"level": "1", "comment": "x"})
    delivery = client.post(f"/cases/{case.pk}/delivery/", {"method": "pickup"})
    # then
    assert rating.status_code == delivery.status_code == 404
    assert not Rating.objects.exists()


# --- messages -------------------------------------------------------------------


def test_messages_list_and_mark_read(client, world, citizen, other_citizen):
    # given: submitting wrote a site message
    from zhengwu.cases.models import Notification

    client.force_login(citizen.user)
    case = submit_case(client, world)
    notice = Notification.objects.get(recipient=citizen.user, channel="site")
    # when
    page = client.get("/messages/").content.decode()
    # then
    assert notice.title in page and f"/cases/{case.pk}/" in page
    assert "未读" in page
    # another citizen cannot mark it read
    client.force_login(other_citizen.user)
    assert "申请已提交" not in client.get("/messages/").content.decode()
    denied = client.post("/messages/read/", {"notification": notice.pk})
    notice.refresh_from_db()
    assert denied.status_code == 404 and notice.read_at is None
    # the owner can, and htmx gets the row back
    client.force_login(citizen.user)
    response = client.post(
        "/messages/read/", {"notification": notice.pk}, HTTP_HX_REQUEST="true"
    )
    notice.refresh_from_db()
    assert response.status_code == 200
    assert f'id="message-{notice.pk}"' in response.content.decode()
    assert notice.read_at is not None


# --- appointments ---------------------------------------------------------------


@pytest.fixture
def slot(world):
    import datetime

    from django.utils import timezone

    from zhengwu.cases.models import AppointmentSlot, ServiceHall, ServiceWindow

    hall = ServiceHall.objects.create(
        name="和平区政务服务中心",
        division=world.county,
        organisation=world.county_org,
        address="和平区南京北街1号",
    )
    window = ServiceWindow.objects.create(hall=hall, number="3", name="出入境窗口")
    return AppointmentSlot.objects.create(
        window=window,
        date=timezone.localdate() + datetime.timedelta(days=1),
        starts_at=datetime.time(9),
        ends_at=datetime.time(10),
        capacity=2,
    )


def test_book_an_appointment_hall_date_time_then_cancel(client, world, citizen, slot):
    # given
    from zhengwu.cases.models import Appointment

    client.force_login(citizen.user)
    code = world.passport_listing.code
    hall = slot.window.hall
    day = slot.date.isoformat()
    # when: hall → date → time (each step a plain GET without JavaScript)
    step = client.get(
        "/appointments/book/", {"listing": code, "hall": hall.pk, "date": day}
    )
    # then
    html = step.content.decode()
    assert step.status_code == 200
    assert "和平区政务服务中心" in html
    assert "剩余2" in html
    assert f'value="{slot.pk}"' in html
    # when
    response = client.post(
        "/appointments/book/",
        {"listing": code, "hall": hall.pk, "date": day, "slot": slot.pk},
    )
    # then
    appointment = Appointment.objects.get()
    assert response.status_code == 302
    mine = client.get("/appointments/").content.decode()
    assert "普通护照签发" in mine and "已预约" in mine
    # when
    client.post(f"/appointments/{appointment.pk}/cancel/")
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"


def test_booking_without_a_slot_is_refused_in_chinese(client, world, citizen, slot):
    client.force_login(citizen.user)
    response = client.post(
        "/appointments/book/",
        {
            "listing": world.passport_listing.code,
            "hall": slot.window.hall.pk,
            "date": slot.date.isoformat(),
        },
    )
    assert response.status_code == 400
    assert "请选择一个可预约的时段" in response.content.decode()


def test_another_user_cannot_cancel_my_appointment(
    client, world, citizen, other_citizen, slot
):
    # given
    from zhengwu.cases import appointments

    appointment = appointments.appointment_book(
        user=citizen.user, slot_id=slot.pk, listing_code=world.passport_listing.code
    )
    client.force_login(other_citizen.user)
    # when
    response = client.post(f"/appointments/{appointment.pk}/cancel/")
    # then
    appointment.refresh_from_db()
    assert response.status_code == 404
    assert appointment.status == "booked"


def test_appointment_arrival_shows_the_queue_number(client, world, citizen, slot):
    # given: an appointment booked ahead for a slot that is today by now (booked
    # first: a slot that has begun cannot be booked, whatever the time of day)
    from django.utils import timezone

    from zhengwu.cases import appointments

    appointment = appointments.appointment_book(
        user=citizen.user, slot_id=slot.pk, listing_code=world.passport_listing.code
    )
    type(slot).objects.filter(pk=slot.pk).update(date=timezone.localdate())
    client.force_login(citizen.user)
    page = client.get("/appointments/").content.decode()
    assert f'id="arrive-{appointment.pk}"' in page
    # when
    response = client.post(f"/appointments/{appointment.pk}/arrive/", follow=True)
    # then
    appointment.refresh_from_db()
    assert appointment.queue_number
    assert appointment.queue_number in response.content.decode()


# --- bundles (一件事一次办) ------------------------------------------------------


def test_bundle_apply_then_each_departments_case(client, world, citizen):
    # given
    from zhengwu.cases.models import BundleDefinition, CaseBundle

    definition = BundleDefinition.objects.create(
        code="passport-travel",
        name="出国旅行一件事",
        listing_codes=[world.passport_listing.code],
        division=world.county,
    )
    client.force_login(citizen.user)
    page = client.get(f"/bundles/{definition.code}/apply/").content.decode()
    key = submission_key(page)
    assert "出国旅行一件事" in page and 'name="bm-0-0"' in page
    post = {
        "submission_key": key,
        "f-contact_name": "李明",
        "f-contact_mobile": "13912345678",
        "bm-0-0": pdf("身份证.pdf"),
        "bm-0-1": pdf("申请表.pdf"),
    }
    # when: a bad mobile first — nothing is made
    refused = client.post(
        f"/bundles/{definition.code}/apply/", {**post, "f-contact_mobile": "1"}
    )
    assert refused.status_code == 400
    assert 'id="id_f-contact_mobile-error"' in refused.content.decode()
    assert not CaseBundle.objects.exists()
    post["bm-0-0"], post["bm-0-1"] = pdf("身份证.pdf"), pdf("申请表.pdf")
    response = client.post(f"/bundles/{definition.code}/apply/", post)
    # then
    bundle = CaseBundle.objects.get()
    assert response["Location"] == f"/bundles/{bundle.pk}/"
    html = client.get(f"/bundles/{bundle.pk}/").content.decode()
    case = bundle.cases.get()
    assert case.number in html and "待受理" in html
    assert world.county_org.name in html


def test_another_citizen_cannot_open_my_bundle(client, world, citizen, other_citizen):
    from zhengwu.cases import services
    from zhengwu.cases.models import BundleDefinition

    BundleDefinition.objects.create(
        code="passport-travel",
        name="出国旅行一件事",
        listing_codes=[world.passport_listing.code],
        division=world.county,
    )
    bundle = services.bundle_apply(
        user=citizen.user,
        acting=None,
        bundle_code="passport-travel",
        form_data={"contact_name": "李明", "contact_mobile": "13912345678"},
        submission_key="b" * 32,
        materials={
            world.passport_listing.code: [
                {"material_name": n, "filename": "a.pdf", "content": PDF_BYTES}
                for n in ("居民身份证", "中国公民出入境证件申请表")
            ]
        },
    )
    client.force_login(other_citizen.user)
    assert client.get(f"/bundles/{bundle.pk}/").status_code == 404


# --- acting on behalf --------------------------------------------------------------


def test_an_agent_applies_in_the_principals_name(client, world, citizen):
    # given: 王芳 authorises 李明 for every item, and 李明 acts for her
    import datetime

    from django.utils import timezone

    from zhengwu.identity import authorisations

    principal = make_citizen("王芳")
    authorisation = authorisations.authorisation_grant_personal(
        acting_user=principal.user,
        agent_id_number=citizen.clear_id_number,
        agent_name="李明",
        item_codes=[],
        all_items=True,
        valid_until=timezone.now() + datetime.timedelta(days=30),
    )
    client.force_login(citizen.user)
    client.post("/me/acting/start", {"authorisation": authorisation.pk})
    # when
    page = client.get(apply_url(world), {"handling": "01"}).content.decode()
    case = submit_case(client, world)
    # then
    assert "本申请以" in page
    assert case.principal_label == f"person:{principal.pk}"
    client.force_login(principal.user)
    assert case.number in client.get("/cases/").content.decode()


# --- payment and result -----------------------------------------------------------


def test_an_unpaid_order_links_to_the_cashier(client, world, citizen):
    # given
    from zhengwu.cases import payments
    from zhengwu.cases.models import PaymentOrder

    client.force_login(citizen.user)
    case = submit_case(client, world)
    order = PaymentOrder.objects.create(
        case=case,
        order_number="PO202611280001",
        amount_fen=12000,
        items=[{"name": "护照工本费", "amount_fen": 12000}],
        provider="local",
    )
    # when
    html = client.get(f"/cases/{case.pk}/").content.decode()
    # then
    assert "¥120.00" in html
    assert f'id="pay-{order.pk}"' in html
    assert payments.payment_url(order).replace("&", "&amp;") in html


def test_the_decision_document_downloads_for_the_applicant_only(
    client, world, citizen, other_citizen
):
    # given
    from zhengwu.cases import files

    client.force_login(citizen.user)
    case = submit_case(client, world)
    document = files.store_generated(
        content=PDF_BYTES, filename="准予许可决定书.pdf", content_type="application/pdf"
    )
    finish(case)
    Case.objects.filter(pk=case.pk).update(result_document=document)
    url = f"/cases/{case.pk}/files/{document.pk}/"
    # when
    page = client.get(f"/cases/{case.pk}/").content.decode()
    own = client.get(url)
    client.force_login(other_citizen.user)
    other = client.get(url)
    # then
    assert 'id="download-result"' in page and url in page
    assert own.status_code == 200
    assert "attachment" in own["Content-Disposition"]
    assert other.status_code == 404


def test_an_infinite_number_is_a_field_error_not_a_crash(client, world, citizen):
    # given: a form with a number field
    from zhengwu.cases.models import HandlingConfig

    HandlingConfig.objects.create(
        listing_code=world.passport_listing.code,
        form_schema={
            "type": "object",
            "properties": {
                "copies": {"type": "integer", "title": "申领本数", "maximum": 3},
                "height": {"type": "number", "title": "身高（厘米）"},
            },
            "required": ["copies"],
        },
    )
    client.force_login(citizen.user)
    page = client.get(apply_url(world), {"handling": "01"})
    key = submission_key(page.content.decode())
    # when
    response = client.post(
        apply_url(world),
        {
            "handling": "01",
            "submission_key": key,
            "f-copies": "9",
            "f-height": "1e999",
            "action": "submit",
        },
    )
    # then
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_f-copies-error"' in html and "不能大于3" in html
    assert 'id="id_f-height-error"' in html and "应为数字" in html
    assert Case.objects.count() == 0


def test_materials_of_an_earlier_case_can_be_reused(client, world, citizen):
    # given: an earlier submitted case
    client.force_login(citizen.user)
    earlier = submit_case(client, world)
    earlier_ids = {
        m.material_name: m.pk for m in CaseMaterial.objects.filter(case=earlier)
    }
    page = client.get(apply_url(world), {"handling": "01"}).content.decode()
    key = submission_key(page)
    # then the form offers them
    assert "使用以前提交过的材料" in page
    assert f'value="{earlier_ids["居民身份证"]}"' in page
    # when: reused instead of uploaded
    response = client.post(
        apply_url(world),
        {
            "handling": "01",
            "submission_key": key,
            "f-contact_name": "李明",
            "f-contact_mobile": "13912345678",
            "reuse-0": earlier_ids["居民身份证"],
            "reuse-1": earlier_ids["中国公民出入境证件申请表"],
            "action": "submit",
        },
    )
    # then
    case = Case.objects.get(submission_key=key)
    assert response.status_code == 302
    reused = CaseMaterial.objects.filter(case=case)
    assert reused.count() == 2
    assert all(m.reused_from_id in earlier_ids.values() for m in reused)


def test_another_citizens_material_cannot_be_reused(
    client, world, citizen, other_citizen
):
    # given
    client.force_login(other_citizen.user)
    theirs = submit_case(client, world)
    their_material = CaseMaterial.objects.filter(case=theirs).first()
    client.force_login(citizen.user)
    page = client.get(apply_url(world), {"handling": "01"}).content.decode()
    key = submission_key(page)
    # when
    response = client.post(
        apply_url(world),
        valid_post(key, **{"reuse-2": their_material.pk}),
    )
    # then
    assert response.status_code == 400
    assert 'id="id_material-2-error"' in response.content.decode()
    assert not Case.objects.filter(applicant=citizen.user).exists()


def test_shipment_tracking_shows_on_the_case(client, world, citizen):
    # given
    from zhengwu.cases.models import Shipment

    client.force_login(citizen.user)
    case = submit_case(client, world)
    finish(case)
    Shipment.objects.create(
        case=case,
        provider="local",
        order_number="EX20261128ABC",
        tracking_number="SF1234567890",
        recipient_name="李明",
        recipient_mobile="13912345678",
        address="沈阳市和平区南京北街1号",
        status="in_transit",
        events=[
            {
                "status": "ordered",
                "at": "2026-11-28T09:00:00+08:00",
                "description": "已下单",
            },
            {
                "status": "in_transit",
                "at": "2026-11-28T15:00:00+08:00",
                "description": "运输中",
            },
        ],
    )
    # when
    html = client.get(f"/cases/{case.pk}/").content.decode()
    # then: tracking, no second choice once the parcel is on its way
    assert "SF1234567890" in html and "运输中" in html
    assert 'id="save-delivery"' not in html
    assert "13912345678" not in html.split('id="delivery"')[1].split("</section>")[0]
