"""QR code posters (``/console/qr/posters/``): choose places and a layout, get an A4 PDF.

The PDF itself is drawn by ``organizations.posters``; places without a code get one first
(``poster_pdf_for``, audited). Supervisors and department/street/community admins only, each
within their scope (``require_qr_role``).
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_http_methods

from haochaping.audit.services import Actor
from haochaping.core.pages.downloads import content_disposition
from haochaping.organizations.pages import console_page
from haochaping.organizations.posters import LAYOUTS, MAX_PLACES, poster_pdf_for
from haochaping.organizations.qrcodes import Place, qr_place_get_for, qr_place_list, require_qr_role
from haochaping.organizations.selectors import Scope

CODE_DONE = '<span class="state state-done">已生成</span>'
CODE_AT_PRINT = '<span class="state state-open">打印时生成</span>'


def _rows(places: list[Place], selected: set[str]) -> SafeString:
    """The table's rows, one per place: thousands at a city's scale, so in one pass rather than
    by a template loop (the HTML the loop rendered)."""
    rows = []
    for place in places:
        ref = escape(place.ref)
        tick = " checked" if not selected or place.ref in selected else ""
        where = escape(place.location) + (f" · {escape(place.department)}" if place.department else "")
        code = (
            '<span class="state state-done">已生成</span>'
            if place.qr
            else '<span class="state state-open">打印时生成</span>'
        )
        rows.append(
            f'<tr><td><input type="checkbox" name="place" value="{ref}" id="place-{ref}"{tick}></td>'
            f'<td class="nowrap">{escape(place.kind_label)}</td>'
            f'<td><label for="place-{ref}">{escape(place.name)}</label></td>'
            f"<td>{where}</td><td>{code}</td></tr>\n"
        )
    return mark_safe("".join(rows))  # noqa: S308 (every piece above is escaped)


def _page(request, scope: Scope, *, selected: set[str], layout: str, error: str = "", status: int = 200):
    places = qr_place_list(scope=scope)
    context = {
        "nav": "qr",
        "places": places,
        "rows": _rows(places, selected),
        "selected": selected,
        "layout": layout,
        "layouts": LAYOUTS,
        "error": error,
    }
    return render(request, "organizations/qr_posters.html", context, status=status)


@console_page
@require_http_methods(["GET", "HEAD", "POST"])
def qr_posters(request, scope: Scope):
    """GET: choose places and a layout. POST: the PDF (places without a code get one, audited)."""
    require_qr_role(scope)
    if request.method != "POST":
        return _page(request, scope, selected=set(request.GET.getlist("place")), layout="6")
    layout = request.POST.get("layout") if request.POST.get("layout") in LAYOUTS else "6"
    refs = list(dict.fromkeys(request.POST.getlist("place")))
    if not refs:
        return _page(request, scope, selected=set(), layout=layout, error="请至少选择一个窗口或场所", status=422)
    if len(refs) > MAX_PLACES:
        error = f"一次最多打印 {MAX_PLACES} 个，请分批打印"
        return _page(request, scope, selected=set(refs), layout=layout, error=error, status=422)
    places = [qr_place_get_for(scope=scope, ref=ref) for ref in refs]  # NotFound (404) outside the scope
    content = poster_pdf_for(places, layout=layout, actor=Actor.for_user(request.user))
    response = HttpResponse(content, content_type="application/pdf")
    stamp = f"{timezone.localtime():%Y%m%d}"
    name = "评价二维码海报" if layout == "1" else "评价二维码"
    response["Content-Disposition"] = content_disposition(f"{name}_{stamp}.pdf", fallback=f"qr-posters-{stamp}.pdf")
    return response
