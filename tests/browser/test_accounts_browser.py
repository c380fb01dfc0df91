"""Accounts in a real browser: a citizen registers on a phone with an SMS code read
from the demo outbox; a staff member's first login enrols an authenticator."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}


def test_citizen_registers_on_a_phone_with_a_code_from_the_outbox(
    new_page, live_server, transactional_db, settings, shot
):
    from zhengwu.identity.models import Person
    from zhengwu.identity.tests.person_factories import make_id_number

    settings.ZHENGWU_SMS_OUTBOX_VISIBLE = True
    base = live_server.url
    page = new_page(PHONE)
    page.goto(base + "/")
    page.get_by_role("link", name="注册", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("个人用户注册")
    page.get_by_label("姓名", exact=True).fill("浏览器")
    page.get_by_label("公民身份号码", exact=True).fill(make_id_number(903))
    page.get_by_label("手机号码", exact=True).fill("13700000903")
    page.get_by_role("button", name="获取验证码").click()
    expect(page.get_by_text("验证码已发送")).to_be_visible()
    # what was typed is kept, the passwords are not asked for twice
    expect(page.get_by_label("姓名", exact=True)).to_have_value("浏览器")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, "register-360")

    outbox = new_page(PHONE)
    outbox.goto(base + "/accounts/dev-sms-outbox/")
    text = outbox.locator("tbody tr").first.inner_text()
    assert "137****0903" in text
    code = re.search(r"[0-9]{6}", text.split("137****0903", 1)[1]).group(0)

    page.get_by_label("短信验证码", exact=True).fill(code)
    page.get_by_label("密码", exact=True).fill("Liulan#2026q")
    page.get_by_label("确认密码", exact=True).fill("Liulan#2026x")
    page.get_by_role("button", name="注册", exact=True).click()
    # a mismatch is shown at the field, nothing is created
    expect(page.locator("#id_password2_error")).to_contain_text("不一致")
    assert not Person.objects.exists()
    page.get_by_label("密码", exact=True).fill("Liulan#2026q")
    page.get_by_label("确认密码", exact=True).fill("Liulan#2026q")
    page.get_by_role("button", name="注册", exact=True).click()
    expect(page.get_by_text("注册成功，您已登录。")).to_be_visible()
    expect(page.get_by_role("button", name="退出")).to_be_visible()
    assert Person.objects.get().user_id


def test_first_staff_login_enrols_an_authenticator(new_page, live_server, world, shot):
    from zhengwu.identity.tests.login_helpers import PASSWORD, code_for_key

    base = live_server.url
    page = new_page()
    page.goto(base + "/accounts/login/")
    page.get_by_label("账号", exact=True).fill("heping_editor")
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("绑定身份验证器")
    expect(page.locator("svg.qr-code")).to_be_visible()
    shot(page, "enrol-desktop")
    secret = page.locator(".totp-secret").inner_text().replace(" ", "")
    import base64

    key = base64.b32decode(secret + "=" * (-len(secret) % 8)).hex()
    page.get_by_label("动态验证码", exact=True).fill(code_for_key(key))
    page.get_by_role("button", name="绑定并登录").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("工作台")
