"""The seal page of the workbench (/staff/seals/): staff see their organisations'
seals (never a private key); a department editor registers one (PNG checked,
errors named on the page) and deactivates it; others are refused and nothing
changes."""

from django.core.files.uploadedfile import SimpleUploadedFile

import pytest

from zhengwu.core.models import AuditEvent
from zhengwu.identity.tests.person_factories import make_citizen
from zhengwu.licenses.tests.factories import licence_world  # noqa: F401
from zhengwu.licenses.tests.test_seals import png

pytestmark = pytest.mark.django_db

URL = "/staff/seals/"


def _seals(world):
    """The seal model, reached through a fixture's seal (the portal imports no
    licences model)."""
    return type(world.seal).objects


def test_editor_sees_and_registers(client, licence_world):  # noqa: F811
    client.force_login(licence_world.editor)
    page = client.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert licence_world.seal.name in html
    assert licence_world.other_seal.name not in html
    assert licence_world.seal.private_key not in html
    response = client.post(
        URL,
        {
            "organisation": licence_world.bureau.pk,
            "name": "电子证照专用章",
            "image": SimpleUploadedFile("s.png", png(), "image/png"),
        },
    )
    assert response.status_code == 302
    seal = _seals(licence_world).get(name="电子证照专用章")
    assert seal.image and seal.organisation == licence_world.bureau
    html = client.get(URL).content.decode()
    assert "已登记电子印章" in html
    image = client.get(f"/staff/seals/{seal.pk}/image.png")
    assert image.status_code == 200 and image["Content-Type"] == "image/png"


def test_bad_image_named_on_the_page(client, licence_world):  # noqa: F811
    client.force_login(licence_world.editor)
    response = client.post(
        URL,
        {
            "organisation": licence_world.bureau.pk,
            "name": "章",
            "image": SimpleUploadedFile("s.png", b"GIF89a....", "image/png"),
        },
    )
    assert response.status_code == 400
    assert "印模图像须为PNG格式" in response.content.decode()
    assert _seals(licence_world).count() == 2


def test_editor_deactivates(client, licence_world):  # noqa: F811
    client.force_login(licence_world.editor)
    response = client.post(f"/staff/seals/{licence_world.seal.pk}/deactivate/")
    assert response.status_code == 302
    licence_world.seal.refresh_from_db()
    assert not licence_world.seal.active
    assert AuditEvent.objects.filter(event="licenses.seal_deactivated").count() == 1


def test_reviewer_sees_but_cannot_change(client, licence_world):  # noqa: F811
    client.force_login(licence_world.reviewer)
    html = client.get(URL).content.decode()
    assert licence_world.seal.name in html and "登记并生成密钥" not in html
    response = client.post(URL, {"organisation": licence_world.bureau.pk, "name": "章"})
    assert response.status_code == 403
    response = client.post(f"/staff/seals/{licence_world.seal.pk}/deactivate/")
    assert response.status_code == 403
    licence_world.seal.refresh_from_db()
    assert licence_world.seal.active and _seals(licence_world).count() == 2


def test_other_organisation_and_citizen_refused(client, licence_world):  # noqa: F811
    client.force_login(licence_world.other_reviewer)
    response = client.post(f"/staff/seals/{licence_world.seal.pk}/deactivate/")
    assert response.status_code == 404
    assert (
        client.get(f"/staff/seals/{licence_world.seal.pk}/image.png").status_code == 404
    )
    client.force_login(make_citizen("赵强").user)
    assert client.get(URL).status_code == 403
    licence_world.seal.refresh_from_db()
    assert licence_world.seal.active


def test_needs_login(client, licence_world):  # noqa: F811
    response = client.get(URL)
    assert response.status_code == 302 and "login" in response["Location"]
