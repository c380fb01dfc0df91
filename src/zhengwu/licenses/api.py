"""/api/v1/licenses/: licence types, issue and lifecycle of licences for the
business systems of departments, and verification for anyone (no login).

Authorisation has one rule for reading: a department sees the licences issued by
its own organisations (any staff role there). A licence the caller may not see
does not exist (404), whatever its identifier; a caller with no staff role is
refused first (403), so the answer says nothing about the licence. Writes then go
through the services, which check the role each step needs (a reviewer of the
issuing organisation; a department editor of the defining one for types).

Verification answers each check apart and only non-personal metadata: the type,
the issuer, the dates and the status — never the holder or the face data."""

import zoneinfo
from typing import Annotated, Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

import structlog
from ninja import File, Form, Path, Query, Router, Status
from ninja.files import UploadedFile
from ninja.security import SessionAuth

from zhengwu.core import audit
from zhengwu.core.errors import DomainError, NotFoundError, PermissionDeniedError
from zhengwu.core.middleware import client_ip
from zhengwu.core.models import Organisation
from zhengwu.core.schemas import ERRORS, error_responses
from zhengwu.identity.facade import (
    StaffScope,
    bearer_auth,
    principal_name,
    staff_scope,
)

from . import services, uses, verification
from .errors import INVALID_HOLDER, LicenceError
from .imports import same_name
from .models import Licence, LicenceType
from .schemas import (
    IDENTIFIER_PATTERN,
    LicenceChangeIn,
    LicenceIssueIn,
    LicenceOut,
    LicencePageIn,
    LicencePageOut,
    LicenceTypeIn,
    LicenceTypeOut,
    LicenceTypePageIn,
    LicenceTypePageOut,
    ReasonIn,
    VerificationOut,
    VerifyIn,
)

logger = structlog.get_logger(__name__)

router = Router(tags=["licenses"])

# Departments' systems with an OIDC access token (scope ``api``), or the page
# session with CSRF checked on unsafe methods — the pair cases use.
licence_auth = [bearer_auth, SessionAuth(csrf=True)]

PUBLIC_ERRORS = error_responses(400, 413, 422, 429)
Identifier = Annotated[str, Path(pattern=IDENTIFIER_PATTERN)]
# Verification takes any identifier-like text: a wrong check character is an
# answer (check_character false), not a 422.
LooseIdentifier = Annotated[str, Path(pattern=r"^[0-9A-Za-z.*]{1,120}$")]

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
VERIFY_FILE_MAX_BYTES = 10 * 1024 * 1024
# The services name the holder's fields flat; the API body nests them.
_HOLDER_FIELDS = {
    "holder_label": "holder.label",
    "holder_code": "holder.code",
    "holder_name": "holder.name",
}


# --- helpers -----------------------------------------------------------------------


def _verify_max_bytes() -> int:
    return int(getattr(settings, "LICENSES_VERIFY_MAX_BYTES", VERIFY_FILE_MAX_BYTES))


def _require_staff(request: HttpRequest) -> StaffScope:
    scope = staff_scope(request.auth)
    if not (scope.has_staff_role or scope.is_staff_member or scope.is_superuser):
        raise PermissionDeniedError(
            "licenses.staff_only", _("只有部门工作人员可以执行此操作。")
        )
    return scope


def _organisation_ids(scope: StaffScope) -> frozenset[int]:
    return frozenset(scope.roles_by_organisation) | scope.editor_organisation_ids


def _licences_for(scope: StaffScope) -> QuerySet[Licence]:
    """The licences the caller's organisations issued (every one for a superuser)."""
    licences = Licence.objects.select_related("licence_type", "issuer")
    if scope.is_superuser:
        return licences
    return licences.filter(issuer_id__in=_organisation_ids(scope))


def _licence(request: HttpRequest, identifier: str) -> Licence:
    scope = _require_staff(request)
    licence = _licences_for(scope).filter(identifier=identifier).first()
    if licence is None:
        raise NotFoundError("licenses.not_found", _("电子证照不存在。"))
    return licence


def _api_error(error: DomainError) -> DomainError:
    """A service's refusal in the API's terms: the holder's fields named as the
    body nests them (the services answer field refusals with 422 themselves)."""
    if error.fields:
        error.fields = {_HOLDER_FIELDS.get(k, k): v for k, v in error.fields.items()}
    return error


def _type_out(licence_type: LicenceType) -> dict[str, Any]:
    return {
        "type_code": licence_type.type_code,
        "name": licence_type.name,
        "holder_kind": licence_type.holder_kind,
        "layout_title": licence_type.layout_title,
        "valid_years": licence_type.valid_years,
        "defining_organisation_id": licence_type.defining_organisation_id,
        "defining_organisation_name": licence_type.defining_organisation.name,
        "issuing_organisation_ids": sorted(
            o.pk for o in licence_type.issuing_organisations.all()
        ),
        "face_schema": licence_type.face_schema,
    }


def _summary(licence: Licence) -> dict[str, Any]:
    return {
        "identifier": licence.identifier,
        "type_code": licence.licence_type.type_code,
        "type_name": licence.licence_type.name,
        "issuer_organisation_id": licence.issuer_id,
        "issuer_name": licence.issuer.name,
        "holder_label": licence.holder_label,
        "holder_name": licence.holder_name,
        "version": licence.version,
        "status": verification.effective_status(licence),
        "valid_from": licence.valid_from,
        "valid_until": licence.valid_until,
        "issued_at": licence.issued_at,
        "source_case_number": licence.source_case_number,
    }


def _detail(identifier: str) -> dict[str, Any]:
    licence = (
        Licence.objects.select_related(
            "licence_type", "issuer", "previous", "next_version"
        )
        .prefetch_related("events")
        .get(identifier=identifier)
    )
    following = getattr(licence, "next_version", None)
    return {
        **_summary(licence),
        "face_data": licence.face_data,
        "file_sm3": licence.file_sm3,
        "previous_identifier": licence.previous.identifier
        if licence.previous_id
        else None,
        "next_identifier": following.identifier if following is not None else None,
        "events": [
            {
                "kind": event.kind,
                "actor": event.actor_label,
                "reason": event.reason,
                "at": event.at,
            }
            for event in licence.events.all()
        ],
    }


def _verification_out(result: uses.CheckOutcome) -> dict[str, Any]:
    licence = None
    if result.found:
        found = (
            Licence.objects.select_related("licence_type", "issuer")
            .filter(identifier=result.identifier)
            .first()
        )
        if found is not None:
            licence = {
                "type_code": found.licence_type.type_code,
                "type_name": found.licence_type.name,
                "title": found.licence_type.layout_title,
                "issuer_name": found.issuer.name,
                "issuer_code": found.issuer.credit_code,
                "version": found.version,
                "issued_on": found.issued_at.astimezone(SHANGHAI).date(),
                "valid_from": found.valid_from,
                "valid_until": found.valid_until,
            }
    return {
        "identifier": result.identifier,
        "ok": result.ok,
        "status": result.status,
        "checks": {
            "check_character": result.check_character_ok,
            "found": result.found,
            "signature": result.signature_ok,
            "metadata": result.metadata_ok,
            "file_digest": result.file_digest_ok,
        },
        "licence": licence,
    }


# --- licence types -----------------------------------------------------------------


@router.post(
    "/types",
    response={201: LicenceTypeOut, **ERRORS},
    auth=licence_auth,
    summary="Define a licence type (a department editor of the defining organisation)",
    description="The type code is the defining organisation's unified social credit "
    "code and a 3-digit sequence (the next free one when `sequence` is absent). "
    "`face_schema` is the JSON Schema every licence's face data must meet.",
)
def define_type(request: HttpRequest, payload: LicenceTypeIn) -> Status:
    _require_staff(request)
    issuing = set(payload.issuing_organisation_ids)
    if len(Organisation.objects.filter(pk__in=issuing)) != len(issuing):
        message = _("颁发机构不存在。")
        raise LicenceError(
            "licenses.invalid_type",
            message,
            fields={"issuing_organisation_ids": [message]},
            status=422,
        )
    try:
        licence_type = services.licence_type_define(
            defining_organisation_id=payload.defining_organisation_id,
            name=payload.name,
            holder_kind=payload.holder_kind,
            face_schema=payload.face_schema,
            layout_title=payload.layout_title,
            valid_years=payload.valid_years,
            sequence=payload.sequence,
            issuing_organisation_ids=payload.issuing_organisation_ids,
            acting_user=request.auth,
        )
    except DomainError as error:
        raise _api_error(error) from error
    return Status(201, _type_out(licence_type))


@router.get(
    "/types",
    response={200: LicenceTypePageOut, **ERRORS},
    auth=licence_auth,
    summary="The licence types the caller's organisations define or may issue",
)
def list_types(request: HttpRequest, filters: Query[LicenceTypePageIn]) -> dict:
    scope = _require_staff(request)
    types = LicenceType.objects.select_related(
        "defining_organisation"
    ).prefetch_related("issuing_organisations")
    if not scope.is_superuser:
        ids = _organisation_ids(scope)
        types = types.filter(
            Q(defining_organisation_id__in=ids) | Q(issuing_organisations__in=ids)
        ).distinct()
    if filters.after:
        types = types.filter(pk__gt=filters.after)
    page = list(types.order_by("pk")[: filters.limit + 1])
    more = len(page) > filters.limit
    page = page[: filters.limit]
    return {
        "items": [_type_out(t) for t in page],
        "next_cursor": page[-1].pk if more else None,
    }


# --- licences ----------------------------------------------------------------------


def _check_holder_name(
    request: HttpRequest, payload: LicenceIssueIn, licence_type: LicenceType | None
) -> None:
    """A department's system names the holder as on record: ``holder.name`` must
    be the name recorded for ``holder.label`` (compared without spaces, brackets
    full-width, as the licence import does), else 422 on ``holder.name`` — the
    recorded name is not revealed. Only on this API: a case decision issues
    through :func:`services.licence_issue`, which does not compare names.

    Checked only once the caller may issue the type for the issuer, so an
    unauthorised caller learns nothing about a holder (the service refuses it);
    a holder not on record is the service's refusal on ``holder.label``."""
    if licence_type is None:
        return
    issuer = (
        Organisation.objects.select_related("division")
        .filter(pk=payload.issuer_organisation_id)
        .first()
    )
    if issuer is None or not services._may_issue(request.auth, issuer):
        return
    if (
        issuer.pk != licence_type.defining_organisation_id
        and not licence_type.issuing_organisations.filter(pk=issuer.pk).exists()
    ):
        return
    if services.holder_errors(
        licence_type, payload.holder.label, payload.holder.code, payload.holder.name
    ):
        # the code must name the holder first (the service refuses it): a guessed
        # name is never compared against a person the caller only labelled
        return
    _refuse_other_name(payload.holder.label, payload.holder.name, "holder.name")


def _refuse_other_name(holder_label: str, name: str, field: str) -> None:
    """422 on ``field`` when ``name`` is not the name on record of
    ``holder_label`` (compared as the licence import does; the recorded name is
    not revealed)."""
    recorded = principal_name(holder_label)
    if recorded and same_name(name) != same_name(recorded):
        message = _("持证主体名称与本系统中登记的名称不一致。")
        raise LicenceError(
            INVALID_HOLDER, message, fields={field: [message]}, status=422
        )


@router.post(
    "/licences",
    response={201: LicenceOut, **ERRORS},
    auth=licence_auth,
    summary="Issue a licence (a reviewer of the issuing organisation)",
    description="The issuer must define the type or be one of its issuing "
    "organisations (else 403 `licenses.issuer_not_authorised`); the holder and the "
    "face data are checked against the type (422 naming the field); `holder.name` "
    "must be the name on record of `holder.label` (spaces and bracket widths "
    "aside; else 422 on `holder.name`, the recorded name not shown); the licence "
    "file is rendered and its metadata signed with the issuer's seal.",
)
def issue(request: HttpRequest, payload: LicenceIssueIn) -> Status:
    _require_staff(request)
    licence_type = LicenceType.objects.filter(type_code=payload.type_code).first()
    if licence_type is not None and licence_type.holder_kind != payload.holder.kind:
        message = _("持证主体类别与证照类型不符。")
        raise LicenceError(
            "licenses.invalid_holder",
            message,
            fields={"holder.kind": [message]},
            status=422,
        )
    _check_holder_name(request, payload, licence_type)
    try:
        licence = services.licence_issue(
            type_code=payload.type_code,
            issuer_organisation_id=payload.issuer_organisation_id,
            holder_label=payload.holder.label,
            holder_code=payload.holder.code,
            holder_name=payload.holder.name,
            face_data=payload.face_data,
            source_case_number=payload.source_case_number,
            valid_from=payload.valid_from,
            acting_user=request.auth,
        )
    except DomainError as error:
        raise _api_error(error) from error
    return Status(201, _detail(licence.identifier))


@router.get(
    "/licences",
    response={200: LicencePageOut, **ERRORS},
    auth=licence_auth,
    summary="The licences the caller's organisations issued, newest first",
)
def list_licences(request: HttpRequest, filters: Query[LicencePageIn]) -> dict:
    scope = _require_staff(request)
    licences = _licences_for(scope)
    if filters.issuer_organisation_id:
        licences = licences.filter(issuer_id=filters.issuer_organisation_id)
    if filters.type_code:
        licences = licences.filter(licence_type__type_code=filters.type_code)
    if filters.status:
        licences = licences.filter(status=filters.status)
    if filters.holder_label:
        licences = licences.filter(holder_label=filters.holder_label)
    if filters.after:
        licences = licences.filter(pk__lt=filters.after)
    page = list(licences.order_by("-pk")[: filters.limit + 1])
    more = len(page) > filters.limit
    page = page[: filters.limit]
    return {
        "items": [_summary(licence) for licence in page],
        "next_cursor": page[-1].pk if more else None,
    }


@router.get(
    "/licences/{identifier}",
    response={200: LicenceOut, **ERRORS},
    auth=licence_auth,
    summary="One licence of the caller's organisations, with face data and history "
    "(the read is audited)",
)
def get_licence(request: HttpRequest, identifier: Identifier) -> dict[str, Any]:
    licence = _licence(request, identifier)
    audit.record(
        acting_user=request.auth,
        event="licenses.viewed",
        target=licence,
        data={"identifier": licence.identifier},
    )
    return _detail(licence.identifier)


@router.get(
    "/licences/{identifier}/file",
    response=ERRORS,
    auth=licence_auth,
    summary="The licence file (PDF) of one of the caller's organisations' licences "
    "(audited)",
    openapi_extra={
        "responses": {
            200: {
                "description": "the licence file",
                "content": {
                    "application/pdf": {
                        "schema": {"type": "string", "format": "binary"}
                    }
                },
            }
        }
    },
)
def licence_file(request: HttpRequest, identifier: Identifier) -> HttpResponse:
    licence = _licence(request, identifier)
    audit.record(
        acting_user=request.auth,
        event="licenses.file_downloaded",
        target=licence,
        data={"identifier": licence.identifier},
        source_ip=client_ip(request),
    )
    from .api_holder import pdf_response

    return pdf_response(
        f"licence-{licence.pk}-v{licence.version}.pdf", bytes(licence.file)
    )


@router.post(
    "/licences/{identifier}/versions",
    response={201: LicenceOut, **ERRORS},
    auth=licence_auth,
    summary="Change a licence: a new version; the old one is superseded",
    description="A new `holder_name` must be the name on record of the holder "
    "(spaces and bracket widths aside; else 422 on `holder_name`, the recorded name "
    "not shown); a new `holder_code` must be the holder's own (else 422 on "
    "`holder_code`).",
)
def change(request: HttpRequest, identifier: Identifier, payload: LicenceChangeIn):
    licence = _licence(request, identifier)
    if payload.holder_name is not None and services._may_issue(
        request.auth, licence.issuer
    ):
        # as on issue: a new holder name must be the name on record
        _refuse_other_name(licence.holder_label, payload.holder_name, "holder_name")
    # the service's field errors stand as they are: the body's fields are flat
    # (holder_code, holder_name), not nested as on issue
    new = services.licence_change(
        identifier=licence.identifier,
        face_data=payload.face_data,
        reason=payload.reason,
        holder_code=payload.holder_code,
        holder_name=payload.holder_name,
        acting_user=request.auth,
    )
    return Status(201, _detail(new.identifier))


def _lifecycle(request: HttpRequest, identifier: str, reason: str, step) -> dict:
    licence = _licence(request, identifier)
    step(identifier=licence.identifier, reason=reason, acting_user=request.auth)
    return _detail(licence.identifier)


@router.post(
    "/licences/{identifier}/suspend",
    response={200: LicenceOut, **ERRORS},
    auth=licence_auth,
    summary="Suspend a valid licence (reason required)",
)
def suspend(request: HttpRequest, identifier: Identifier, payload: ReasonIn) -> dict:
    return _lifecycle(request, identifier, payload.reason, services.licence_suspend)


@router.post(
    "/licences/{identifier}/resume",
    response={200: LicenceOut, **ERRORS},
    auth=licence_auth,
    summary="Resume a suspended licence (reason required)",
)
def resume(request: HttpRequest, identifier: Identifier, payload: ReasonIn) -> dict:
    return _lifecycle(request, identifier, payload.reason, services.licence_resume)


@router.post(
    "/licences/{identifier}/revoke",
    response={200: LicenceOut, **ERRORS},
    auth=licence_auth,
    summary="Revoke a licence (final; reason required)",
)
def revoke(request: HttpRequest, identifier: Identifier, payload: ReasonIn) -> dict:
    return _lifecycle(request, identifier, payload.reason, services.licence_revoke)


# --- verification (public) ---------------------------------------------------------


def _too_many_checks(request: HttpRequest) -> bool:
    return uses.too_many_checks(client_ip(request))


def _refuse_if_too_many(request: HttpRequest) -> None:
    if _too_many_checks(request):
        raise DomainError(
            "licenses.too_many_checks",
            _("查验次数过多，请稍后再试。"),
            status=429,
        )


def _verifier(request: HttpRequest) -> Any:
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


# verify/file before verify/{identifier}: "file" would match that path too.
@router.post(
    "/verify/file",
    response={200: VerificationOut, **PUBLIC_ERRORS},
    auth=None,
    summary="Verify an uploaded licence file (multipart `file` and `reason`; PDF, "
    "size-limited; the check is recorded for the holder)",
    description="The file is found by its SM3 digest, else by the identifier it "
    "carries; an altered file fails the `file_digest` check. `reason` is the "
    "verifier's stated purpose (用证事由); a check of a licence that exists is "
    "recorded for its holder with it. Limited per client address and hour.",
)
def verify_file(
    request: HttpRequest,
    file: File[UploadedFile],
    # ``\S``: a reason of spaces only is the same field refusal (422) as none.
    reason: str = Form(..., min_length=1, max_length=uses.REASON_MAX, pattern=r"\S"),
) -> dict[str, Any]:
    limit = _verify_max_bytes()
    content = file.read(limit + 1)
    if len(content) > limit:
        message = _("文件不能超过%(mb)sMB。") % {"mb": limit // (1024 * 1024)}
        raise DomainError(
            "request.too_large", message, fields={"file": [message]}, status=413
        )
    if not content.startswith(b"%PDF-"):
        message = _("请上传PDF格式的电子证照文件。")
        raise DomainError(
            "request.invalid", message, fields={"file": [message]}, status=422
        )
    _refuse_if_too_many(request)
    outcome = uses.check_file(
        content, reason=reason, user=_verifier(request), source_ip=client_ip(request)
    )
    logger.info("licence_file_verified", ok=outcome.ok, found=outcome.found)
    return _verification_out(outcome)


@router.get(
    "/verify/{identifier}",
    response={200: VerificationOut, **PUBLIC_ERRORS},
    auth=None,
    summary="Verify a licence by its identifier (public; no personal data; the "
    "check is recorded for the holder)",
    description="Each check apart: the check character, presence in the licence "
    "library, the SM2 signature, the signed metadata, the SM3 digest of the stored "
    "file; and the effective status. `ok` only when all pass and the status is "
    "`valid`. `reason` is the verifier's stated purpose (用证事由); a check of a "
    "licence that exists is recorded for its holder with it. Limited per client "
    "address and hour.",
)
def verify(
    request: HttpRequest, identifier: LooseIdentifier, query: Query[VerifyIn]
) -> dict[str, Any]:
    _refuse_if_too_many(request)
    outcome = uses.check_identifier(
        identifier,
        reason=query.reason,
        user=_verifier(request),
        source_ip=client_ip(request),
    )
    logger.info("licence_verified", ok=outcome.ok, found=outcome.found)
    return _verification_out(outcome)


# --- sub-routers (each module owns its paths) ------------------------------------------

from . import api_holder, api_imports, api_seals  # noqa: E402

router.add_router("", api_imports.router)
router.add_router("", api_holder.router)
router.add_router("", api_seals.router)
