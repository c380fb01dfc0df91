"""The HTTP API under /api/v1/: one router per app, one error shape for everything.

Errors are ``{"code": str, "message": str, "fields": {field: [reason, ...]}}``: the code
is stable for machines, the message Chinese for people.
"""

from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _

from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from zhengwu.cases.api import router as cases_router
from zhengwu.cases.api_appointments import router as appointments_router
from zhengwu.catalog.api import router as catalog_router
from zhengwu.core.api import router as core_router
from zhengwu.core.errors import DomainError, pydantic_fields
from zhengwu.identity.api import router as identity_router
from zhengwu.licenses.api import router as licenses_router

api = NinjaAPI(
    title="zhengwu API",
    version="1",
    description="互联网+政务服务平台 API (zhengwu).",
    urls_namespace="api-v1",
)
api.add_router("/core/", core_router)
api.add_router("/catalog/", catalog_router)
api.add_router("/identity/", identity_router)
api.add_router("/cases/", cases_router)
api.add_router("/appointments/", appointments_router)
api.add_router("/licenses/", licenses_router)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, error: DomainError) -> HttpResponse:
    return api.create_response(request, error.as_dict(), status=error.status)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, error: ValidationError) -> HttpResponse:
    body = {
        "code": "request.invalid",
        "message": _("请求内容不符合要求，请检查标出的字段。"),
        "fields": pydantic_fields(list(error.errors)),
    }
    return api.create_response(request, body, status=422)


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, error: Exception) -> HttpResponse:
    body = {"code": "auth.required", "message": _("请先登录。"), "fields": {}}
    return api.create_response(request, body, status=401)


_HTTP_MESSAGES = {
    400: ("request.malformed", "请求格式错误，无法解析请求内容。"),
    403: ("auth.forbidden", "您无权执行此操作。"),
    404: ("http.404", "请求的资源不存在。"),
    405: ("http.405", "不支持该请求方法。"),
    413: ("request.too_large", "请求内容过大。"),
}


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    code, message = _HTTP_MESSAGES.get(
        error.status_code, (f"http.{error.status_code}", str(error))
    )
    body = {"code": code, "message": _(message), "fields": {}}
    return api.create_response(request, body, status=error.status_code)


@api.exception_handler(RequestDataTooBig)
def on_request_too_big(request: HttpRequest, error: Exception) -> HttpResponse:
    body = {"code": "request.too_large", "message": _("请求内容过大。"), "fields": {}}
    return api.create_response(request, body, status=413)


@api.exception_handler(MultiPartParserError)
@api.exception_handler(BadRequest)
@api.exception_handler(SuspiciousOperation)
def on_malformed_request(request: HttpRequest, error: Exception) -> HttpResponse:
    """A body Django cannot parse (multipart without a boundary, too many fields):
    the same 400 as malformed JSON, not Django's HTML page or a 500."""
    code, message = _HTTP_MESSAGES[400]
    body = {"code": code, "message": _(message), "fields": {}}
    return api.create_response(request, body, status=400)
