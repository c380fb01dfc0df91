"""找回密码 in a real browser on a 360 px phone: from the login page, a code, a refused
password shown at its field, then the new password logs in."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}


def test_citizen_resets_the_password_on_a_phone(
    new_page, live_server, transactional_db, settings, shot
):
    from zhengwu.core.models import SmsMessage
    from zhengwu.identity import persons
    from zhengwu.identity.tests.person_factories import make_id_number

    id_number, mobile = make_id_number(904), "13700000904"
    persons.register_person(
        name="找回", id_number=id_number, mobile=mobile, password="Jiumima#2026q"
    )
    page = new_page(PHONE)
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_role("link", name="忘记密码？找回密码").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("找回密码")
    page.get_by_label("公民身份号码", exact=True).fill(id_number)
    page.get_by_label("手机号码", exact=True).fill(mobile)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.get_by_text("验证码已发送到该手机")).to_be_visible()
    expect(page.get_by_label("公民身份号码", exact=True)).to_have_value(id_number)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    code = re.search(r"[0-9]{6}", SmsMessage.objects.latest("pk").text).group(0)

    page.get_by_label("短信验证码", exact=True).fill(code)
    page.get_by_label("新密码", exact=True).fill("Jiumima#2026q")  # the old one
    page.get_by_label("确认新密码", exact=True).fill("Jiumima#2026q")
    page.get_by_role("button", name="重设密码").click()
    error = page.locator("#id_new_password1_error")
    expect(error).to_contain_text("最近")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, "password-reset-error-360")

    page.get_by_label("新密码", exact=True).fill("Xinmima#2027y")
    page.get_by_label("确认新密码", exact=True).press("Control+a")
    page.get_by_label("确认新密码", exact=True).fill("Xinmima#2027y")
    page.get_by_label("确认新密码", exact=True).press("Enter")
    expect(page.get_by_text("密码已重置")).to_be_visible()
    page.get_by_label("账号", exact=True).fill(id_number)
    page.get_by_label("密码", exact=True).fill("Xinmima#2027y")
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("button", name="退出")).to_be_visible()
