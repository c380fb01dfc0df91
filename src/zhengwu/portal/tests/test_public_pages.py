"""Public pages show only versions in force; drafts never leak."""

import pytest

from zhengwu.catalog import services
from zhengwu.catalog.tests.factories import complete_guide

pytestmark = pytest.mark.django_db


def test_home_renders_search_themes_and_regions(client, world):
    # when
    response = client.get("/")
    # then
    body = response.content.decode()
    assert response.status_code == 200
    assert "辽宁省政务服务网" in body
    assert 'name="q"' in body
    assert "个人办事" in body and "法人办事" in body
    assert "/regions/210100/" in body
    assert 'href="#main"' in body


@pytest.mark.parametrize(
    "query", ["护照", "护", "hz", "pthz", "huzhao", "putonghuzhao"]
)
def test_search_finds_passport_by_chinese_pinyin_and_initials(client, world, query):
    # when
    response = client.get("/search/", {"q": query})
    # then
    assert response.status_code == 200
    assert "普通护照签发" in response.content.decode()


def test_search_by_basic_and_implementation_code(client, world):
    for code in (world.passport_item.code, world.passport_listing.code):
        response = client.get("/search/", {"q": code})
        assert "普通护照签发" in response.content.decode(), code


def test_search_without_match_says_so(client, world):
    response = client.get("/search/", {"q": "不存在的事项"})
    assert response.status_code == 200
    assert "没有找到在用的事项" in response.content.decode()


def test_search_keyset_pagination_and_htmx_load_more(client, world):
    # given: the two published listings, one per page
    from zhengwu.portal import views

    original = views.PAGE_SIZE
    views.PAGE_SIZE = 1
    try:
        first = client.get("/search/", {"q": "护照"})
        body = first.content.decode()
        assert "after=" in body
        next_url = body.split('hx-get="')[1].split('"')[0].replace("&amp;", "&")
        # when: htmx asks for the next page
        more = client.get(next_url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
        # then: only the items and an out-of-band pager come back
        fragment = more.content.decode()
        assert "<html" not in fragment
        assert 'hx-swap-oob="true"' in fragment
        assert fragment.count('class="result"') == 1
        # and without JavaScript the same link is a full page
        page = client.get(next_url)
        assert "<html" in page.content.decode()
        assert "回到第一页" in page.content.decode()
    finally:
        views.PAGE_SIZE = original


def test_region_drilldown_province_city_county(client, world):
    province = client.get("/regions/210000/")
    assert "沈阳市" in province.content.decode()
    city = client.get("/regions/210100/")
    body = city.content.decode()
    assert "和平区" in body and "普通护照签发" in body
    county = client.get("/regions/210102/")
    body = county.content.decode()
    assert "普通护照签发" in body
    assert 'aria-current="page">和平区' in body
    assert client.get("/regions/").status_code == 302


def test_department_audience_theme_pages(client, world):
    assert (
        "普通护照签发"
        in client.get(f"/departments/{world.county_org.pk}/").content.decode()
    )
    departments = client.get("/departments/").content.decode()
    assert "沈阳市公安局和平分局" in departments
    assert "普通护照签发" in client.get("/for/natural/").content.decode()
    assert "普通护照签发" not in client.get("/for/legal/").content.decode()
    assert client.get("/for/martians/").status_code == 404
    assert client.get("/themes/").status_code == 200
    assert client.get("/themes/no-such-theme/").status_code == 404


def test_item_page_shows_the_whole_guide(client, world):
    # when
    response = client.get(f"/items/{world.passport_listing.code}/")
    # then
    body = response.content.decode()
    assert response.status_code == 200
    for text in [
        "普通护照签发",
        world.passport_item.code,
        world.passport_listing.code,
        "行政许可",
        "《中华人民共和国行政许可法》",
        "沈阳市公安局和平分局",
        "县级",
        "首次申领",
        "申请人为中国公民",
        "中国公民出入境证件申请表",
        "容缺后补",
        "政府部门核发",
        "纸质+电子",
        "原件",
        "复印件",
        "下载空白表格",
        "下载示例样表",
        "受理",
        "20个工作日",
        "7个工作日",
        "承诺件",
        "实地核查",
        "护照工本费",
        "每本120元",
        "政务服务中心",
        "12345",
        "可网上办理",
        "互联网受理",
        "Ⅲ级",
        "到现场次数",
        "中华人民共和国普通护照",
        "下载结果样本",
        "照片拍摄",
        "护照有效期多久",
        "生效日期",
        "大连市",  # the same item in another region
    ]:
        assert text in body, text
    assert f"/files/{world.blank_form_id}/" in body


def test_item_page_shows_town_village_and_single_sign_on(client, world):
    # given the version in force names its township and village (standards §2)
    version = world.passport_listing.versions.get(status="published")
    guide = dict(
        version.guide,
        town_code="210102001000000000",
        town_name="和平区太原街街道",
        village_name="太原街社区",
        single_sign_on=True,
    )
    type(version).objects.filter(pk=version.pk).update(guide=guide)
    # when
    body = client.get(f"/items/{world.passport_listing.code}/").content.decode()
    # then
    for text in [
        "乡镇街道",
        "和平区太原街街道",
        "210102001000000000",
        "村居社区",
        "太原街社区",
        "计算机端：是；移动端：否",
    ]:
        assert text in body, text


def test_item_page_offline_listing_shows_reason(client, world):
    body = client.get(f"/items/{world.city_listing.code}/").content.decode()
    assert "不能网上办理" in body
    assert "需现场采集指纹" in body


def test_draft_text_never_appears_on_public_pages(client, world):
    # given: a new draft of a published listing, and a never-published listing
    services.version_create(
        listing=world.passport_listing,
        acting_user=world.editor,
        guide=complete_guide(accept_conditions="草稿里的秘密条件XYZ"),
        change_reason="试改",
    )
    from zhengwu.catalog.tests.factories import BaseItemFactory, ListingFactory

    hidden_item = BaseItemFactory(name="尚未公布的隐藏事项")
    hidden_listing = ListingFactory(
        base_item=hidden_item, organisation=world.county_org
    )
    services.version_create(
        listing=hidden_listing,
        acting_user=world.editor,
        guide=complete_guide(),
        change_reason="新增",
    )
    # when / then
    pages = [
        "/",
        "/search/?q=护照",
        "/search/?q=隐藏",
        "/regions/210102/",
        f"/departments/{world.county_org.pk}/",
        "/for/natural/",
        f"/items/{world.passport_listing.code}/",
    ]
    for url in pages:
        body = client.get(url).content.decode()
        assert "草稿里的秘密条件XYZ" not in body, url
        assert "尚未公布的隐藏事项" not in body, url
    assert client.get(f"/items/{hidden_listing.code}/").status_code == 404


def test_download_published_blank_form(client, world):
    response = client.get(f"/files/{world.blank_form_id}/")
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    assert content.startswith(b"%PDF")
    assert "attachment" in response["Content-Disposition"]


def test_unpublished_attachment_is_404_for_public_and_other_departments(
    client, world, django_user_model
):
    # given: a file uploaded but not used by any published version
    private = services.attachment_create(
        content=b"%PDF-1.4 private",
        filename="内部.pdf",
        acting_user=world.editor,
        organisation=world.county_org,
    )
    url = f"/files/{private.pk}/"
    # then
    assert client.get(url).status_code == 404
    client.force_login(world.other_editor)
    assert client.get(url).status_code == 404
    client.force_login(world.editor)
    assert client.get(url).status_code == 200
    client.force_login(world.authority)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/items/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/",
        "/items/short/",
        "/regions/999999/",
        "/regions/abc/",
        "/departments/99999999999999999999999999/",
        "/departments/999999999999999999/",
        "/files/not-a-uuid/",
        "/files/00000000-0000-0000-0000-000000000000/",
        "/themes/" + "x" * 300 + "/",
    ],
)
def test_bad_ids_are_404_not_500(client, world, url):
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {"q": "护" * 5000},
        {"q": "a\x00b"},
        {"q": "护照", "after": "99999999999999999999999999"},
        {"q": "护照", "after": "-5"},
        {"q": "护照", "after": "abc"},
        {"q": "%_\\'\""},
        {"division": "21'; drop table"},
        {"audience": "robots"},
        {"online": "maybe"},
    ],
)
def test_hostile_search_input_never_500(client, world, params):
    response = client.get("/search/", params)
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert "field-error" in response.content.decode()


def test_csp_header_and_no_inline_script(client, world):
    response = client.get(f"/items/{world.passport_listing.code}/")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    body = response.content.decode()
    assert "<script>" not in body
    assert " style=" not in body
    assert " onclick=" not in body


@pytest.mark.parametrize("url", ["/accounts/login/", "/search/", "/"])
@pytest.mark.parametrize("charset", ["utf-16", "latin-1", "utf8"])
def test_form_body_in_another_charset_is_400_not_500(world, url, charset):
    from django.test import Client

    # given an anonymous browser whose CSRF check reads the form body
    client = Client(enforce_csrf_checks=True)
    # when the body declares a charset other than UTF-8
    response = client.post(
        url,
        data=b"username=a&password=b",
        content_type=f"application/x-www-form-urlencoded; charset={charset}",
    )
    # then the 400 page, not a server error
    assert response.status_code == 400
    assert "请求无效" in response.content.decode()
