"""Security review of case files: accepted by content, not by name; names cleaned
of paths; handed out only as attachments, not sniffable, not cached, and never
from MEDIA_URL."""

from django.conf import settings

import pytest

from zhengwu.cases.errors import CaseError
from zhengwu.cases.files import clean_name, store_file
from zhengwu.cases.tests.factories import apply

from .test_security_fuzz import fz  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "content",
    [
        b"<!doctype html><script>alert(1)</script>",
        b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
        b"MZ\x90\x00" + b"\x00" * 64,
        b"GIF89a<script>",
    ],
)
def test_a_pdf_named_non_pdf_is_refused(fz, content):  # noqa: F811
    with pytest.raises(CaseError) as error:
        store_file(content=content, filename="申请表.pdf", owner=None)
    assert "file" in error.value.fields


def test_oversized_upload_is_refused_naming_the_size(fz, settings):  # noqa: F811
    settings.ZHENGWU_CASE_UPLOAD_MAX_BYTES = 100
    with pytest.raises(CaseError) as error:
        store_file(content=b"%PDF-1.4\n" + b"0" * 200, filename="a.pdf", owner=None)
    assert error.value.status == 413


@pytest.mark.parametrize(
    "name", ["../../etc/passwd", "..\\..\\win.ini", "/abs/x.pdf", "a\x00b.pdf"]
)
def test_path_in_a_file_name_is_dropped(name):
    cleaned = clean_name(name)
    assert "/" not in cleaned and "\\" not in cleaned and "\x00" not in cleaned


def test_files_are_attachments_not_sniffed_not_cached_and_not_under_media_url(
    client,
    fz,  # noqa: F811
):
    # given a material of the citizen's case, stored under a generated name
    world = fz["world"]
    case = apply(world.citizen.user, world.listing_a)
    material = case.materials.first()
    assert material.file.file.url.startswith(settings.MEDIA_URL)

    # when the applicant and the department's reviewer download it
    client.force_login(world.citizen.user)
    mine = client.get(f"/cases/{case.pk}/files/{material.file_id}/")
    client.force_login(world.reviewer_a)
    staff = client.get(f"/workbench/cases/{case.pk}/materials/{material.pk}/")
    media = client.get(material.file.file.url)

    # then both are attachments with nosniff and no caching; MEDIA_URL serves nothing
    for response in (mine, staff):
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in response["Cache-Control"]
    assert media.status_code == 404
