"""Project-wide views: the CSRF failure page and the error pages (``handler400/403/404/500``).

Every error is a styled Chinese page with a way back, chosen by where the request went: staff
pages under ``/console/`` get the console's page (back to the 工作台), the API under ``/api/``
its JSON error shape, everything else (citizen pages, tablets, kiosks) the citizen page (back
to a page a citizen can use, and the hall's phone). The 400 and 500 pages render without the
request (no context processors): they must work when the database, the session or the user is
what failed.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import requires_csrf_token

from haochaping.core.api_render import json_response
from haochaping.core.contact import hall_phone, tel_of

STAFF_PREFIX = "/console/"
API_PREFIX = "/api/"

# status -> (title, message, API error code)
ERRORS = {
    400: ("请求有误", "无法处理这个请求，请返回后重新操作。", "bad_request"),
    403: ("无权访问", "您没有权限访问这个页面。", "forbidden"),
    404: ("页面不存在", "您访问的页面不存在，可能是网址有误，或页面已被移除。", "not_found"),
    500: ("系统繁忙", "系统出现异常，暂时无法完成您的请求，请稍后重试。", "internal_error"),
}
STAFF_HINTS = {
    400: "请返回上一页，刷新后重新操作。",
    403: "如需开通权限，请联系本单位管理员或区政务服务中心。",
    404: "请检查网址，或从左侧菜单进入需要的页面。",
    500: "错误已记录，请稍后重试；如持续出现，请联系平台管理员。",
}
# Where a citizen goes back to, by the first part of the path; otherwise 我的评价.
CITIZEN_WAYS_BACK = (
    ("/kiosk/", "/kiosk/", "返回首页"),
    ("/demand/", "/demand/", "返回诉求页面"),
    ("/tablet/", "/tablet/", "返回评价屏"),
)
CITIZEN_DEFAULT_WAY_BACK = ("/my/", "查看我的评价")


def csrf_failure(request, reason: str = ""):
    """An expired form or blocked cookies: explain in Chinese what to do (never the reason text).

    返回上一页 is a plain link (the Content-Security-Policy runs no ``javascript:`` URL): to the
    page the form was on when the browser said so (same site only), else to the form's address.
    """
    return render(request, "core/csrf_failure.html", {"back_url": _back_url(request)}, status=403)


def _back_url(request: HttpRequest) -> str:
    referer = request.META.get("HTTP_REFERER", "")
    try:
        host = request.get_host()
    except DisallowedHost:
        host = ""
    if (
        referer
        and host
        and url_has_allowed_host_and_scheme(referer, allowed_hosts={host}, require_https=request.is_secure())
    ):
        parts = urlsplit(referer)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return request.path


def _context(request: HttpRequest, status: int) -> dict:
    title, message, _code = ERRORS[status]
    context = {"status": status, "title": title, "message": message}
    if request.path.startswith(STAFF_PREFIX):
        context["hint"] = STAFF_HINTS[status]
        return context
    way_back, way_back_label = next(
        ((url, label) for prefix, url, label in CITIZEN_WAYS_BACK if request.path.startswith(prefix)),
        CITIZEN_DEFAULT_WAY_BACK,
    )
    phone = hall_phone()
    return {
        **context,
        "way_back": way_back,
        "way_back_label": way_back_label,
        "hall_phone": phone,
        "hall_phone_tel": tel_of(phone),
        "big": False,
        "big_toggle_url": f"{request.path}?big=1",
    }


def _template(request: HttpRequest) -> str:
    return "console/error.html" if request.path.startswith(STAFF_PREFIX) else "core/citizen_error.html"


def _error(request: HttpRequest, status: int, *, with_request: bool) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        _title, message, code = ERRORS[status]
        return json_response(request, {"error": {"code": code, "message": message, "fields": {}}}, status=status)
    context = _context(request, status)
    if with_request:
        return render(request, _template(request), context, status=status)
    # No request context: no context processors, so no session, user or database is touched.
    return HttpResponse(loader.get_template(_template(request)).render(context), status=status)


@requires_csrf_token
def page_not_found(request, exception=None):
    return _error(request, 404, with_request=True)


@requires_csrf_token
def permission_denied(request, exception=None):
    return _error(request, 403, with_request=True)


def bad_request(request, exception=None):
    return _error(request, 400, with_request=False)


def server_error(request):
    return _error(request, 500, with_request=False)
