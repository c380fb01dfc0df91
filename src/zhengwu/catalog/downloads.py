"""Serving guide files, for the API and the pages alike: who may fetch a file, and
the response that sends it."""

import uuid
from urllib.parse import quote

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet
from django.http import FileResponse

import structlog

from zhengwu.identity.facade import staff_scope

from .models import Attachment

logger = structlog.get_logger(__name__)


def downloadable_attachments(
    user: AbstractBaseUser | AnonymousUser | None,
) -> QuerySet[Attachment]:
    """The attachments ``user`` may see and download: every published file; before
    publication only files of the user's own organisations, files the user uploaded,
    and, for the catalogue authority, all files."""
    scope = staff_scope(user)
    if scope.can_review:
        return Attachment.objects.all()
    visible = Q(is_public=True) | Q(organisation_id__in=scope.editor_organisation_ids)
    if scope.user_id is not None:
        visible |= Q(uploaded_by_id=scope.user_id)
    return Attachment.objects.filter(visible)


def usable_attachments(
    user: AbstractBaseUser | AnonymousUser | None, *, organisation_id: int
) -> QuerySet[Attachment]:
    """The attachments a draft of ``organisation_id`` edited by ``user`` may refer to:
    public files, that organisation's files, files the user uploaded; any file for the
    catalogue authority."""
    scope = staff_scope(user)
    if scope.can_review:
        return Attachment.objects.all()
    usable = Q(is_public=True) | Q(organisation_id=organisation_id)
    if scope.user_id is not None:
        usable |= Q(uploaded_by_id=scope.user_id)
    return Attachment.objects.filter(usable)


def attachment_for_download(
    pk: uuid.UUID | str, user: AbstractBaseUser | AnonymousUser | None
) -> Attachment | None:
    """The attachment if ``user`` may download it, else None (callers answer 404, so
    an unpublished file's existence is not revealed)."""
    try:
        key = pk if isinstance(pk, uuid.UUID) else uuid.UUID(str(pk or "").strip())
    except ValueError:
        return None
    return downloadable_attachments(user).filter(pk=key).first()


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
