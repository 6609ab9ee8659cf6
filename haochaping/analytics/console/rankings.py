"""排名: units, windows, staff members or items ranked by one measure for a period and subtree,
with the minimum sample and the shrinkage shown (``analytics.ranking``); as a page and as Excel."""

from __future__ import annotations

from io import BytesIO

from django import forms
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from openpyxl import Workbook

from haochaping.analytics.console.forms import AnalyticsForm
from haochaping.analytics.console.overview import _quick_periods
from haochaping.analytics.kpis import kpi_get
from haochaping.analytics.ranking import ENTITIES, RANKABLE, Ranking, ranking
from haochaping.core.pages.downloads import xlsx_response
from haochaping.core.pages.excel import write_table_sheet
from haochaping.organizations.pages import console_page, record_export
from haochaping.organizations.selectors import Scope


class RankingForm(AnalyticsForm):
    entity = forms.ChoiceField(label="排名对象", choices=list(ENTITIES.items()), required=False)
    kpi = forms.ChoiceField(label="排名指标", required=False)

    field_order = ["entity", "kpi", "period", "on", "date_from", "date_to", "unit", "channel", "system"]

    def __init__(self, data, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["kpi"].choices = [(code, kpi_get(code).name) for code in RANKABLE]


def _ranking(request, scope: Scope) -> tuple[RankingForm, Ranking]:
    form = RankingForm(request.GET, scope=scope)
    period = form.get_period(timezone.localdate())
    slice_ = form.slice()
    values = form.values()
    table = ranking(slice_, period, entity=values.get("entity") or "unit", kpi_code=values.get("kpi") or "score")
    return form, table


@console_page
@require_GET
def ranking_view(request, scope: Scope):
    form, table = _ranking(request, scope)
    context = {
        "nav": "analytics_ranking",
        "form": form,
        "table": table,
        "period": table.period,
        "quick": _quick_periods(form),
        "entity_name": ENTITIES[table.entity],
    }
    return render(request, "analytics/ranking.html", context)


class _Line:
    def __init__(self, row, table: Ranking):
        self.name = row.name
        self.depth = 0
        self.rank = row.rank if row.rank is not None else "样本不足"
        self.detail = row.detail
        self.sample = row.sample
        self.value = table.kpi.show(row.value)
        self.adjusted = table.kpi.show(row.adjusted) if row.adjusted is not None else "—"
        self.ratings = row.counts.ratings
        self.bad = row.counts.bad


@console_page
@require_GET
def ranking_export(request, scope: Scope):
    form, table = _ranking(request, scope)
    wb = Workbook()
    ws = wb.active
    ws.title = "排名"
    write_table_sheet(
        ws,
        title=f"{ENTITIES[table.entity]}{table.kpi.name}排名",
        subtitle=f"统计期间：{table.period.label}",
        first_header=ENTITIES[table.entity],
        columns=[
            ("名次", "rank", False),
            ("所属单位", "detail", False),
            ("样本量", "sample", False),
            (table.kpi.name, "value", False),
            ("排名值", "adjusted", False),
            ("评价数", "ratings", False),
            ("差评数", "bad", False),
        ],
        rows=[_Line(row, table) for row in table.rows],
        total=None,
        value=getattr,
        definitions=[(table.kpi.name, table.kpi.definition), ("排名方法", table.method)],
    )
    buffer = BytesIO()
    wb.save(buffer)
    record_export(request, action="analytics:ranking:exported", form=form, rows=len(table.rows))
    name = f"{table.entity}-{table.kpi.code}-{table.period.first:%Y%m%d}-{table.period.last:%Y%m%d}"
    return xlsx_response(buffer.getvalue(), filename=f"排名_{name}.xlsx", fallback=f"ranking-{name}.xlsx")
