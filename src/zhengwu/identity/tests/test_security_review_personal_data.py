"""Security review: clear ID numbers and mobiles stay out of the SMS outbox once its
codes are stale, out of the Django admin, the audit data and the OpenAPI document."""

import datetime
import re

from django.utils import timezone

import pytest

from zhengwu.core.models import AuditEvent, SmsMessage
from zhengwu.core.validators import is_valid_id_number
from zhengwu.identity import otp, persons
from zhengwu.identity.models import OneTimeCode

from .person_factories import make_id_number, make_mobile

pytestmark = pytest.mark.django_db

PASSWORD = "Shimin#2026x"


def test_stale_code_messages_leave_the_sms_outbox(db):
    # given a registered mobile that got a login code three days ago, and one now
    mobile = make_mobile()
    persons.register_person(
        name="孙七", id_number=make_id_number(), mobile=mobile, password=PASSWORD
    )
    otp.send_code(mobile=mobile, purpose="login", source_ip="10.9.0.1")
    old = SmsMessage.objects.get(reference__startswith="otp:")
    three_days_ago = timezone.now() - datetime.timedelta(days=3)
    SmsMessage.objects.filter(pk=old.pk).update(created_at=three_days_ago)
    OneTimeCode.objects.update(created_at=three_days_ago)
    otp.send_code(mobile=mobile, purpose="login", source_ip="10.9.0.1")
    send_sms_other = SmsMessage.objects.create(
        mobile=mobile,
        mobile_masked="x",
        text="其他通知",
        template="notice",
        reference="notice:1",
    )
    SmsMessage.objects.filter(pk=send_sms_other.pk).update(created_at=three_days_ago)
    # when the hourly purge runs
    otp.purge_codes()
    # then the stale code message (mobile and code in it) is gone, the fresh one and
    # other messages stay
    assert not SmsMessage.objects.filter(pk=old.pk).exists()
    assert SmsMessage.objects.filter(reference__startswith="otp:").count() == 1
    assert SmsMessage.objects.filter(reference="notice:1").exists()


def test_the_admin_shows_no_clear_id_number_or_mobile(admin_client, client):
    from .staff_factories import divisions, organisation, staff_user

    id_number, mobile = make_id_number(), make_mobile()
    person = persons.register_person(
        name="周八", id_number=id_number, mobile=mobile, password=PASSWORD
    )
    pages = [
        "/admin/",
        "/admin/auth/user/",
        f"/admin/auth/user/{person.user_id}/change/",
        "/admin/django_tasks_database/dbtaskresult/",
    ]
    for url in pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert id_number not in body and mobile not in body, url
    # the audit log, as the audit administrator reads it there
    divisions()
    auditor = staff_user(
        "admin_auditor", (organisation("省营商局", "210000"), "audit_admin")
    )
    auditor.is_staff = True
    auditor.save()
    client.force_login(auditor)
    pages = ["/admin/core/auditevent/"] + [
        f"/admin/core/auditevent/{pk}/change/"
        for pk in AuditEvent.objects.values_list("pk", flat=True)
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert id_number not in body and mobile not in body, url
    # searching users by a clear ID number finds nobody (no decrypting search)
    found = admin_client.get("/admin/auth/user/", {"q": id_number})
    assert found.context["cl"].result_count == 0


def test_audit_data_of_registration_and_login_has_masked_identifiers_only(client):
    id_number, mobile = make_id_number(), make_mobile()
    persons.register_person(
        name="吴九", id_number=id_number, mobile=mobile, password=PASSWORD
    )
    client.post("/accounts/login/", {"login_name": id_number, "password": "Bad#pass1"})
    client.post("/accounts/login/", {"login_name": mobile, "password": PASSWORD})
    client.post("/accounts/login/sms/", {"mobile": mobile, "action": "send"})
    text = " ".join(
        str(row) for row in AuditEvent.objects.values_list("data", "target_id")
    )
    assert id_number not in text and mobile not in text


def test_openapi_examples_hold_no_real_looking_id_number(client):
    schema = client.get("/api/v1/openapi.json").content.decode()
    for candidate in re.findall(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])", schema):
        assert not is_valid_id_number(candidate), candidate


# --- keys -------------------------------------------------------------------------


def test_no_personal_data_is_encrypted_with_a_derived_key_outside_debug(settings):
    from django.core.exceptions import ImproperlyConfigured

    from zhengwu.core.crypto import blind_index, sm4_encrypt

    settings.DEBUG = False
    settings.ZHENGWU_DERIVED_KEYS_ALLOWED = False
    settings.ZHENGWU_FIELD_ENCRYPTION_KEY = ""
    settings.ZHENGWU_BLIND_INDEX_KEY = ""
    with pytest.raises(ImproperlyConfigured, match="ZHENGWU_FIELD_ENCRYPTION_KEY"):
        sm4_encrypt("110101199003070017")
    with pytest.raises(ImproperlyConfigured, match="ZHENGWU_BLIND_INDEX_KEY"):
        blind_index("110101199003070017", purpose="id_number")
    settings.ZHENGWU_FIELD_ENCRYPTION_KEY = "0" * 32
    settings.ZHENGWU_BLIND_INDEX_KEY = "1" * 32
    assert sm4_encrypt("x").startswith("sm4g1:")
    assert blind_index("x", purpose="id_number")


def test_the_dev_settings_with_debug_off_hide_the_sms_outbox(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    from zhengwu.identity.keys import ensure_private_key_file

    pem = tmp_path / "oidc.pem"
    ensure_private_key_file(pem, bits=2048)
    src = Path(__file__).resolve().parents[3]
    environ = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(src),
        "ZHENGWU_DEBUG": "false",
        "ZHENGWU_SECRET_KEY": "k" * 50,
        "ZHENGWU_VAR_DIR": str(tmp_path),
        "ZHENGWU_OIDC_PRIVATE_KEY_FILE": str(pem),
    }
    result = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-c",
            "import zhengwu.conf.dev as s; print(s.ZHENGWU_SMS_OUTBOX_VISIBLE)",
        ],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


class QuotingGateway:
    """A provider whose error message quotes the number it refused."""

    def send(self, mobile, text, *, template, reference):
        raise RuntimeError(f"number {mobile} is not reachable")


def test_a_provider_error_quoting_the_mobile_is_kept_masked(settings):
    from zhengwu.core.sms import deliver_sms, send_sms

    settings.ZHENGWU_SMS_BACKEND = (
        "zhengwu.identity.tests.test_security_review_personal_data.QuotingGateway"
    )
    message = send_sms(
        mobile="13912345678", text="通知", template="notice", reference="notice:q"
    )
    deliver_sms.call(message_id=message.pk)
    message.refresh_from_db()
    assert "13912345678" not in message.last_error
    assert "139****5678" in message.last_error
