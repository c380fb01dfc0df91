"""/api/v1/licenses/wallet — the holder's side (我的证照, 亮证) for a citizen's or
an enterprise's app (mounted by licenses.api).

The same functions as the portal's 我的证照 pages (``licenses.showing``): the
caller sees the licences of their own person, of every entity they represent,
and, while acting for a principal under an active authorisation (代办), that
principal's. Another holder's licence is a 404 whatever its identifier."""

from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from ninja import Path, Router
from ninja.security import SessionAuth

from zhengwu.core.errors import DomainError
from zhengwu.core.middleware import client_ip
from zhengwu.core.schemas import ERRORS
from zhengwu.identity.facade import acting_for_request, bearer_auth

from . import showing
from .schemas import (
    IDENTIFIER_PATTERN,
    ShowIn,
    ShowOut,
    WalletLicenceOut,
    WalletOut,
)

router = Router(tags=["licenses"])

# A citizen's or enterprise's app with an OIDC access token (scope ``api``), or
# the page session with CSRF checked on unsafe methods.
holder_auth = [bearer_auth, SessionAuth(csrf=True)]

Identifier = Annotated[str, Path(pattern=IDENTIFIER_PATTERN)]


def _entry(entry: showing.WalletEntry) -> dict[str, Any]:
    return {
        "identifier": entry.identifier,
        "type_name": entry.type_name,
        "issuer_name": entry.issuer_name,
        "holder_name": entry.holder_name,
        "version": entry.version,
        "status": entry.status,
        "status_label": entry.status_label,
        "valid_from": entry.valid_from,
        "valid_until": entry.valid_until,
        "issued_at": entry.issued_at,
    }


def _field(field: showing.FaceField) -> dict[str, str]:
    return {"key": field.key, "label": field.label, "value": field.value}


@router.get(
    "/wallet",
    response={200: WalletOut, **ERRORS},
    auth=holder_auth,
    summary="The caller's licences (own, represented entities, the principal acted "
    "for), newest first",
)
def wallet(request: HttpRequest) -> dict[str, Any]:
    entries = showing.wallet(request.auth, acting=acting_for_request(request))
    return {"items": [_entry(entry) for entry in entries]}


@router.get(
    "/wallet/{identifier}",
    response={200: WalletLicenceOut, **ERRORS},
    auth=holder_auth,
    summary="One of the caller's licences: the releasable face fields, its history "
    "and its use records (用证)",
)
def wallet_licence(request: HttpRequest, identifier: Identifier) -> dict[str, Any]:
    licence = showing.holder_licence(
        request.auth, identifier, acting=acting_for_request(request)
    )
    return {
        **_entry(licence.entry),
        "showable": licence.showable,
        "fields": [_field(field) for field in licence.fields],
        "history": [
            {"kind_label": step.kind_label, "reason": step.reason, "at": step.at}
            for step in licence.history
        ],
        "uses": [
            {
                "channel_label": use.channel_label,
                "reason": use.reason,
                "verifier": use.verifier,
                "source_ip": use.source_ip,
                "released": list(use.released),
                "result_label": use.result_label,
                "at": use.at,
            }
            for use in licence.uses
        ],
    }


@router.get(
    "/wallet/{identifier}/file",
    response=ERRORS,
    auth=holder_auth,
    summary="The licence file (PDF) of one of the caller's licences (audited)",
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
def wallet_file(request: HttpRequest, identifier: Identifier) -> HttpResponse:
    name, content = showing.holder_file(
        request.auth,
        identifier,
        acting=acting_for_request(request),
        source_ip=client_ip(request),
    )
    return pdf_response(name, content)


def pdf_response(name: str, content: bytes) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@router.post(
    "/wallet/{identifier}/show",
    response={200: ShowOut, **ERRORS},
    auth=holder_auth,
    summary="亮证: a short-lived token releasing the chosen face fields (audited)",
    description="`fields` are keys of the licence's `fields`. The answer's `url` "
    "is what the QR code carries: the verifier opens it, states the reason "
    "(用证事由) and sees only those fields, once. The token expires at "
    "`expires_at` (`ZHENGWU_LICENCE_SHOW_SECONDS`, default 5 minutes). Only a "
    "valid licence can be shown (409 `licenses.not_showable`).",
)
def wallet_show(
    request: HttpRequest, identifier: Identifier, payload: ShowIn
) -> dict[str, Any]:
    try:
        token = showing.show_licence(
            request.auth,
            identifier,
            fields=payload.fields,
            acting=acting_for_request(request),
            source_ip=client_ip(request),
        )
    except DomainError as error:
        if error.fields and error.status == 400:
            error.status = 422  # a field of the body, like every invalid body
        raise
    url = request.build_absolute_uri(
        reverse("portal:licence_show_check", kwargs={"token": token.token})
    )
    return {
        "token": token.token,
        "url": url,
        "expires_at": token.expires_at,
        "released": [_field(field) for field in token.released],
    }
