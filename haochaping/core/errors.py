"""One family of application errors, mapped to one JSON shape and to console messages.

``{"error": {"code": "...", "message": "中文说明", "fields": {...}}}``
"""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    status = 400
    code = "bad_request"
    default_message = "请求有误"

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        fields: dict[str, list[str]] | None = None,
        extra: dict[str, Any] | None = None,
    ):
        self.message = message or self.default_message
        if code:
            self.code = code
        self.fields = fields or {}
        self.extra = extra or {}
        super().__init__(self.message)

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message, "fields": self.fields}
        body.update(self.extra)
        return {"error": body}


class ValidationFailed(ApplicationError):
    status = 422
    code = "validation_error"
    default_message = "提交的数据不符合要求"


class NotFound(ApplicationError):
    status = 404
    code = "not_found"
    default_message = "未找到该记录"


class Conflict(ApplicationError):
    status = 409
    code = "conflict"
    default_message = "与已有数据冲突"


class PermissionDenied(ApplicationError):
    status = 403
    code = "forbidden"
    default_message = "无权访问该数据"


class AuthenticationFailed(ApplicationError):
    status = 401
    code = "unauthenticated"
    default_message = "身份认证失败"


class ServiceUnavailable(ApplicationError):
    """The platform is not set up for this yet (a server-side problem, not the caller's)."""

    status = 503
    code = "service_unavailable"
    default_message = "服务暂不可用，请联系平台管理员"
