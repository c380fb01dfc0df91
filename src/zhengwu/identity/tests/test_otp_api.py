"""POST /api/v1/identity/accounts/sms-codes."""

import pytest

from zhengwu.core.models import SmsMessage
from zhengwu.identity import persons
from zhengwu.identity.models import OneTimeCode

from .person_factories import make_id_number, make_mobile

pytestmark = pytest.mark.django_db
URL = "/api/v1/identity/accounts/sms-codes"


def post(client, body, ip="10.7.0.1"):
    return client.post(URL, body, content_type="application/json", REMOTE_ADDR=ip)


def test_registered_and_unregistered_mobiles_get_the_same_answer(client):
    registered = make_mobile()
    persons.register_person(
        name="周九",
        id_number=make_id_number(),
        mobile=registered,
        password="Zhou#2026x",
    )
    one = post(client, {"mobile": registered, "purpose": "login"})
    other = post(client, {"mobile": make_mobile(), "purpose": "login"})
    assert one.status_code == other.status_code == 202
    assert one.json() == other.json()
    assert SmsMessage.objects.count() == 1  # only the registered mobile gets a text


def test_rate_limit_is_429_in_the_error_shape(client):
    mobile = make_mobile()
    assert post(client, {"mobile": mobile}).status_code == 202
    again = post(client, {"mobile": mobile})
    assert again.status_code == 429
    body = again.json()
    assert body["code"] == "identity.sms_rate_limited" and body["fields"]["mobile"]
    assert OneTimeCode.objects.count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {"mobile": "1234567890a"},
        {"mobile": "139"},
        {"mobile": make_mobile(), "purpose": "x"},
    ],
)
def test_malformed_requests_are_422_and_send_nothing(client, body):
    response = post(client, body)
    assert response.status_code == 422
    assert set(response.json()) == {"code", "message", "fields"}
    assert not OneTimeCode.objects.exists()
