"""/api/v1/licenses/imports — 证照批量导入 of historical licences (mounted by
licenses.api).

A department uploads a workbook of one licence type for one issuing organisation
(the rights of issuing: a reviewer of that organisation); a task checks every row
and issues all of them in one transaction, or none (the job lists every bad cell).
A job is seen only by its uploader (and superusers): anyone else gets 404."""

from typing import Annotated, Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from ninja import File, Form, Path, Query, Router, Status
from ninja.files import UploadedFile
from ninja.security import SessionAuth

from zhengwu.core.errors import PermissionDeniedError
from zhengwu.core.schemas import error_responses
from zhengwu.identity.facade import bearer_auth, staff_scope

from . import imports
from .errors import INVALID_TYPE, LicenceError
from .models import LicenceImportJob, LicenceType
from .schemas_imports import TYPE_CODE_PATTERN, LicenceImportJobOut

router = Router(tags=["licenses"])

# Departments' systems with an OIDC access token (scope ``api``), or the page
# session with CSRF checked on unsafe methods (as the rest of licenses.api).
import_auth = [bearer_auth, SessionAuth(csrf=True)]

ERRORS = error_responses(401, 403, 404, 409, 422)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ID = 2**31 - 1
_CONTROL_CHARACTERS = dict.fromkeys(range(32))


def job_out(job: LicenceImportJob) -> dict[str, Any]:
    return {
        "id": job.pk,
        "status": job.status,
        "status_label": str(job.get_status_display()),
        "original_name": job.original_name,
        "type_code": job.licence_type.type_code,
        "type_name": job.licence_type.name,
        "issuer_organisation_id": job.issuer_id,
        "issuer_name": job.issuer.name,
        "total_rows": job.total_rows,
        "processed_rows": job.processed_rows,
        "errors": job.errors,
        # the claim token of a running job is the worker's, not the caller's
        "summary": {
            key: value for key, value in (job.summary or {}).items() if key != "claim"
        }
        if isinstance(job.summary, dict)
        else {},
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "stalled": imports.is_stalled(job),
        "requeued": job.status
        in (LicenceImportJob.Status.PENDING, LicenceImportJob.Status.RUNNING)
        and isinstance(job.summary, dict)
        and "requeued_at" in job.summary,
    }


def _require_staff(request: HttpRequest) -> None:
    scope = staff_scope(request.auth)
    if not (scope.has_staff_role or scope.is_superuser):
        raise PermissionDeniedError(
            "licenses.staff_only", _("只有部门工作人员可以执行此操作。")
        )


@router.get(
    "/imports/template",
    response={**ERRORS},
    auth=import_auth,
    summary="The empty import workbook of a licence type",
    description="Row 1 the headers: 持证主体代码, 持证主体名称, 发证日期, "
    "有效期起始日期, 有效期截止日期, then one column per face property headed by "
    "its title (required columns marked *); a second sheet explains each column.",
    openapi_extra={
        "responses": {
            200: {
                "description": "the workbook",
                "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def import_template(
    request: HttpRequest,
    type_code: Annotated[str, Query(pattern=TYPE_CODE_PATTERN)],
) -> HttpResponse:
    _require_staff(request)
    licence_type = LicenceType.objects.filter(type_code=type_code).first()
    if licence_type is None:
        message = _("证照类型不存在。")
        raise LicenceError(
            INVALID_TYPE, message, fields={"type_code": [message]}, status=404
        )
    response = HttpResponse(imports.template_workbook(licence_type), content_type=XLSX)
    response["Content-Disposition"] = (
        f'attachment; filename="{imports.template_filename(licence_type)}"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.post(
    "/imports",
    response={202: LicenceImportJobOut, **ERRORS},
    auth=import_auth,
    summary="Upload a workbook of historical licences; answers the queued job",
    description="Multipart: `file` (.xlsx, the template's layout), `type_code`, "
    "`issuer_organisation_id`. The rights of issuing (a reviewer of the issuing "
    "organisation, which defines or may issue the type, with an active seal). "
    "All-or-nothing: every row is checked, then every licence issued in one "
    "transaction, or none. Poll `GET imports/{job_id}`.",
)
def start_import(
    request: HttpRequest,
    file: File[UploadedFile],
    type_code: Annotated[str, Form(pattern=TYPE_CODE_PATTERN)],
    issuer_organisation_id: Annotated[int, Form(ge=1, le=MAX_ID)],
) -> tuple[int, Any]:
    _require_staff(request)
    # One byte past the limit: enough to refuse a larger file without reading it.
    content = file.read(settings.ZHENGWU_IMPORT_MAX_BYTES + 1)
    job = imports.import_start(
        content=content,
        filename=(file.name or "").translate(_CONTROL_CHARACTERS)[:200],
        type_code=type_code,
        issuer_organisation_id=issuer_organisation_id,
        acting_user=request.auth,
    )
    return Status(202, job_out(job))


@router.get(
    "/imports/{job_id}",
    response={200: LicenceImportJobOut, **ERRORS},
    auth=import_auth,
    summary="Progress and result of a licence import (its uploader only)",
    description="Read-only. A job left running past "
    "`ZHENGWU_LICENCE_IMPORT_LEASE_SECONDS` (its worker died) is answered with "
    "`stalled: true`; a scheduled task queues it again within "
    "`ZHENGWU_LICENCE_IMPORT_REQUEUE_INTERVAL_SECONDS` (then `requeued: true` "
    "until it finishes).",
)
def get_import(
    request: HttpRequest, job_id: Annotated[int, Path(ge=1, le=MAX_ID)]
) -> dict[str, Any]:
    _require_staff(request)
    return job_out(imports.import_job_for_user(request.auth, job_id))
