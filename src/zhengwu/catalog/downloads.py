"""Serving guide files, for the API and the pages alike: who may fetch a file, and
the response that sends it."""

import uuid
from urllib.parse import quote

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import FileResponse

import structlog

from zhengwu.identity.facade import staff_scope

from .models import Attachment

logger = structlog.get_logger(__name__)


def attachment_for_download(
    pk: uuid.UUID | str, user: AbstractBaseUser | AnonymousUser | None
) -> Attachment | None:
    """The attachment if ``user`` may download it, else None (callers answer 404, so
    an unpublished file's existence is not revealed).

    Public once a version referring to it was published; before that only staff of
    the owning organisation, its uploader and the catalogue authority."""
    try:
        key = pk if isinstance(pk, uuid.UUID) else uuid.UUID(str(pk or "").strip())
    except ValueError:
        return None
    attachment = Attachment.objects.filter(pk=key).first()
    if attachment is None or attachment.is_public:
        return attachment
    scope = staff_scope(user)
    if scope.can_review:
        return attachment
    if attachment.organisation_id is not None and scope.can_edit_organisation(
        attachment.organisation_id
    ):
        return attachment
    if scope.user_id is not None and attachment.uploaded_by_id == scope.user_id:
        return attachment
    return None


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback for old clients and the UTF-8 name
    (RFC 6266, RFC 5987)."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\;' else "_"
        for c in filename
    )
    return (
        f'attachment; filename="{fallback or "download"}"; '
        f"filename*=UTF-8''{quote(filename, safe='')}"
    )


def attachment_response(attachment: Attachment) -> FileResponse | None:
    """The file as a download (RFC 6266 filename), or None when it is missing on disk."""
    try:
        handle = attachment.file.open("rb")
    except OSError:
        logger.error("attachment_file_missing", attachment_id=str(attachment.pk))
        return None
    response = FileResponse(handle, content_type=attachment.content_type)
    response["Content-Disposition"] = content_disposition(attachment.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    # A published file stays published; an unpublished one must not be cached.
    response["Cache-Control"] = (
        "public, max-age=3600" if attachment.is_public else "private, no-store"
    )
    return response
