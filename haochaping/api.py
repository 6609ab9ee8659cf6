"""The business-system JSON API (/api/v1/): one NinjaAPI, one error shape.

Every error answers ``{"error": {"code": ..., "message": "中文说明", "fields": {...}}}``.
"""

from __future__ import annotations

import logging

from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from haochaping.core.api_errors import pydantic_fields
from haochaping.core.api_input import refuse_nul
from haochaping.core.api_render import RENDERER
from haochaping.core.errors import ApplicationError
from haochaping.organizations.api_auth import authenticate_request

logger = logging.getLogger("haochaping.api")


def signature_auth(request):
    request.system = authenticate_request(request)
    refuse_nul(request)  # before any field reaches the database (PostgreSQL refuses U+0000)
    return request.system


api = NinjaAPI(
    title="haochaping 政务服务好差评 API",
    version="1.0.0",
    description=(
        "业务系统接入接口：推送办件、提交评价、查询评价。每个请求须携带 X-App-Id、X-Timestamp、"
        "X-Nonce、X-Signature 四个请求头（HMAC-SM3 签名，见 README“业务系统接入”）。"
    ),
    auth=signature_auth,
    docs_url="/docs",
    openapi_url="/openapi.json",
    urls_namespace="api",
    renderer=RENDERER,  # shared with handlers that render their own response (core.api_render)
)


@api.exception_handler(ApplicationError)
def _application_error(request, exc: ApplicationError):
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(NinjaValidationError)
def _validation_error(request, exc: NinjaValidationError):
    err = ApplicationError("提交的数据不符合要求", code="validation_error", fields=pydantic_fields(exc.errors))
    return api.create_response(request, err.as_dict(), status=422)


@api.exception_handler(AuthenticationError)
def _auth_error(request, exc):
    err = ApplicationError("身份认证失败", code="unauthenticated")
    return api.create_response(request, err.as_dict(), status=401)


@api.exception_handler(Http404)
def _not_found(request, exc):
    err = ApplicationError("接口或记录不存在", code="not_found")
    return api.create_response(request, err.as_dict(), status=404)


_HTTP_MESSAGES = {
    400: ("bad_request", "请求格式有误：请求体须为合法的 JSON（UTF-8）"),
    405: ("method_not_allowed", "该接口不支持此请求方法"),
    429: ("throttled", "请求过于频繁，请稍后再试"),
}


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    code, message = _HTTP_MESSAGES.get(exc.status_code, (f"http_{exc.status_code}", "请求有误"))
    err = ApplicationError(message, code=code)
    return api.create_response(request, err.as_dict(), status=exc.status_code)


def not_found(request, rest: str = ""):
    """Unknown paths under /api/ answer in the API's error shape, not with an HTML page."""
    err = ApplicationError("接口不存在，请核对路径（接口文档：/api/v1/docs）", code="endpoint_not_found")
    return api.create_response(request, err.as_dict(), status=404)


@api.exception_handler(Exception)
def _unexpected(request, exc):
    # Never echo the exception text: it may carry data. The log has the traceback.
    logger.exception("unhandled API error on %s %s", request.method, request.path)
    err = ApplicationError("服务器内部错误，请稍后重试；如持续出现请联系平台管理员", code="internal_error")
    return api.create_response(request, err.as_dict(), status=500)


from haochaping.intake.api import router as evaluations_router  # noqa: E402
from haochaping.organizations.api import router as organizations_router  # noqa: E402
from haochaping.outreach.api import router as demands_router  # noqa: E402
from haochaping.rectification.api import router as cases_router  # noqa: E402
from haochaping.service_records.api import router as records_router  # noqa: E402

api.add_router("/", organizations_router)
api.add_router("/", records_router)
api.add_router("/", evaluations_router)
api.add_router("/", cases_router)
api.add_router("/", demands_router)
