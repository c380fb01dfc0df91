"""Case files: accepted by content (not by name) from a whitelist, size-limited,
SM3-hashed at upload, kept under the private media root and handed out only to the
case's applicant side and the staff who can see the case (every download audited)."""

import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from zhengwu.core import audit
from zhengwu.core.crypto import sm3_hex
from zhengwu.core.files import DOCX, JPEG, OFD, PDF, PNG, XLSX, FileKind, sniff

from .errors import FILE_TOO_LARGE, INVALID_FILE, CaseError, field_error
from .models import Case, StoredFile

ALLOWED_KINDS = frozenset({PDF, PNG, JPEG, OFD, DOCX, XLSX})
NAME_MAX = 200


def upload_max_bytes() -> int:
    return settings.ZHENGWU_CASE_UPLOAD_MAX_BYTES


def check_content(content: bytes, filename: str, field: str = "file") -> FileKind:
    """The kind of an upload, or a 422 naming the field and why."""
    limit = upload_max_bytes()
    if not content:
        raise field_error(INVALID_FILE, field, _("文件为空。"))
    if len(content) > limit:
        raise field_error(
            FILE_TOO_LARGE,
            field,
            _("文件超过大小限制（%(mb)s MB）。") % {"mb": round(limit / 1048576, 1)},
            status=413,
        )
    kind = sniff(content)
    if kind not in ALLOWED_KINDS:
        raise field_error(
            INVALID_FILE,
            field,
            _("“%(name)s”不是允许的文件类型（PDF、OFD、PNG、JPEG、Word、Excel）。")
            % {"name": clean_name(filename)},
        )
    return kind


def clean_name(filename: str) -> str:
    """The file name as shown to people: no path, no control characters, bounded."""
    name = str(filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:NAME_MAX] or "file"


def store_file(
    *,
    content: bytes,
    filename: str,
    owner: AbstractBaseUser | None,
    field: str = "file",
) -> StoredFile:
    """Check and keep an uploaded file; the caller audits what it is for. The file is
    written at once; a rolled-back transaction leaves an orphan on disk only."""
    kind = check_content(content, filename, field)
    stored = StoredFile(
        id=uuid.uuid4(),
        original_name=clean_name(filename),
        content_type=kind.content_type,
        size=len(content),
        sm3=sm3_hex(content),
        owner=owner if owner is not None and owner.is_authenticated else None,
    )
    stored.file.save(
        f"{stored.pk.hex}.{kind.extension}", ContentFile(content), save=False
    )
    stored.save(force_insert=True)
    return stored


def store_generated(
    *, content: bytes, filename: str, content_type: str, owner=None
) -> StoredFile:
    """Keep a file the platform made (a decision document): no whitelist check."""
    stored = StoredFile(
        id=uuid.uuid4(),
        original_name=clean_name(filename),
        content_type=content_type,
        size=len(content),
        sm3=sm3_hex(content),
        owner=owner,
    )
    stored.file.save(stored.pk.hex, ContentFile(content), save=False)
    stored.save(force_insert=True)
    return stored


def cases_with_file(file_id: uuid.UUID):
    return Case.objects.filter(
        Q(materials__file_id=file_id) | Q(result_document_id=file_id)
    ).distinct()


@transaction.atomic
def file_for_user(
    user: AbstractBaseUser | AnonymousUser | None,
    file_id: str | uuid.UUID,
    acting=None,
) -> StoredFile:
    """The stored file when ``user`` may see a case it belongs to (the applicant
    side, or staff who can see the case); 404 otherwise, whoever asks. The download
    is audited on that case."""
    from .selectors import cases_for_user

    try:
        pk = file_id if isinstance(file_id, uuid.UUID) else uuid.UUID(str(file_id))
    except (ValueError, AttributeError, TypeError):
        raise CaseError("cases.file_not_found", _("文件不存在。"), status=404) from None
    if user is None or not user.is_authenticated:
        raise CaseError("cases.file_not_found", _("文件不存在。"), status=404)
    case = (
        cases_for_user(user, acting=acting)
        .filter(Q(materials__file_id=pk) | Q(result_document_id=pk))
        .order_by("pk")
        .first()
    )
    stored = StoredFile.objects.filter(pk=pk).first() if case is not None else None
    if stored is None:
        raise CaseError("cases.file_not_found", _("文件不存在。"), status=404)
    audit.record(
        acting_user=user,
        event="cases.file_downloaded",
        target=case,
        data={"file": str(stored.pk), "name": stored.original_name, "sm3": stored.sm3},
    )
    return stored
