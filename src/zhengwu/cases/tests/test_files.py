"""Case uploads: the whitelist by content, the size limit, SM3, private storage."""

import io
import zipfile

from django.conf import settings

import pytest

from zhengwu.cases.errors import CaseError
from zhengwu.cases.files import check_content, clean_name, store_file
from zhengwu.core.crypto import sm3_hex

from .factories import PDF_BYTES, PNG_BYTES, docx_bytes


def zipped(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "content, extension",
    [
        (PDF_BYTES, "pdf"),
        (PNG_BYTES, "png"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 16, "jpg"),
        (docx_bytes(), "docx"),
        (zipped("xl/workbook.xml"), "xlsx"),
        (zipped("OFD.xml"), "ofd"),
    ],
)
def test_allowed_kinds_by_content(content, extension):
    assert check_content(content, "whatever.bin").extension == extension


@pytest.mark.parametrize(
    "content",
    [
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16,  # old .doc (macros)
        zipped("evil.sh"),
        b"PK\x03\x04 truncated",
        b"<html><script>alert(1)</script>",
        b"MZ\x90\x00",
    ],
)
def test_other_content_is_refused_whatever_its_name(content):
    with pytest.raises(CaseError) as raised:
        check_content(content, "scan.pdf")
    assert raised.value.code == "cases.invalid_file"
    assert raised.value.status == 422
    assert "scan.pdf" in raised.value.fields["file"][0]


def test_empty_and_oversized(settings):
    with pytest.raises(CaseError) as raised:
        check_content(b"", "a.pdf")
    assert raised.value.fields == {"file": ["文件为空。"]}
    settings.ZHENGWU_CASE_UPLOAD_MAX_BYTES = 10
    with pytest.raises(CaseError) as raised:
        check_content(PDF_BYTES, "a.pdf")
    assert raised.value.status == 413


def test_default_limit_is_10_mb():
    from zhengwu.cases.files import upload_max_bytes

    if not hasattr(settings, "ZHENGWU_CASE_UPLOAD_MAX_BYTES"):
        assert upload_max_bytes() == 10 * 1024 * 1024


def test_names_lose_paths_and_control_characters():
    assert clean_name("C:\\Users\\x\\身份证.pdf") == "身份证.pdf"
    assert clean_name("../../a\x00b.pdf") == "ab.pdf"
    assert clean_name("") == "file"
    assert len(clean_name("长" * 500)) == 200


@pytest.mark.django_db
def test_stored_under_the_private_media_root_with_its_hash(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    stored = store_file(content=PDF_BYTES, filename="申请表.pdf", owner=None)
    path = stored.file.path
    assert path.startswith(str(tmp_path))
    assert "申请表" not in path  # the stored name is the id, not the upload's name
    assert stored.sm3 == sm3_hex(PDF_BYTES)
    assert stored.size == len(PDF_BYTES)
    with open(path, "rb") as handle:
        assert handle.read() == PDF_BYTES
