"""The staff administration pages in headless Chromium at 360 px, by keyboard: the
system administrator signs in with both factors, creates a staff account and sees
its initial password once; the audit administrator reads the log without sideways
scrolling."""

import pytest

from zhengwu.core import audit
from zhengwu.identity.constants import StaffRole
from zhengwu.identity.tests.staff_factories import divisions, organisation, staff_user

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_system_admin_creates_a_staff_account_by_keyboard_on_a_phone(
    transactional_db, live_server, new_page, staff_log_in, shot
):
    # given a system administrator of Shenyang
    divisions()
    hall = organisation("沈阳市政务服务中心", "210100")
    staff_user("xitong", (hall, StaffRole.SYSTEM_ADMIN))
    page = new_page(PHONE)
    staff_log_in(page, live_server.url, "xitong")
    # they land on their own page
    assert page.url.endswith("/staff/admin/")
    assert fits(page)
    # when they fill in the form with the keyboard, leaving the name empty
    page.goto(live_server.url + "/staff/admin/new/")
    page.focus("#id_username")
    page.keyboard.type("chuangkou9")
    page.keyboard.press("Tab")  # name: left empty
    page.keyboard.press("Tab")
    page.select_option("#id_organisation", label="沈阳市政务服务中心（沈阳市）")
    page.check("#id_roles_3")  # 窗口工作人员
    page.focus("#id_expires_on")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    # then the error is next to the field, and nothing was created
    assert (
        page.get_by_text("必填").first.is_visible()
        or page.locator("#id_full_name-error").is_visible()
    )
    assert page.locator("#id_username").input_value() == "chuangkou9"
    assert fits(page)
    shot(page, "staff-admin-create-error-phone")
    # when the name is typed and the form sent again
    page.focus("#id_full_name")
    page.keyboard.type("窗口九号")
    page.check("#id_roles_3")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    # then the account exists and its initial password is shown once
    password = page.locator("#initial-password").inner_text()
    assert len(password) >= 12
    assert fits(page)
    shot(page, "staff-admin-created-phone")
    from django.contrib.auth import get_user_model

    created = get_user_model().objects.get(username="chuangkou9")
    assert created.check_password(password)


def test_audit_admin_reads_the_log_on_a_phone(
    transactional_db, live_server, new_page, staff_log_in, shot
):
    divisions()
    province = organisation("辽宁省营商环境建设局", "210000")
    auditor = staff_user("shenji", (province, StaffRole.AUDIT_ADMIN))
    with audit.acting_for("person:1"):
        audit.record(
            acting_user=auditor,
            event="test.browser_event",
            data={"note": "一条很长的审计内容" * 12, "organisation": "9" * 60},
        )
    page = new_page(PHONE)
    staff_log_in(page, live_server.url, "shenji")
    assert page.url.endswith("/staff/admin/audit/")
    page.goto(live_server.url + "/staff/admin/audit/?event=test.")
    assert page.get_by_text("test.browser_event").is_visible()
    assert page.get_by_text("person:1").is_visible()
    assert fits(page)
    shot(page, "staff-admin-audit-phone")
    # every other administration page is refused
    response = page.goto(live_server.url + "/staff/admin/")
    assert response.status == 403
