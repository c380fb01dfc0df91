"""Password reset for citizens (找回密码): ID number and registered mobile, an SMS
code, a new password; the same answer whatever the pair, single-use codes, the old
password refused and every other session ended afterwards; not for staff."""

import re

from django.test import Client

import pytest

from zhengwu.core.models import AuditEvent, SmsMessage
from zhengwu.identity import persons
from zhengwu.identity.constants import OtpPurpose
from zhengwu.identity.models import OneTimeCode, Person, UserSession

from .person_factories import make_id_number, make_mobile

pytestmark = pytest.mark.django_db

OLD_PASSWORD = "Shimin#2026x"
NEW_PASSWORD = "Xinmima#2027y"
URL = "/accounts/password/reset/"


@pytest.fixture
def citizen():
    id_number, mobile = make_id_number(), make_mobile()
    person = persons.register_person(
        name="王小明", id_number=id_number, mobile=mobile, password=OLD_PASSWORD
    )
    return person, id_number, mobile


def send(client, id_number, mobile, ip="10.3.0.1"):
    return client.post(
        URL,
        {"id_number": id_number, "mobile": mobile, "action": "send"},
        REMOTE_ADDR=ip,
    )


def reset(client, id_number, mobile, code, password=NEW_PASSWORD, again=None):
    return client.post(
        URL,
        {
            "id_number": id_number,
            "mobile": mobile,
            "code": code,
            "new_password1": password,
            "new_password2": again or password,
            "action": "reset",
        },
        REMOTE_ADDR="10.3.0.1",
    )


def last_code(mobile: str) -> str:
    masked = mobile[:3] + "****" + mobile[-4:]
    text = SmsMessage.objects.filter(mobile_masked=masked).latest("pk").text
    return re.search(r"[0-9]{6}", text).group(0)


def password_login(client, login_name, password):
    return client.post(
        "/accounts/login/", {"login_name": login_name, "password": password}
    )


def test_a_citizen_resets_their_password_with_an_sms_code(client, citizen):
    # given a citizen logged in on another device
    person, id_number, mobile = citizen
    other_device = Client()
    assert password_login(other_device, id_number, OLD_PASSWORD).status_code == 302
    assert other_device.get("/me/").status_code == 200
    # when they ask for a code with their ID number and mobile
    sent = send(client, id_number, mobile)
    assert sent.status_code == 200
    assert "验证码已发送" in sent.content.decode()
    assert "找回密码" in SmsMessage.objects.latest("pk").text
    # and type it with a new password twice
    done = reset(client, id_number, mobile, last_code(mobile))
    # then they are sent to log in, and every session of theirs has ended: the
    # other device is logged out
    assert done.status_code == 302 and done["Location"] == "/accounts/login/"
    assert not UserSession.objects.filter(
        user=person.user, ended_at__isnull=True
    ).exists()
    assert other_device.get("/me/").status_code == 302
    # the old password is refused and the new one logs in
    refused = password_login(Client(), id_number, OLD_PASSWORD)
    assert refused.status_code == 401
    assert password_login(Client(), id_number, NEW_PASSWORD).status_code == 302
    # and the reset is audited without the ID number or mobile in clear
    event = AuditEvent.objects.get(event="identity.password_reset")
    assert event.actor == person.user
    assert id_number not in str(event.data) and mobile not in str(event.data)


def test_a_wrong_pair_gets_the_same_answer_and_no_sms(client, citizen):
    # given a citizen, and someone who knows only their ID number
    person, id_number, mobile = citizen
    right = send(Client(), id_number, mobile, ip="10.3.0.2")
    messages_before = SmsMessage.objects.count()
    other_mobile = make_mobile()
    # when they ask for a code for that ID number with another mobile
    wrong = send(client, id_number, other_mobile)
    # then the page says exactly the same, and no message is sent
    assert wrong.status_code == right.status_code == 200

    def notice(response):
        return re.search(
            r'<p class="message message-success" role="status">(.*?)</p>',
            response.content.decode(),
        ).group(1)

    assert notice(wrong) == notice(right)
    assert SmsMessage.objects.count() == messages_before
    # and a guessed code is refused like a wrong code, changing nothing
    refused = reset(client, id_number, other_mobile, "123456")
    assert refused.status_code == 200
    assert "短信验证码不正确或已失效" in refused.content.decode()
    person.user.refresh_from_db()
    assert person.user.check_password(OLD_PASSWORD)


def test_an_unknown_id_number_gets_the_same_answer(client, citizen):
    _person, _id_number, mobile = citizen
    response = send(client, make_id_number(), mobile)
    assert response.status_code == 200
    assert "验证码已发送" in response.content.decode()
    assert not SmsMessage.objects.exists()


def test_a_code_is_used_once(client, citizen):
    person, id_number, mobile = citizen
    send(client, id_number, mobile)
    code = last_code(mobile)
    assert reset(client, id_number, mobile, code).status_code == 302
    # the same code again (say, by someone who read it over the shoulder)
    again = reset(Client(), id_number, mobile, code, password="Another#2028z")
    assert again.status_code == 200
    assert "短信验证码不正确或已失效" in again.content.decode()
    person.user.refresh_from_db()
    assert person.user.check_password(NEW_PASSWORD)


def test_a_refused_password_keeps_the_code_and_changes_nothing(client, citizen):
    person, id_number, mobile = citizen
    send(client, id_number, mobile)
    code = last_code(mobile)
    # the old password again is refused by the history, inline at the field
    refused = reset(client, id_number, mobile, code, password=OLD_PASSWORD)
    html = refused.content.decode()
    assert refused.status_code == 200 and 'id="id_new_password1_error"' in html
    assert not AuditEvent.objects.filter(event="identity.password_reset").exists()
    # mismatched passwords too
    mismatch = reset(client, id_number, mobile, code, again="Different#2027y")
    assert 'id="id_new_password2_error"' in mismatch.content.decode()
    # the code still works with an acceptable password
    assert reset(client, id_number, mobile, code).status_code == 302


def test_staff_cannot_reset_here(client, citizen):
    # given a citizen's account that has become a staff account
    person, id_number, mobile = citizen
    from django.contrib.auth import get_user_model

    from zhengwu.identity.constants import AccountKind
    from zhengwu.identity.models import Account

    Account.objects.filter(user=person.user).update(kind=AccountKind.STAFF)
    assert Person.objects.get(pk=person.pk).user_id == person.user.pk
    # when they ask for a reset code
    response = send(client, id_number, mobile)
    # then the answer is the generic one and no code is texted
    assert response.status_code == 200 and "验证码已发送" in response.content.decode()
    assert not SmsMessage.objects.exists()
    assert get_user_model().objects.get(pk=person.user.pk).check_password(OLD_PASSWORD)


def test_reset_codes_share_the_sms_limits(client, citizen):
    _person, id_number, mobile = citizen
    send(client, id_number, mobile)
    # a second request within the minute is refused at the mobile field
    again = send(client, id_number, mobile)
    html = again.content.decode()
    assert "验证码发送过于频繁" in html
    assert OneTimeCode.objects.filter(purpose=OtpPurpose.RESET).count() == 1
    # and so is an SMS login code for the same mobile
    login_code = client.post(
        "/accounts/login/sms/",
        {"mobile": mobile, "action": "send"},
        REMOTE_ADDR="10.3.0.1",
    )
    assert "验证码发送过于频繁" in login_code.content.decode()


def test_the_login_page_links_to_the_reset(client):
    page = client.get("/accounts/login/").content.decode()
    assert f'href="{URL}"' in page


def test_a_malformed_id_number_is_shown_at_its_field(client):
    response = send(client, "123", make_mobile())
    html = response.content.decode()
    assert response.status_code == 200
    assert "公民身份号码不正确" in html and not SmsMessage.objects.exists()


def test_a_mobile_typed_with_surrounding_spaces_still_gets_the_code(client, citizen):
    # the send step reads the raw field: the account lookup must use the mobile as
    # the code is stored (trimmed), or a registered citizen silently gets no SMS
    _person, id_number, mobile = citizen
    assert send(client, id_number, f" {mobile} ").status_code == 200
    code = last_code(mobile)
    assert reset(client, id_number, mobile, code).status_code == 302
