"""The licence pages: the wallet shows only the user's own licences (another
holder's id is a 404, page and file), 亮证 gives a QR code releasing the chosen
fields, the verifier states a reason and sees only those fields once (another
session is refused), the public verify page by identifier or file, and the
holder sees the use records."""

import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

import pytest

from zhengwu.core.models import AuditEvent
from zhengwu.identity.facade import person_label_for_user
from zhengwu.identity.tests.person_factories import make_citizen
from zhengwu.licenses.tests.factories import licence_world  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def holder(licence_world):  # noqa: F811
    return make_citizen("王秀英").user


@pytest.fixture
def other(licence_world):  # noqa: F811
    return make_citizen("赵强").user


@pytest.fixture
def licence(licence_world, holder):  # noqa: F811
    return licence_world.issue(holder_label=person_label_for_user(holder))


def _show_url(client, licence, fields):
    response = client.post(
        f"/licenses/mine/{licence.pk}/show/", {"fields": list(fields)}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html
    return re.search(r'id="show-link" href="([^"]+)"', html).group(1)


def test_wallet_and_detail_for_holder(client, holder, licence):
    client.force_login(holder)
    page = client.get("/licenses/mine/").content.decode()
    assert "职业资格证书" in page and f"/licenses/mine/{licence.pk}/" in page
    detail = client.get(f"/licenses/mine/{licence.pk}/").content.decode()
    assert licence.identifier in detail and "中式烹调师" in detail and "颁发" in detail
    response = client.get(f"/licenses/mine/{licence.pk}/file/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert AuditEvent.objects.filter(event="licenses.file_downloaded").count() == 1


def test_wallet_needs_login(client, licence):
    response = client.get("/licenses/mine/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_other_holder_gets_404(client, other, licence):
    client.force_login(other)
    assert licence.identifier not in client.get("/licenses/mine/").content.decode()
    for url in (
        f"/licenses/mine/{licence.pk}/",
        f"/licenses/mine/{licence.pk}/file/",
        f"/licenses/mine/{licence.pk + 1000}/",
    ):
        assert client.get(url).status_code == 404
    response = client.post(
        f"/licenses/mine/{licence.pk}/show/", {"fields": ["holder_name"]}
    )
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(
        event__in=["licenses.file_downloaded", "licenses.shown"]
    ).exists()


def test_show_without_fields_names_the_field(client, holder, licence):
    client.force_login(holder)
    response = client.post(f"/licenses/mine/{licence.pk}/show/", {})
    assert response.status_code == 400
    assert "请至少选择一项要出示的信息" in response.content.decode()


def test_token_journey_consent_and_one_session(client, holder, licence):
    client.force_login(holder)
    url = _show_url(client, licence, ["holder_name", "gender"])
    path = url.split("testserver", 1)[-1]

    verifier = Client()
    form = verifier.get(path)
    assert form.status_code == 200 and "用证事由" in form.content.decode()
    assert "王秀英" not in form.content.decode()  # nothing before the reason

    missing = verifier.post(path, {"reason": ""})
    assert missing.status_code == 400
    assert "请填写用证事由" in missing.content.decode()

    done = verifier.post(path, {"reason": "入职审核"}, follow=True)
    page = done.content.decode()
    assert "有效" in page and "王秀英" in page and "女" in page
    assert "中式烹调师" not in page and "123456" not in page  # not released

    assert verifier.get(path).status_code == 200  # the same session reloads

    stranger = Client()
    refused = stranger.get(path)
    assert refused.status_code == 410
    assert "已被其他查验方使用" in refused.content.decode()
    assert stranger.post(path, {"reason": "再看"}).status_code == 410

    detail = client.get(f"/licenses/mine/{licence.pk}/").content.decode()
    assert "入职审核" in detail and "亮证二维码" in detail


def test_tampered_token_page(client, holder, licence):
    client.force_login(holder)
    url = _show_url(client, licence, ["gender"])
    path = url.split("testserver", 1)[-1]
    tampered = path.replace("/.", "/.").rstrip("/")[:-4] + "abcd/"
    response = Client().get(tampered)
    assert response.status_code == 400
    assert "无效或已被篡改" in response.content.decode()


def test_public_verify_by_identifier_and_file(client, other, licence):
    anonymous = Client()
    form = anonymous.get(f"/licenses/verify/{licence.identifier}")
    assert form.status_code == 200 and licence.identifier in form.content.decode()
    missing = anonymous.post("/licenses/verify/", {"identifier": licence.identifier})
    assert missing.status_code == 400 and "请填写用证事由" in missing.content.decode()
    ok = anonymous.post(
        "/licenses/verify/", {"identifier": licence.identifier, "reason": "核验"}
    ).content.decode()
    assert "有效" in ok and "中式烹调师" not in ok
    bad = anonymous.post(
        "/licenses/verify/",
        {"identifier": licence.identifier[:-1] + "X", "reason": "核验"},
    ).content.decode()
    assert "校验码不符" in bad or "没有此电子证照" in bad
    upload = SimpleUploadedFile("l.pdf", bytes(licence.file), "application/pdf")
    client.force_login(other)
    by_file = client.post("/licenses/verify/", {"file": upload, "reason": "开户"})
    assert by_file.status_code == 200 and "有效" in by_file.content.decode()
    empty = anonymous.post("/licenses/verify/", {"reason": "核验"})
    assert empty.status_code == 400 and "请填写证照标识" in empty.content.decode()


def test_use_records_shown_to_holder_only(client, holder, other, licence):
    Client().post(
        "/licenses/verify/", {"identifier": licence.identifier, "reason": "银行开户"}
    )
    client.force_login(holder)
    assert "银行开户" in client.get(f"/licenses/mine/{licence.pk}/").content.decode()
    client.force_login(other)
    assert client.get(f"/licenses/mine/{licence.pk}/").status_code == 404


def test_public_checks_are_limited_per_address(client, licence, settings):
    from django.core.cache import cache

    cache.clear()
    settings.ZHENGWU_LICENCE_CHECKS_PER_HOUR = 2
    data = {"identifier": licence.identifier, "reason": "核验"}
    assert client.post("/licenses/verify/", data).status_code == 200
    assert client.post("/licenses/verify/", data).status_code == 200
    third = client.post("/licenses/verify/", data)
    assert third.status_code == 429
    assert "查验次数过多" in third.content.decode()
    assert AuditEvent.objects.filter(event="licenses.used").count() == 2
    cache.clear()
