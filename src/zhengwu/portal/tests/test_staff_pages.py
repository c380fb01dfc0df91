"""Staff pages: login required, scope enforced, inline errors, review and publication."""

import datetime

from django.utils import timezone

import pytest

from zhengwu.catalog import pages, services
from zhengwu.catalog.tests.factories import complete_guide

from .fixtures import PDF_BYTES

pytestmark = pytest.mark.django_db


def _draft(world, **guide_overrides):
    return services.version_create(
        listing=world.passport_listing,
        acting_user=world.editor,
        guide=complete_guide(**guide_overrides),
        change_reason="更新材料",
    )


def _form_data(client, url):
    """The edit form as a browser would submit it: every input with its value."""
    return _form_from_body(client.get(url).content.decode())


def _form_from_body(body):
    import re
    from html import unescape

    form = body.split('class="guide-form"')[1].split("</form>")[0]
    data: dict[str, list[str]] = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]*)"', tag)
        if not name or 'type="file"' in tag or 'type="submit"' in tag:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        if 'type="checkbox"' in tag and " checked" not in tag:
            continue
        data.setdefault(unescape(name.group(1)), []).append(
            unescape(value.group(1)) if value else ""
        )
    for name, text in re.findall(
        r'<textarea[^>]*name="([^"]*)"[^>]*>(.*?)</textarea>', form, re.S
    ):
        data.setdefault(unescape(name), []).append(unescape(text))
    for name, options in re.findall(
        r'<select[^>]*name="([^"]*)"[^>]*>(.*?)</select>', form, re.S
    ):
        chosen = re.search(r'<option value="([^"]*)" selected', options)
        if chosen:
            data.setdefault(unescape(name), []).append(unescape(chosen.group(1)))
    data.pop("csrfmiddlewaretoken", None)
    return {k: v if len(v) > 1 else v[0] for k, v in data.items()}


STAFF_URLS = [
    "/staff/",
    "/staff/listings/",
    "/staff/report/",
    "/staff/import/",
]


@pytest.mark.parametrize("url", STAFF_URLS)
def test_staff_pages_require_login(client, world, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("url", STAFF_URLS)
def test_staff_pages_refuse_non_staff(client, world, url, django_user_model):
    citizen = django_user_model.objects.create_user("citizen", password="x")
    client.force_login(citizen)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("kind", ["editor", "authority"])
@pytest.mark.parametrize("url", STAFF_URLS)
def test_staff_pages_render_for_staff(client_for, url, kind):
    assert client_for(kind).get(url).status_code == 200


def test_login_page_and_login_redirects_to_workbench(client, world):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from zhengwu.identity.tests.login_helpers import current_code

    device = TOTPDevice.objects.create(user=world.editor, confirmed=True)
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert "登录" in page.content.decode()
    bad = client.post(
        "/accounts/login/", {"login_name": "heping_editor", "password": "no"}
    )
    assert bad.status_code == 401
    assert "field-error" in bad.content.decode()
    password = client.post(
        "/accounts/login/",
        {"login_name": "heping_editor", "password": "Zhengwu#2026"},
    )
    assert password["Location"] == "/accounts/login/verify/"
    good = client.post("/accounts/login/verify/", {"code": current_code(device)})
    assert good.status_code == 302 and good["Location"] == "/staff/"
    out = client.post("/accounts/logout/")
    assert out.status_code == 302


def test_workbench_lists_drafts_and_review_queue(client_for, world):
    draft = _draft(world)
    services.version_submit(version=draft.pk, acting_user=world.editor)
    body = client_for("authority").get("/staff/").content.decode()
    assert "待审核" in body
    assert f"/staff/versions/{draft.pk}/" in body


def test_staff_listing_search_and_new_draft(client_for, world):
    client = client_for("editor")
    body = client.get("/staff/listings/", {"q": "hz"}).content.decode()
    assert "普通护照签发" in body
    response = client.post(f"/staff/listings/{world.passport_listing.pk}/new-version/")
    assert response.status_code == 302
    version = pages.open_version(world.passport_listing)
    assert response["Location"] == f"/staff/versions/{version.pk}/edit/"
    # a second draft is refused with a message, and leads to the open one
    again = client.post(f"/staff/listings/{world.passport_listing.pk}/new-version/")
    assert again["Location"] == f"/staff/versions/{version.pk}/edit/"


def test_other_department_cannot_edit_and_draft_is_unchanged(client_for, world):
    draft = _draft(world)
    before = dict(draft.guide)
    client = client_for("other_editor")
    url = f"/staff/versions/{draft.pk}/edit/"
    assert client.get(url).status_code in (403, 404)
    response = client.post(
        url,
        {"accept_conditions": "被篡改", "action": "save", "change_reason": "x"},
    )
    assert response.status_code in (403, 404)
    for action in ("submit", "discard", "comment"):
        assert client.post(f"/staff/versions/{draft.pk}/{action}/").status_code in (
            403,
            404,
        )
    assert client.post(
        f"/staff/listings/{world.passport_listing.pk}/new-version/"
    ).status_code in (403, 404)
    draft.refresh_from_db()
    assert draft.guide == before
    assert draft.status == "draft"


def test_editor_cannot_publish_or_return(client_for, world):
    draft = _draft(world)
    services.version_submit(version=draft.pk, acting_user=world.editor)
    client = client_for("editor")
    assert client.post(f"/staff/versions/{draft.pk}/publish/").status_code == 403
    assert (
        client.post(f"/staff/versions/{draft.pk}/return/", {"comment": "x"}).status_code
        == 403
    )
    draft.refresh_from_db()
    assert draft.status == "submitted"


def test_edit_page_round_trip_saves_the_same_guide(client_for, world):
    draft = _draft(world)
    client = client_for("editor")
    url = f"/staff/versions/{draft.pk}/edit/"
    data = _form_data(client, url)
    data["action"] = "save"
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    saved = pages.staff_version(world.editor, draft.pk)
    assert saved.guide == draft.guide


def test_edit_page_round_trip_keeps_single_sign_on_town_and_village(client_for, world):
    # given a draft using the fields added for standards §2
    draft = _draft(
        world,
        single_sign_on=True,
        mobile_single_sign_on=True,
        town_code="210102001000000000",
        town_name="和平区太原街街道",
        village_code="210102001001000000",
        village_name="太原街社区",
    )
    client = client_for("editor")
    url = f"/staff/versions/{draft.pk}/edit/"
    # when the form is saved as shown
    data = _form_data(client, url)
    data["action"] = "save"
    response = client.post(url, data)
    # then nothing is lost
    assert response.status_code == 302, response.content.decode()[:3000]
    saved = pages.staff_version(world.editor, draft.pk)
    assert saved.guide == draft.guide
    assert saved.guide["village_name"] == "太原街社区"


def test_edit_shows_pydantic_errors_inline_and_keeps_input(client_for, world):
    draft = _draft(world)
    client = client_for("editor")
    url = f"/staff/versions/{draft.pk}/edit/"
    data = _form_data(client, url)
    data.update(
        {
            "action": "save",
            "materials.0.name": "",
            "materials.1.originals": "很多",
            "legal_limit.days": "abc",
            "visits": "99",
            "accept_conditions": "新的受理条件文本",
        }
    )
    response = client.post(url, data)
    body = response.content.decode()
    assert response.status_code == 422
    assert 'id="f-materials-0-name-error"' in body
    assert 'id="f-materials-1-originals-error"' in body
    assert 'id="f-legal_limit-days-error"' in body
    assert 'id="f-visits-error"' in body
    assert "应为整数" in body
    assert "不能大于9" in body
    assert "新的受理条件文本" in body  # input kept
    assert 'href="#f-visits"' in body  # the summary links to the field
    draft.refresh_from_db()
    assert draft.guide["accept_conditions"] != "新的受理条件文本"


def test_edit_shows_rule_errors_inline_and_submit_is_refused(client_for, world):
    draft = _draft(world)
    client = client_for("editor")
    url = f"/staff/versions/{draft.pk}/edit/"
    data = _form_data(client, url)
    data.pop("is_fee", None)
    data["supports_online_payment"] = "on"  # rule 3: no fee ⇒ no online payment
    data["action"] = "submit"
    response = client.post(url, data)
    body = response.content.decode()
    assert response.status_code == 422
    assert 'id="f-supports_online_payment-error"' in body
    assert "不收费的事项不能支持网上支付" in body
    draft.refresh_from_db()
    assert draft.status == "draft"
    # the GET of a saved draft shows the same rule inline
    page = client.get(url).content.decode()
    assert 'id="f-supports_online_payment-error"' in page


def test_add_and_remove_rows_without_javascript_and_with_htmx(client_for, world):
    draft = _draft(world)
    client = client_for("editor")
    url = f"/staff/versions/{draft.pk}/edit/"
    data = _form_data(client, url)
    # without JS: the whole page comes back with one more material row
    added = client.post(url, {**data, "add_row": "materials"})
    body = added.content.decode()
    assert added.status_code == 200
    assert 'name="materials.2.name"' in body
    assert "autofocus" in body
    # with htmx: only the section
    fragment = client.post(
        url, {**data, "add_row": "fees"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "<html" not in fragment
    assert 'id="section-fees"' in fragment
    assert 'name="fees.0.name"' in fragment
    removed = client.post(url, {**data, "remove_row": "materials.0"}).content.decode()
    assert 'name="materials.1.name"' not in removed
    # nothing was saved by adding or removing
    draft.refresh_from_db()
    assert len(draft.guide["materials"]) == 2


def test_blank_added_rows_are_dropped_on_save(client_for, world):
    draft = _draft(world)
    client = client_for("editor")
    url = f"/staff/versions/{draft.pk}/edit/"
    data = _form_data(client, url)
    added = client.post(url, {**data, "add_row": "materials"}).content.decode()
    data = _form_from_body(added)
    assert data["materials.__rows"] == "3"
    data["action"] = "save"
    assert client.post(url, data).status_code == 302
    draft.refresh_from_db()
    assert len(draft.guide["materials"]) == 2


def test_upload_blank_form_from_edit_page(client_for, world):
    draft = _draft(world)
    client = client_for("editor")
    url = f"/staff/versions/{draft.pk}/edit/"
    data = _form_data(client, url)
    from django.core.files.uploadedfile import SimpleUploadedFile

    data["materials.1.blank_form__file"] = SimpleUploadedFile(
        "新申请表.pdf", PDF_BYTES, content_type="application/pdf"
    )
    data["action"] = "save"
    response = client.post(url, data)
    assert response.status_code == 302
    draft.refresh_from_db()
    attachment_id = draft.guide["materials"][1]["blank_form"]
    assert attachment_id
    # the editor may download it before publication; the public may not
    assert client.get(f"/files/{attachment_id}/").status_code == 200
    client.logout()
    assert client.get(f"/files/{attachment_id}/").status_code == 404


def test_wrong_file_type_is_refused_next_to_the_field(client_for, world):
    draft = _draft(world)
    client = client_for("editor")
    url = f"/staff/versions/{draft.pk}/edit/"
    data = _form_data(client, url)
    from django.core.files.uploadedfile import SimpleUploadedFile

    data["materials.0.sample__file"] = SimpleUploadedFile(
        "virus.exe", b"MZ\x90\x00 not allowed", content_type="application/pdf"
    )
    data["action"] = "save"
    response = client.post(url, data)
    body = response.content.decode()
    assert response.status_code == 422
    assert 'id="f-materials-0-sample-error"' in body
    assert "不是允许的文件类型" in body


@pytest.mark.parametrize(
    "hostile",
    [
        {"materials.0.blank_form": "not-a-uuid"},
        {"materials.0.blank_form": "00000000-0000-0000-0000-000000000000"},
        {"materials.__rows": "99999999999999999999"},
        {"materials.__rows": "-1"},
        {"case_type": "<script>alert(1)</script>"},
        {"depth_stages": ["consult", "teleport"]},
        {"accept_conditions": "长" * 5000},
        {"accept_conditions": "含\x00空字符"},
        {"online_url": "javascript:alert(1)"},
        {"legal_limit.days": "1e309"},
        {"remove_row": "materials.x"},
        {"add_row": "no_such_list"},
        {"action": "explode"},
    ],
)
def test_hostile_edit_input_never_500(client_for, world, hostile):
    draft = _draft(world)
    client = client_for("editor")
    url = f"/staff/versions/{draft.pk}/edit/"
    data = _form_data(client, url)
    data.update(hostile)
    data.setdefault("action", "save")
    response = client.post(url, data)
    assert response.status_code in (200, 302, 422)


def test_other_departments_private_attachment_cannot_be_referenced(client_for, world):
    # given: a private file of another department
    private = services.attachment_create(
        content=PDF_BYTES,
        filename="别人的.pdf",
        acting_user=world.other_editor,
        organisation=world.other_org,
    )
    draft = _draft(world)
    client = client_for("editor")
    url = f"/staff/versions/{draft.pk}/edit/"
    data = _form_data(client, url)
    data["materials.0.blank_form"] = str(private.pk)
    data["action"] = "save"
    response = client.post(url, data)
    assert response.status_code == 422
    assert "附件不存在或您无权使用" in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/staff/versions/99999999999999999999999/edit/",
        "/staff/versions/999999999999999999/edit/",
        "/staff/versions/0/",
        "/staff/listings/999999999999999999/compare/",
        "/staff/import/999999999999999999/",
    ],
)
def test_staff_bad_ids_are_404(client_for, url):
    assert client_for("authority").get(url).status_code == 404


def test_authority_publishes_through_the_page(client_for, world):
    # given: a submitted draft with a changed text
    draft = _draft(world, accept_conditions="新版受理条件ABC")
    services.version_submit(version=draft.pk, acting_user=world.editor)
    client = client_for("authority")
    page = client.get(f"/staff/versions/{draft.pk}/")
    assert "审核通过并发布" in page.content.decode()
    # when: an invalid date, then a past date, then today
    bad = client.post(
        f"/staff/versions/{draft.pk}/publish/", {"effective_from": "2026-02-30"}
    )
    assert bad.status_code == 422
    assert "请输入有效的日期" in bad.content.decode()
    past = client.post(
        f"/staff/versions/{draft.pk}/publish/",
        {
            "effective_from": (
                timezone.localdate() - datetime.timedelta(days=3)
            ).isoformat()
        },
    )
    assert past.status_code == 422
    assert "生效日期不能早于今天" in past.content.decode()
    ok = client.post(
        f"/staff/versions/{draft.pk}/publish/",
        {"effective_from": timezone.localdate().isoformat(), "comment": "同意"},
    )
    # then
    assert ok.status_code == 302
    draft.refresh_from_db()
    assert draft.status == "published"
    public = client.get(f"/items/{world.passport_listing.code}/").content.decode()
    assert "新版受理条件ABC" in public


def test_authority_returns_with_comment(client_for, world):
    draft = _draft(world)
    services.version_submit(version=draft.pk, acting_user=world.editor)
    client = client_for("authority")
    empty = client.post(f"/staff/versions/{draft.pk}/return/", {"comment": ""})
    assert empty.status_code == 422
    assert "退回时必须填写审核意见" in empty.content.decode()
    done = client.post(
        f"/staff/versions/{draft.pk}/return/", {"comment": "材料名称不规范"}
    )
    assert done.status_code == 302
    draft.refresh_from_db()
    assert draft.status == "returned"
    edit = (
        client_for("editor").get(f"/staff/versions/{draft.pk}/edit/").content.decode()
    )
    assert "材料名称不规范" in edit


def test_comment_on_a_version(client_for, world):
    draft = _draft(world)
    client = client_for("editor")
    assert (
        client.post(f"/staff/versions/{draft.pk}/comment/", {"body": ""}).status_code
        == 422
    )
    assert (
        client.post(
            f"/staff/versions/{draft.pk}/comment/", {"body": "请核对"}
        ).status_code
        == 302
    )
    assert "请核对" in client.get(f"/staff/versions/{draft.pk}/").content.decode()


def test_submit_from_version_page_requires_change_reason(client_for, world):
    draft = services.version_create(
        listing=world.passport_listing, acting_user=world.editor, guide=complete_guide()
    )
    client = client_for("editor")
    response = client.post(f"/staff/versions/{draft.pk}/submit/")
    assert response.status_code == 422
    assert "提交审核前请填写变更原因" in response.content.decode()


def test_compare_versions_field_level(client_for, world):
    draft = _draft(
        world, accept_conditions="改过的条件", visits=0, supports_express=True
    )
    client = client_for("editor")
    response = client.get(f"/staff/listings/{world.passport_listing.pk}/compare/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "受理条件" in body and "改过的条件" in body
    assert "到办事现场次数" in body
    assert "申请材料 2 · 材料名称" in body or "申请材料" in body
    explicit = client.get(
        f"/staff/listings/{world.passport_listing.pk}/compare/",
        {"old": world.passport_version.pk, "new": draft.pk},
    )
    assert explicit.status_code == 200
    hostile = client.get(
        f"/staff/listings/{world.passport_listing.pk}/compare/",
        {"old": "99999999999999999999999", "new": "x"},
    )
    assert hostile.status_code == 400


def test_consistency_report_page(client_for, world):
    _draft(world)  # the published version wins for this listing
    from zhengwu.catalog.tests.factories import BaseItemFactory, ListingFactory

    broken = ListingFactory(
        base_item=BaseItemFactory(name="缺要素事项"), organisation=world.county_org
    )
    services.version_create(
        listing=broken,
        acting_user=world.editor,
        guide=complete_guide(transact_address="", is_online=False, offline_reason=""),
        change_reason="x",
    )
    client = client_for("authority")
    body = client.get("/staff/report/").content.decode()
    assert "缺要素事项" in body
    assert "指南要素缺失" in body
    assert "不可网办且未说明原因" in body
    assert "和平区" in body
    filtered = client.get("/staff/report/", {"division": "210200"}).content.decode()
    assert "缺要素事项" not in filtered
    bad = client.get("/staff/report/", {"division": "abc", "organisation": "9" * 30})
    assert bad.status_code == 400
    assert "请选择列表中的地区" in bad.content.decode()


def test_import_page_refuses_bad_files_inline(client_for, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for("authority")
    empty = client.post("/staff/import/", {})
    assert empty.status_code == 422
    assert "请选择要导入的 Excel 文件" in empty.content.decode()
    wrong = client.post(
        "/staff/import/",
        {"file": SimpleUploadedFile("x.xlsx", b"not a workbook at all")},
    )
    assert wrong.status_code in (302, 422)


def test_csrf_is_enforced_on_staff_posts(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.editor)
    response = client.post(f"/staff/listings/{world.passport_listing.pk}/new-version/")
    assert response.status_code == 403
    assert "页面已过期" in response.content.decode()
    assert pages.open_version(world.passport_listing) is None


@pytest.mark.parametrize(
    "content_type",
    [
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "application/x-www-form-urlencoded; charset=utf-16",
    ],
)
def test_unparseable_bodies_are_400_and_change_nothing(world, content_type):
    from django.test import Client

    # given a signed-in browser whose CSRF check has to read the body
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.editor)
    client.cookies["csrftoken"] = "a" * 32
    url = f"/staff/listings/{world.passport_listing.pk}/new-version/"
    # when the body cannot be parsed
    response = client.post(
        url, data=b"a=b", content_type=content_type, headers={"X-CSRFToken": "a" * 32}
    )
    # then it is a bad request, not a server error, and no draft is made
    assert response.status_code == 400
    assert pages.open_version(world.passport_listing) is None


def test_online_url_must_be_a_web_address(client_for, world):
    draft = _draft(world)
    client = client_for("editor")
    url = f"/staff/versions/{draft.pk}/edit/"
    data = {
        **_form_data(client, url),
        "online_url": "javascript:alert(1)",
        "action": "save",
    }
    response = client.post(url, data)
    assert response.status_code == 422
    assert 'id="f-online_url-error"' in response.content.decode()
    assert "http://" in response.content.decode()


def test_full_width_digits_are_accepted(client_for, world):
    draft = _draft(world)
    client = client_for("editor")
    url = f"/staff/versions/{draft.pk}/edit/"
    data = {**_form_data(client, url), "legal_limit.days": "１５", "action": "save"}
    assert client.post(url, data).status_code == 302
    draft.refresh_from_db()
    assert draft.guide["legal_limit"]["days"] == 15


def test_navigation_marks_the_current_section(client, world):
    body = client.get("/regions/210100/").content.decode()
    assert 'href="/regions/" aria-current="page"' in body
