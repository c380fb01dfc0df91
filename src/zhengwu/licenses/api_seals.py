"""/api/v1/licenses/seals — electronic seals (电子印章) of the caller's
organisations (mounted by licenses.api): list (never a private key), register
(an SM2 key pair generated here; an optional PNG impression), deactivate. The
rules are ``licenses.seals``'; every change is audited."""

from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from ninja import File, Form, Path, Router, Status
from ninja.files import UploadedFile
from ninja.security import SessionAuth

from zhengwu.core.errors import DomainError, PermissionDeniedError
from zhengwu.core.schemas import MAX_KEY, error_responses
from zhengwu.identity.facade import bearer_auth

from . import seals
from .schemas import SealListOut, SealOut

router = Router(tags=["licenses"])

seal_auth = [bearer_auth, SessionAuth(csrf=True)]

ERRORS = error_responses(400, 401, 403, 404, 409, 413, 422)
SealId = Annotated[int, Path(ge=1, le=MAX_KEY)]


def _require_staff(request: HttpRequest) -> None:
    if not seals.is_seal_staff(request.auth):
        raise PermissionDeniedError(
            "licenses.staff_only", _("只有部门工作人员可以执行此操作。")
        )


def _out(seal: seals.SealInfo) -> dict[str, Any]:
    return {
        "id": seal.pk,
        "organisation_id": seal.organisation_id,
        "organisation_name": seal.organisation_name,
        "name": seal.name,
        "public_key": seal.public_key,
        "has_image": seal.has_image,
        "active": seal.active,
        "created": seal.created,
    }


@router.get(
    "/seals",
    response={200: SealListOut, **ERRORS},
    auth=seal_auth,
    summary="The seals of the caller's organisations (public keys only)",
)
def list_seals(request: HttpRequest) -> dict[str, Any]:
    _require_staff(request)
    return {"items": [_out(seal) for seal in seals.seals_for(request.auth)]}


@router.post(
    "/seals",
    response={201: SealOut, **ERRORS},
    auth=seal_auth,
    summary="Register a seal (a department editor of the organisation)",
    description="Multipart form: `organisation_id`, `name` (1–100 characters) and "
    "an optional `image`, the seal's impression as a PNG of at most 512 KB. An "
    "SM2 key pair is generated; the private key is stored encrypted and never "
    "returned. Audited `licenses.seal_registered`.",
)
def register_seal(
    request: HttpRequest,
    organisation_id: Annotated[int, Form(ge=1, le=MAX_KEY)],
    name: Annotated[str, Form(max_length=200)],
    image: UploadedFile | None = File(None),  # noqa: B008 - ninja's marker
) -> Status:
    _require_staff(request)
    content = None
    if image is not None:
        content = image.read(seals.PNG_MAX_BYTES + 1)
        if len(content) > seals.PNG_MAX_BYTES:
            message = _("印模图像不能超过512KB。")
            raise DomainError(
                "request.too_large", message, fields={"image": [message]}, status=413
            )
    seal = seals.seal_create(
        user=request.auth,
        organisation_id=organisation_id,
        name=name,
        image=content,
    )
    return Status(201, _out(seal))


@router.post(
    "/seals/{seal_id}/deactivate",
    response={200: SealOut, **ERRORS},
    auth=seal_auth,
    summary="Deactivate a seal (a department editor of its organisation)",
    description="Licences are no longer signed with it; those signed before "
    "still verify. A seal already inactive is `409 licenses.seal_inactive`. "
    "Audited `licenses.seal_deactivated`.",
)
def deactivate_seal(request: HttpRequest, seal_id: SealId) -> dict[str, Any]:
    _require_staff(request)
    return _out(seals.seal_deactivate(user=request.auth, seal_id=seal_id))
