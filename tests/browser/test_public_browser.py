"""Citizens in a real browser: browse, search, read and print a guide, download a form,
on a 360 px phone and with the keyboard alone."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}


def test_browse_province_city_county(page, live_server, world, shot):
    page.goto(live_server.url + "/")
    page.get_by_role("navigation", name="主导航").get_by_role(
        "link", name="按地区"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("辽宁省政务服务事项")
    page.get_by_role("link", name="沈阳市", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("沈阳市政务服务事项")
    page.get_by_role("link", name="和平区", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("和平区政务服务事项")
    expect(page.get_by_role("link", name="普通护照签发")).to_be_visible()
    breadcrumbs = page.get_by_role("navigation", name="当前位置")
    expect(breadcrumbs).to_contain_text("辽宁省")
    expect(breadcrumbs).to_contain_text("沈阳市")
    shot(page, "region-county")


def test_search_chinese_finds_the_passport_item(page, live_server, world, shot):
    page.goto(live_server.url + "/")
    shot(page, "home-desktop")
    page.get_by_label("搜索办事事项").fill("护照")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/**")
    results = page.locator("#results")
    expect(results.get_by_role("link", name="普通护照签发").first).to_be_visible()
    shot(page, "search-results")


@pytest.mark.parametrize("query", ["pthz", "huzhao", "hz"])
def test_search_by_pinyin(page, live_server, world, query):
    page.goto(f"{live_server.url}/search/?q={query}")
    expect(
        page.locator("#results").get_by_role("link", name="普通护照签发").first
    ).to_be_visible()


def test_load_more_with_htmx_appends_without_reload(
    page, live_server, world, monkeypatch
):
    from zhengwu.portal import views

    monkeypatch.setattr(views, "PAGE_SIZE", 1)
    page.goto(f"{live_server.url}/search/?q=hz")
    expect(page.locator("#results > li")).to_have_count(1)
    page.evaluate("window.__marker = 'still here'")
    page.get_by_role("link", name="下一页（加载更多）").click()
    expect(page.locator("#results > li")).to_have_count(2)
    # the same document: htmx appended the next page instead of navigating
    assert page.evaluate("window.__marker") == "still here"
    expect(page.get_by_role("link", name="下一页（加载更多）")).to_have_count(0)


def test_item_page_shows_guide_sections(page, live_server, world, shot):
    page.goto(f"{live_server.url}/items/{world.passport_listing.code}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("普通护照签发")
    for heading in [
        "基本信息",
        "受理条件",
        "申请材料",
        "办理流程",
        "办理时限",
        "收费",
        "办理地点、时间与咨询投诉",
        "网上办理与便民服务",
        "办理结果",
        "中介服务",
        "常见问题",
        "其他地区办理本事项",
    ]:
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    materials = page.locator("table.materials")
    expect(materials).to_contain_text("中国公民出入境证件申请表")
    expect(materials).to_contain_text("容缺后补")
    expect(page.locator("#online")).to_contain_text("Ⅲ级")
    expect(page.get_by_role("button", name="打印办事指南")).to_be_visible()
    shot(page, "item-desktop")
    # printing hides navigation
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="主导航")).to_be_hidden()
    expect(page.locator("#materials")).to_be_visible()
    page.emulate_media(media="screen")


def test_download_blank_form(page, live_server, world):
    page.goto(f"{live_server.url}/items/{world.passport_listing.code}/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载空白表格").first.click()
    download = download_info.value
    content = open(download.path(), "rb").read()
    assert content.startswith(b"%PDF") or content.startswith(b"PK")
    assert download.suggested_filename.endswith(".pdf")


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/search/?q=护照",
        "/regions/210100/",
        "/for/natural/",
        "/departments/",
        "item",
    ],
)
def test_no_horizontal_scroll_at_360px(new_page, live_server, world, shot, path):
    page = new_page(PHONE)
    url = f"/items/{world.passport_listing.code}/" if path == "item" else path
    page.goto(live_server.url + url)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, (url, width)
    if path in ("item", "/", "/search/?q=护照"):
        name = {"item": "item-360", "/": "home-360", "/search/?q=护照": "search-360"}[
            path
        ]
        shot(page, name)


def test_keyboard_only_skip_link_to_search_and_enter(page, live_server, world):
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "跳到主要内容"
    # the skip link is visible when focused
    expect(page.get_by_role("link", name="跳到主要内容")).to_be_in_viewport()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "q"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    page.keyboard.type("护照")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/**")
    expect(
        page.locator("#results").get_by_role("link", name="普通护照签发").first
    ).to_be_visible()
