"""Seal registration (/api/v1/licenses/seals): the caller's organisations' seals
only, never a private key; registering and deactivating need department-editor
rights for the organisation (the refused change did not happen); the impression
must be a PNG of at most 512 KB; every change audited."""

import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

import pytest

from zhengwu.core.models import AuditEvent
from zhengwu.identity.constants import StaffRole
from zhengwu.identity.facade import person_label_for_user
from zhengwu.identity.tests.person_factories import make_citizen
from zhengwu.identity.tests.staff_factories import staff_user
from zhengwu.licenses import seals
from zhengwu.licenses.models import Seal

from .test_api import bearer

pytestmark = pytest.mark.django_db

API = "/api/v1/licenses/seals"


def png(width: int = 2, height: int = 2, *, pad: int = 0) -> bytes:
    """A small, well-formed PNG (``pad`` extra bytes in a private chunk)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    raw = b"".join(b"\0" + b"\xff\0\0\xff" * width for _ in range(height))
    body = chunk(b"IHDR", header)
    if pad:
        body += chunk(b"prVt", b"\0" * pad)
    body += chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


def _register(user, organisation_id, name="电子公章", image=None):
    data = {"organisation_id": str(organisation_id), "name": name}
    if image is not None:
        data["image"] = SimpleUploadedFile("seal.png", image, "image/png")
    return Client().post(API, data, headers=bearer(user))


def test_list_shows_own_organisations_seals_without_private_keys(licence_world):
    response = Client().get(API, headers=bearer(licence_world.editor))
    assert response.status_code == 200
    items = response.json()["items"]
    assert [i["id"] for i in items] == [licence_world.seal.pk]
    assert items[0]["public_key"] == licence_world.seal.public_key
    text = response.content.decode()
    assert "private" not in text
    assert licence_world.seal.private_key not in text
    other = Client().get(API, headers=bearer(licence_world.other_reviewer)).json()
    assert [i["id"] for i in other["items"]] == [licence_world.other_seal.pk]


def test_editor_registers_a_seal_with_image(licence_world):
    image = png()
    response = _register(licence_world.editor, licence_world.bureau.pk, image=image)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["has_image"] is True and body["active"] is True
    assert "private_key" not in body
    seal = Seal.objects.get(pk=body["id"])
    assert bytes(seal.image) == image
    assert seal.organisation == licence_world.bureau
    assert len(seal.public_key) == 128
    event = AuditEvent.objects.filter(event="licenses.seal_registered").latest("pk")
    assert event.actor == licence_world.editor


@pytest.mark.parametrize(
    "kind, status", [("reviewer", 403), ("other_reviewer", 422), ("citizen", 403)]
)
def test_register_refused_to_others(licence_world, kind, status):
    user = (
        make_citizen("赵强").user if kind == "citizen" else getattr(licence_world, kind)
    )
    before = Seal.objects.count()
    events = AuditEvent.objects.filter(event="licenses.seal_registered").count()
    response = _register(user, licence_world.bureau.pk)
    assert response.status_code == status
    assert Seal.objects.count() == before
    assert AuditEvent.objects.filter(event="licenses.seal_registered").count() == events


@pytest.mark.parametrize(
    "image, field, status",
    [
        (b"GIF89a" + b"\0" * 100, "image", 422),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "image", 422),
        (png()[:-12], "image", 422),
        (png(pad=512 * 1024), "image", 413),
        (png(width=0), "image", 422),
    ],
)
def test_bad_image_named_and_nothing_registered(licence_world, image, field, status):
    before = Seal.objects.count()
    response = _register(licence_world.editor, licence_world.bureau.pk, image=image)
    assert response.status_code == status, response.content
    assert field in response.json()["fields"]
    assert Seal.objects.count() == before


@pytest.mark.parametrize("name", ["", "   ", "章" * 101, "a\x00b"])
def test_bad_name_named(licence_world, name):
    response = _register(licence_world.editor, licence_world.bureau.pk, name=name)
    assert response.status_code == 422
    assert "name" in response.json()["fields"]


def test_unknown_organisation_named(licence_world):
    response = _register(licence_world.editor, 999999)
    assert response.status_code == 422
    assert "organisation_id" in response.json()["fields"]


def test_editor_deactivates_once(licence_world):
    url = f"{API}/{licence_world.seal.pk}/deactivate"
    response = Client().post(url, headers=bearer(licence_world.editor))
    assert response.status_code == 200
    assert response.json()["active"] is False
    licence_world.seal.refresh_from_db()
    assert licence_world.seal.active is False
    assert AuditEvent.objects.filter(event="licenses.seal_deactivated").count() == 1
    again = Client().post(url, headers=bearer(licence_world.editor))
    assert again.status_code == 409
    assert again.json()["code"] == "licenses.seal_inactive"
    assert AuditEvent.objects.filter(event="licenses.seal_deactivated").count() == 1


@pytest.mark.parametrize(
    "kind, status",
    [("reviewer", 403), ("other_reviewer", 404), ("other_editor", 404)],
)
def test_deactivate_refused_to_others(licence_world, kind, status):
    if kind == "other_editor":
        user = staff_user(
            "lic-other-editor",
            (licence_world.other_bureau, StaffRole.DEPARTMENT_EDITOR),
        )
    else:
        user = getattr(licence_world, kind)
    response = Client().post(
        f"{API}/{licence_world.seal.pk}/deactivate", headers=bearer(user)
    )
    assert response.status_code == status
    licence_world.seal.refresh_from_db()
    assert licence_world.seal.active is True
    assert not AuditEvent.objects.filter(event="licenses.seal_deactivated").exists()


def test_deactivated_seal_no_longer_signs(licence_world):
    new = seals.seal_create(
        user=licence_world.editor,
        organisation_id=licence_world.bureau.pk,
        name="新电子公章",
    )
    seals.seal_deactivate(user=licence_world.editor, seal_id=new.pk)
    holder = make_citizen("王秀英").user
    licence = licence_world.issue(holder_label=person_label_for_user(holder))
    assert licence.seal_id == licence_world.seal.pk


def test_session_needs_csrf(licence_world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(licence_world.editor)
    assert client.get(API).status_code == 200
    response = client.post(
        API, {"organisation_id": licence_world.bureau.pk, "name": "章"}
    )
    assert response.status_code in (401, 403)
    assert Seal.objects.count() == 2


def test_png_check():
    assert seals.png_problem(png()) is None
    assert seals.png_problem(b"") is not None
    assert seals.png_problem(png(width=5000)) is not None


def _png_bad_crc_slice() -> bytes:
    """A PNG whose IHDR length puts the CRC slice past the end (2 bytes left):
    once a struct.error, a 500."""
    body_len = 8 + 8 + 30
    length = body_len - 18
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", length) + b"IHDR" + b"\0" * 30


GARBAGE_PNGS = [
    _png_bad_crc_slice(),
    b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 2**32 - 1) + b"IHDR" + b"\0" * 40,
    b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IDAT" + b"\0" * 40,
    png()[:40],
    png()[:8] + b"\xff" * 60,
]


@pytest.mark.parametrize("image", GARBAGE_PNGS)
def test_crafted_or_truncated_png_is_a_field_error(licence_world, image):
    assert seals.png_problem(image) == "印模图像须为PNG格式。"
    before = Seal.objects.count()
    response = _register(licence_world.editor, licence_world.bureau.pk, image=image)
    assert response.status_code == 422, response.content
    assert response.json()["fields"]["image"] == ["印模图像须为PNG格式。"]
    assert Seal.objects.count() == before


def test_crafted_png_on_the_seal_page_is_a_field_error(licence_world):
    client = Client(raise_request_exception=False)
    client.force_login(licence_world.editor)
    before = Seal.objects.count()
    response = client.post(
        "/staff/seals/",
        {
            "organisation": licence_world.bureau.pk,
            "name": "电子公章",
            "image": SimpleUploadedFile("a.png", _png_bad_crc_slice(), "image/png"),
        },
    )
    assert response.status_code in (200, 400, 422), response.status_code
    assert "须为PNG格式" in response.content.decode()
    assert Seal.objects.count() == before
