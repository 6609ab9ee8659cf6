"""The error page every staff page shows for an ``ApplicationError`` (Chinese, with its status)."""

from __future__ import annotations

from django.shortcuts import render

from haochaping.core.errors import ApplicationError

ERROR_TITLES = {403: "无权访问", 404: "未找到该记录"}


def error_page(request, exc: ApplicationError):
    context = {"title": ERROR_TITLES.get(exc.status, "请求未能完成"), "message": exc.message, "status": exc.status}
    return render(request, "console/error.html", context, status=exc.status)
