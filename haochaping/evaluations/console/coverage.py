"""The QR code and rating coverage page (R4): the coverage list (``evaluations.coverage``) with its
Excel export, and generating/regenerating a place's code. The posters are an organisation page
(``organizations/console/posters.py``).

Supervisors and department/street/community admins only, each within their scope (a window
belongs to the scope of the place it stands in and of the department staffing it). Window
clerks, callback operators and auditors get a 403 page.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from haochaping.audit.services import Actor
from haochaping.core.pages.excel import ListExport, Rate
from haochaping.core.pages.paging import page_of
from haochaping.evaluations.coverage import (
    COVERAGE_DAYS,
    KINDS,
    MISSING,
    CoverageList,
    CoverageRow,
    coverage_rows,
)
from haochaping.organizations.pages import console_page
from haochaping.organizations.qrcodes import qr_code_ensure, qr_code_regenerate, qr_place_get_for, require_qr_role
from haochaping.organizations.selectors import Scope

DEFINITIONS: list[tuple[str, str]] = [
    ("统计口径", f"近 {COVERAGE_DAYS} 天接收的办件服务（按接收时间）；只统计本账号数据范围内的办件。"),
    ("场所的办件", "在该场所的窗口办理的服务，以及办理单位就是该场所的服务（同一服务只计一次）。"),
    (
        "数据时效",
        "今天和第 30 天当天接收的服务实时统计；其间各天的取自每分钟更新的统计汇总，"
        "其后新增的评价在下次更新（约 1 分钟内）计入。",
    ),
    ("评价器", "已完成配对、仍在启用的评价设备（窗口评价器、自助终端）；在线指 90 秒内有心跳。"),
    ("评价率", "已评价服务数 ÷ 办件服务数。"),
    ("二维码", "每个窗口、大厅、便民服务中心/点一个固定二维码；重新生成后旧二维码立即失效。"),
]


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _query(data) -> tuple[str, str]:
    """The list's filters (缺二维码 / 缺评价器, windows / places), unknown values ignored."""
    missing = data.get("missing", "")
    kind = data.get("kind", "")
    return (missing if missing in MISSING else ""), (kind if kind in KINDS else "")


def _encoded(missing: str, kind: str) -> str:
    return urlencode({k: v for k, v in (("missing", missing), ("kind", kind)) if v})


@console_page
@require_http_methods(["GET", "HEAD", "POST"])
def qr_coverage(request, scope: Scope):
    require_qr_role(scope)
    if request.method == "POST":
        return _qr_action(request, scope)
    now = timezone.now()
    missing, kind = _query(request.GET)
    listing = CoverageList(scope, now=now, missing=missing, kind=kind)
    totals = listing.totals
    page = page_of(request, listing)  # the page's rows only are read and counted
    context = {
        "nav": "qr",
        # A city has thousands of windows and places: the table shows one page of them (the
        # totals above it and the Excel export cover them all).
        "page_obj": page,
        "rows": page.object_list,
        "totals": totals,
        "window_qr_rate": _ratio(totals["windows_qr"], totals["windows"]),
        "window_device_rate": _ratio(totals["windows_device"], totals["windows"]),
        "place_qr_rate": _ratio(totals["places_qr"], totals["places"]),
        "missing": missing,
        "kind": kind,
        "missing_choices": MISSING,
        "kind_choices": KINDS,
        "days": COVERAGE_DAYS,
        "definitions": DEFINITIONS,
        "query": _encoded(missing, kind),
        "now": now,
        "posters_url": reverse("console:qr_posters"),  # each row links to its poster
    }
    return render(request, "evaluations/qr_coverage.html", context)


def _qr_action(request, scope: Scope):
    """生成二维码 / 重新生成: one place, by its reference, within the scope (else 404)."""
    action = request.POST.get("action", "")
    place = qr_place_get_for(scope=scope, ref=request.POST.get("place", ""))
    actor = Actor.for_user(request.user)
    if action == "regenerate":
        qr_code_regenerate(actor=actor, place=place, reason=request.POST.get("reason", ""))
        messages.success(request, f"已重新生成“{place.full_name}”的二维码，原二维码已失效，请重新打印张贴。")
    else:
        existed = place.qr is not None
        qr_code_ensure(actor=actor, place=place)
        if not existed:
            messages.success(request, f"已生成“{place.full_name}”的二维码。")
    query = _encoded(*_query(request.POST))
    page = request.POST.get("page", "")
    if page.isdigit() and page != "1":  # back to the page the place was on
        query = f"{query}&page={page}" if query else f"page={page}"
    return redirect(f"{request.path}?{query}" if query else request.path)


@console_page
@require_GET
def qr_coverage_export(request, scope: Scope):
    require_qr_role(scope)
    now = timezone.now()
    missing, kind = _query(request.GET)
    rows = coverage_rows(scope, now=now, missing=missing, kind=kind)
    stamp = f"{timezone.localtime(now):%Y%m%d}"
    export = coverage_export(rows, now=now)
    return export.response(filename=f"评价覆盖情况_{stamp}.xlsx", fallback=f"rating-coverage-{stamp}.xlsx")


HEADERS = [
    "类型",
    "名称",
    "所在场所",
    "进驻部门",
    "二维码",
    "二维码生成时间",
    "评价器（已配对）",
    "在线",
    f"近{COVERAGE_DAYS}天办件",
    "已评价",
    "评价率",
]
WIDTHS = [14, 24, 22, 20, 8, 18, 10, 8, 10, 8, 9]


def coverage_export(rows: list[CoverageRow], *, now: dt.datetime) -> ListExport:
    """Title, subtitle, headers on row 4, a row per place from row 5, the places' names frozen
    (``core.pages.excel.ListExport``: the sheet written row by row, served from a temporary file)."""
    subtitle = f"导出时间：{timezone.localtime(now):%Y-%m-%d %H:%M}　统计口径：近 {COVERAGE_DAYS} 天接收的办件服务"
    return ListExport(
        title="评价覆盖情况",
        preamble=[["窗口与便民服务场所评价覆盖情况"], [subtitle], []],
        headers=HEADERS,
        centred_headers=True,
        widths=WIDTHS,
        freeze="C5",
        rows=(_export_row(row) for row in rows),
    )


def _export_row(row: CoverageRow) -> list:
    place = row.place
    generated = timezone.localtime(place.qr.generated_at).strftime("%Y-%m-%d %H:%M") if place.qr else ""
    rate = Rate(row.rate) if row.rate is not None else None
    values = [place.kind_label, place.name, place.location, place.department, "有" if place.qr else "缺",
              generated, row.paired, row.online, row.services, row.rated, rate]  # fmt: skip
    return ["—" if value is None else value for value in values]
