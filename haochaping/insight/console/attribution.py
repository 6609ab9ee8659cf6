"""差评归因分析 (``/console/attribution/``, 通知 二(六)): which dimensions and reasons drive bad
ratings, per unit, item, window, staff member and period.

* The page: filters (unit, month/quarter/year, item, window, staff), the dimensions' shares, the
  dimension × child-unit heat table, the monthly trend, the reason ranking and the term ranking
  with masked example texts. For supervisors and department admins (their own subtree; another
  unit's code is a 404); everyone else gets the 403 page.
* The drill-down (``/console/attribution/ratings/``): the bad ratings behind a cell, a dimension,
  a reason or a term, paged, with the evidence words highlighted; a POST corrects the cause of a
  rating whose citizen chose nothing (``insight.attribution.services.attribution_correct``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods

from haochaping.audit.services import Actor
from haochaping.core.errors import ApplicationError
from haochaping.core.pages.paging import page_of
from haochaping.evaluations.choices import DIMENSION_FIELDS, Dimension
from haochaping.evaluations.models import Indicator
from haochaping.insight.attribution import selectors as sel
from haochaping.insight.attribution.services import attribution_correct
from haochaping.insight.attribution.terms import mask_text, term_ranking
from haochaping.insight.console.attribution_forms import AttributionFilterForm, DrillFilterForm
from haochaping.insight.models import CauseSource
from haochaping.organizations.models import Staff, Unit, Window
from haochaping.organizations.pages import console_page
from haochaping.organizations.selectors import Scope, unit_list
from haochaping.service_records.models import ServiceItem

FILTER_KEYS = ("unit", "kind", "on", "item", "window", "staff")


def _choices(scope: Scope, unit: Unit) -> dict[str, list]:
    return {
        "units": list(unit_list(scope=scope).order_by("path")),
        "items": list(ServiceItem.objects.filter(department__path__startswith=unit.path).order_by("name")[:500]),
        # A hall's window staffed by a department belongs to both (the hall's unit, the department).
        "windows": list(
            Window.objects.filter(Q(unit__path__startswith=unit.path) | Q(department__path__startswith=unit.path))
            .distinct()
            .order_by("name")[:500]
        ),
        "staff": list(Staff.objects.filter(unit__path__startswith=unit.path).order_by("name")[:1000]),
    }


def _slice(request, scope: Scope, form_class) -> tuple[Any, sel.Slice, dict[str, Any]]:
    """The filter form and the slice it selects (the unit checked against the scope: 404)."""
    unit = sel.scoped_unit(scope, request.GET.get("unit") or None)
    data = request.GET.copy()  # always bound: the defaults (this quarter) show in the filter bar
    data.setdefault("kind", "quarter")
    data.setdefault("on", f"{timezone.localdate():%Y-%m-%d}")
    form = form_class(data, **_choices(scope, unit))
    values = form.values()
    kind = values.get("kind") or "quarter"
    on = values.get("on") or timezone.localdate()
    first, last = sel.period_bounds(kind, on)
    slice_ = sel.Slice(
        unit=unit,
        first=first,
        last=last,
        item_id=values.get("item"),
        window_id=values.get("window"),
        staff_id=values.get("staff"),
    )
    return form, slice_, {**values, "kind": kind, "on": on}


def _query(values: dict[str, Any], **more: Any) -> str:
    params = {}
    for key in FILTER_KEYS:
        value = values.get(key)
        if value not in (None, ""):
            params[key] = value.isoformat() if isinstance(value, dt.date) else value
    params.update({k: v for k, v in more.items() if v not in (None, "")})
    return urlencode(params)


@console_page
@require_GET
def attribution_page(request, scope: Scope):
    sel.require_view(scope)
    form, slice_, values = _slice(request, scope, AttributionFilterForm)
    shares = sel.dimension_shares(slice_)
    heat = sel.heat_table(slice_)
    for row in heat:
        for cell in row["cells"]:
            cell["query"] = _query(values, cell=row["unit_id"] or slice_.unit.pk, dimension=cell["dimension"])
    reasons = sel.reason_ranking(slice_)
    for r in reasons:
        r["query"] = _query(values, reason=r["code"])
    terms = term_ranking(slice_)
    for t in terms:
        t["query"] = _query(values, term=t["term"])
    for row in shares["rows"]:
        row["query"] = _query(values, dimension=row["dimension"])
    trend = sel.dimension_trend(slice_)
    top_reasons = reasons[:5]
    reason_trend = sel.reason_trend(slice_, [r["code"] for r in top_reasons])
    context = {
        "nav": "insight_attribution",
        "form": form,
        "slice": slice_,
        "period_label": sel.period_label(values["kind"], slice_.first),
        "shares": shares,
        "heat": heat,
        "dimensions": [(name, Dimension(name).label) for name in DIMENSION_FIELDS],
        "trend": trend["months"],
        "reasons": reasons,
        "top_reasons": top_reasons,
        "reason_trend": reason_trend,
        "terms": terms,
        "base_query": _query(values),
        "unattributed_query": _query(values, source=CauseSource.NONE),
    }
    return render(request, "insight/attribution.html", context)


def _highlight(text: str, words: list[str]) -> str:
    """The masked text, HTML-escaped, with the evidence words in ``<mark>``."""
    html = escape(mask_text(text))
    for word in sorted(set(words), key=len, reverse=True):
        if word:
            html = html.replace(escape(word), f"<mark>{escape(word)}</mark>")
    return mark_safe(html)  # noqa: S308 - built from escaped parts only


def _reason_choices() -> list[tuple[str, str, str]]:
    """(code, dimension, text) of the active indicator set's bad reasons with a dimension."""
    rows = Indicator.objects.filter(indicator_set__is_active=True).exclude(dimension="").order_by("dimension", "code")
    return [(i.code, i.dimension, i.text) for i in rows if 1 in i.levels or 2 in i.levels]


@console_page
@require_http_methods(["GET", "POST"])
def attribution_ratings(request, scope: Scope):
    sel.require_view(scope)
    if request.method == "POST":
        back = request.POST.get("back", "")
        try:
            cause = sel.cause_for(scope, int(request.POST.get("cause") or 0))
        except ValueError:
            messages.error(request, "提交的差评记录无效，请刷新页面后重试。")
            return redirect(f"{request.path}?{back}")
        try:
            attribution_correct(
                actor=Actor.for_user(request.user),
                scope=scope,
                cause=cause,
                dimension=request.POST.get("dimension", ""),
                reason=request.POST.get("reason", ""),
                note=request.POST.get("note", ""),
                user=request.user,
            )
        except ApplicationError as exc:
            if exc.status == 403:
                raise
            messages.error(request, f"归因未更正：{exc.message}")
        else:
            messages.success(request, "归因已更正，评价人原始选择不受影响。")
        return redirect(f"{request.path}?{back}")
    form, slice_, values = _slice(request, scope, DrillFilterForm)
    causes = sel.drill_down(
        slice_,
        dimension=values.get("dimension") or "",
        reason=values.get("reason") or "",
        term=values.get("term") or "",
        unit_id=values.get("cell"),
        source=values.get("source") or "",
    )
    page_obj = page_of(request, causes)
    page_obj.object_list = sel.with_details(page_obj.object_list)
    texts = sel.indicator_texts()
    for cause in page_obj:
        cause.text_html = _highlight(cause.evaluation.text, cause.evidence)
        cause.dimension_labels = [Dimension(d).label for d in cause.dimensions]
        cause.reason_labels = [f"{code} {texts.get(code, '')}".strip() for code in cause.reasons]
        cause.correctable = cause.source != CauseSource.CITIZEN
    context = {
        "nav": "insight_attribution",
        "form": form,
        "slice": slice_,
        "period_label": sel.period_label(values["kind"], slice_.first),
        "page_obj": page_obj,
        "dimensions": Dimension.choices,
        "reason_choices": _reason_choices(),
        "can_correct": sel.may_correct(scope),
        "back": request.GET.urlencode(),
    }
    return render(request, "insight/attribution_ratings.html", context)
