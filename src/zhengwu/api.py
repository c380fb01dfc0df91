"""The HTTP API under /api/v1/: one router per app, one error shape for everything.

Errors are ``{"code": str, "message": str, "fields": {field: [reason, ...]}}``: the code
is stable for machines, the message Chinese for people.
"""

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from zhengwu.catalog.api import router as catalog_router
from zhengwu.core.api import router as core_router
from zhengwu.core.errors import DomainError

api = NinjaAPI(
    title="zhengwu API",
    version="1",
    description="互联网+政务服务平台 API (zhengwu).",
    urls_namespace="api-v1",
)
api.add_router("/core/", core_router)
api.add_router("/catalog/", catalog_router)


def _fields_from_ninja(errors: list[dict]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for error in errors:
        location = [
            str(part)
            for part in error.get("loc", ())
            if part not in {"body", "query", "path", "payload"}
        ]
        key = ".".join(location) or "__all__"
        fields.setdefault(key, []).append(str(error.get("msg", "")))
    return fields


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, error: DomainError) -> HttpResponse:
    return api.create_response(request, error.as_dict(), status=error.status)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, error: ValidationError) -> HttpResponse:
    body = {
        "code": "request.invalid",
        "message": _("请求内容不符合要求，请检查标出的字段。"),
        "fields": _fields_from_ninja(error.errors),
    }
    return api.create_response(request, body, status=422)


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, error: Exception) -> HttpResponse:
    body = {"code": "auth.required", "message": _("请先登录。"), "fields": {}}
    return api.create_response(request, body, status=401)


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    body = {"code": f"http.{error.status_code}", "message": str(error), "fields": {}}
    return api.create_response(request, body, status=error.status_code)
