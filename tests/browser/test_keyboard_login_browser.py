"""Keyboard alone on a phone: the SMS login form has two submit buttons ("get code"
and "log in"); Enter in the code field must log in, not text another code."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}


def test_enter_in_the_sms_code_field_logs_the_citizen_in(
    new_page, live_server, transactional_db
):
    from zhengwu.core.models import SmsMessage
    from zhengwu.identity.tests.person_factories import make_citizen

    # given: a registered citizen who asked for a code
    person = make_citizen()
    page = new_page(PHONE)
    page.goto(live_server.url + "/accounts/login/sms/")
    page.get_by_label("手机号码", exact=True).fill(person.mobile)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.get_by_role("status")).to_contain_text("验证码已发送")
    code = re.search(r"[0-9]{6}", SmsMessage.objects.get().text).group(0)
    # when: they type it and press Enter
    page.get_by_label("短信验证码", exact=True).fill(code)
    page.get_by_label("短信验证码", exact=True).press("Enter")
    # then: they are logged in, and no second code was sent
    expect(page.get_by_role("button", name="退出")).to_be_visible()
    assert SmsMessage.objects.count() == 1
