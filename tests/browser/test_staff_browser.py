"""Staff in a real browser: an editor fixes an inline error and submits a draft, the
catalogue authority publishes it, the public page shows the new version."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
PASSWORD = "Zhengwu#2026"


@pytest.fixture
def log_in(staff_log_in):
    def log_in(page, base_url, username):
        staff_log_in(page, base_url, username, PASSWORD)
        expect(page.get_by_role("heading", level=1)).to_have_text("工作台")

    return log_in


def open_new_draft(page, base_url):
    page.get_by_role("navigation", name="工作台导航").get_by_role(
        "link", name="实施清单"
    ).click()
    page.get_by_label("事项名称、拼音或编码").fill("pthz")
    page.get_by_role("button", name="查找").click()
    row = page.locator("li.result", has_text="沈阳市公安局和平分局")
    row.get_by_role("button", name="新建草稿").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("编辑办事指南")


def test_editor_fixes_inline_error_submits_and_authority_publishes(
    new_page, live_server, world, shot, log_in
):
    base = live_server.url
    page = new_page()
    log_in(page, base, "heping_editor")
    open_new_draft(page, base)

    # htmx: "add material" swaps in only that section and focuses the new row
    page.evaluate("window.__marker = 1")
    page.get_by_role("button", name="添加材料").click()
    expect(page.locator('[name="materials.3.name"]')).to_be_visible()
    expect(page.locator('[name="materials.3.name"]')).to_be_focused()
    assert page.evaluate("window.__marker") == 1

    # an inline error next to the field
    page.get_by_label("受理条件", exact=True).fill("浏览器测试：新的受理条件")
    page.get_by_label("到办事现场次数").fill("两次")
    page.get_by_role("button", name="保存草稿").last.click()
    error = page.locator("#f-visits-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("应为整数")
    expect(page.get_by_role("alert").first).to_be_visible()
    expect(page.get_by_label("受理条件", exact=True)).to_have_value(
        "浏览器测试：新的受理条件"
    )
    shot(page, "edit-error-desktop")

    # fix it and submit with a change reason
    page.get_by_label("到办事现场次数").fill("1")
    page.get_by_label("变更原因").fill("更新受理条件")
    page.get_by_role("button", name="保存并提交审核").click()
    expect(page.get_by_text("已保存并提交审核。")).to_be_visible()
    expect(page.locator(".item-header .badge-submitted")).to_have_text("待审核")

    # the catalogue authority publishes it from the review queue
    page.get_by_role("button", name="退出").click()
    log_in(page, base, "bianweiban")
    page.locator("#queue-title ~ table").get_by_role("link", name="审核").first.click()
    expect(page.get_by_role("heading", name="审核通过并发布")).to_be_visible()
    shot(page, "review-desktop")
    page.get_by_label("审核意见", exact=True).fill("同意发布")
    page.get_by_role("button", name="发布", exact=True).click()
    expect(page.get_by_text("已发布第")).to_be_visible()

    # the public sees the new version
    public = new_page()
    public.goto(f"{base}/items/{world.passport_listing.code}/")
    expect(public.locator("#conditions")).to_contain_text("浏览器测试：新的受理条件")
    expect(public.locator("#basic")).to_contain_text("第2版")

    # the field-level comparison shows what changed between the two versions
    page.goto(f"{base}/staff/listings/{world.passport_listing.pk}/compare/")
    expect(page.locator("table.diff")).to_contain_text("浏览器测试：新的受理条件")
    shot(page, "compare-desktop")


def test_edit_page_on_a_phone(new_page, live_server, world, shot, log_in):
    base = live_server.url
    page = new_page(PHONE)
    log_in(page, base, "heping_editor")
    open_new_draft(page, base)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, "edit-360")
    # a broken rule shows inline, at the field, on the phone too
    page.get_by_label("本事项收费").uncheck()
    page.get_by_role("button", name="保存草稿").last.click()
    expect(page.locator("#f-supports_online_payment-error")).to_contain_text(
        "不收费的事项不能支持网上支付"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_workbench_and_report_on_a_phone(new_page, live_server, world, shot, log_in):
    base = live_server.url
    page = new_page(PHONE)
    log_in(page, base, "bianweiban")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, "workbench-360")
    page.goto(base + "/staff/report/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, "report-360")


def test_demo_data_search_passport(
    page, live_server, transactional_db, settings, tmp_path
):
    from django.core.management import call_command, get_commands

    if "populate_demo" not in get_commands():
        pytest.skip("populate_demo is not available")
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("load_reference_data", verbosity=0)
    call_command("populate_demo", verbosity=0)
    page.goto(live_server.url + "/")
    page.get_by_label("搜索办事事项").fill("护照")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/**")
    first = page.locator("#results li.result a").first
    expect(first).to_contain_text("护照")
    first.click()
    expect(page.get_by_role("heading", name="申请材料", exact=True)).to_be_visible()
