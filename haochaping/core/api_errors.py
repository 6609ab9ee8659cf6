"""Pydantic validation errors rendered as per-field Chinese messages."""

from __future__ import annotations

from ninja import Field, Schema

_MESSAGES = {
    "missing": "必填",
    "int_parsing": "须为整数",
    "int_type": "须为整数",
    "string_type": "须为字符串",
    "string_too_long": "长度超出限制",
    "string_too_short": "不能为空",
    "datetime_parsing": "须为 ISO 8601 时间，例如 2026-11-30T09:30:00+08:00",
    "datetime_from_date_parsing": "须为 ISO 8601 时间，例如 2026-11-30T09:30:00+08:00",
    "datetime_type": "须为 ISO 8601 时间",
    "date_from_datetime_parsing": "须为日期，例如 2026-11-30",
    "enum": "取值不在允许范围内",
    "literal_error": "取值不在允许范围内",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "too_long": "条目过多",
    "too_short": "条目过少",
    "list_type": "须为数组",
    "dict_type": "须为对象",
    "model_type": "须为对象",
    "json_invalid": "不是合法的 JSON",
    "extra_forbidden": "不允许的字段",
    "string_pattern_mismatch": "格式不正确",
    "value_error": "取值无效",
}


def pydantic_fields(errors: list[dict]) -> dict[str, list[str]]:
    """Pydantic/ninja error list → {"dotted.field": ["中文说明"]}."""
    fields: dict[str, list[str]] = {}
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "payload", "query", "path")]
        key = ".".join(loc) or "__all__"
        message = _MESSAGES.get(err.get("type", ""), "取值无效")
        ctx = err.get("ctx") or {}
        if err.get("type") in ("enum", "literal_error") and "expected" in ctx:
            message += f"（允许：{ctx['expected']}）"
        if err.get("type") == "greater_than_equal" and "ge" in ctx:
            message = f"不能小于 {ctx['ge']}"
        if err.get("type") == "less_than_equal" and "le" in ctx:
            message = f"不能大于 {ctx['le']}"
        if err.get("type") in ("string_too_long",) and "max_length" in ctx:
            message = f"长度不能超过 {ctx['max_length']}"
        fields.setdefault(key, []).append(message)
    return fields


class ErrorDetail(Schema):
    code: str = Field(..., description="错误码（英文），如 validation_error、record_not_found、bad_signature")
    message: str = Field(..., description="中文说明")
    fields: dict[str, list[str]] = Field(..., description="逐字段的中文说明（字段名 → 说明列表），无则为空对象")


class ErrorOut(Schema):
    """Every error of the API: ``{"error": {"code", "message", "fields"}}``."""

    error: ErrorDetail


# Who answers which error (haochaping/api.py maps the exceptions to the status codes):
# 400 a body that is not JSON; 401 a missing or wrong signature, a replayed nonce; 403 data of
# another unit, an action the system's role may not take; 404 an unknown id or 办件; 409 a state
# conflict (already rated, a step the case's state does not allow); 422 a field or query
# parameter out of its rules; 503 the platform not set up yet (no indicator set).
READ = (401, 422)
READ_ONE = (401, 404, 422)
WRITE = (400, 401, 409, 422)


def error_responses(*statuses: int) -> dict[int, type[ErrorOut]]:
    """The ``response=`` entries documenting an operation's error answers with ``ErrorOut``."""
    return dict.fromkeys(statuses, ErrorOut)
