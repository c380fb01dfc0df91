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
