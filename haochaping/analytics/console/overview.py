"""综合分析: the measures of a period for a slice, against the period before (环比) and the same
period a year earlier (同比), per unit below, by level, channel and day; every figure links to
the rows behind it, and the tables download as Excel."""

from __future__ import annotations

from io import BytesIO
from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from openpyxl import Workbook

from haochaping.analytics.console.forms import AnalyticsForm
from haochaping.analytics.coverage import QUIET_DAYS, coverage
from haochaping.analytics.figures import UNIT_COLUMNS, Figure, UnitLine, figures, unit_lines
from haochaping.analytics.kpis import Counts, Slice, counts_by, kpi_list
from haochaping.analytics.models import RollupRun
from haochaping.analytics.periods import Period
from haochaping.analytics.rollups import rollup_refresh
from haochaping.audit.services import Actor, audit_record
from haochaping.core.pages import charts as charts_palette
from haochaping.core.pages.charts import bar_chart, line_chart, pie_chart
from haochaping.core.pages.downloads import xlsx_response
from haochaping.core.pages.excel import write_table_sheet
from haochaping.evaluations.choices import Channel, Level
from haochaping.organizations.models import Staff, Window
from haochaping.organizations.pages import console_page, record_export
from haochaping.organizations.qrcodes import require_qr_role
from haochaping.organizations.selectors import Scope
from haochaping.service_records.models import ServiceItem


def _mix(total: Counts, slice_: Slice, period: Period) -> tuple[list, list, list]:
    levels = [(Level(level).label, total.level(level), level) for level in sorted(Level.values, reverse=True)]
    by_channel = counts_by(slice_, period, "channel")
    channels = sorted(((Channel(k).label, c.ratings, k) for k, c in by_channel.items() if k is not None),
                      key=lambda t: -t[1])  # fmt: skip
    by_day = counts_by(slice_, period, "day") if period.days <= 92 else {}
    days = [(day, by_day[day]) for day in sorted(by_day)]
    return levels, channels, days


def _context(request, scope: Scope) -> dict:
    form = AnalyticsForm(request.GET, scope=scope)
    period = form.get_period(timezone.localdate())
    slice_ = form.slice()
    tiles, total, _, _ = figures(slice_, period)
    levels, channels, days = _mix(total, slice_, period)
    lines = unit_lines(slice_, period) if not slice_.narrowed or slice_.channel is not None else []
    return {
        "nav": "analytics",
        "form": form,
        "period": period,
        "previous": period.previous(),
        "year_earlier": period.year_earlier(),
        "slice": slice_,
        "tiles": tiles,
        "total": total,
        "levels": levels,
        "channels": channels,
        "days": days,
        "lines": lines,
        "unit_columns": [next(k for k in kpi_list() if k.code == c) for c in UNIT_COLUMNS],
        "drill": drill_queries(slice_, period),
        "quick": _quick_periods(form),
        "refreshed_at": _refreshed_at(),
        "charts": _charts(levels, channels, days, lines),
    }


def _charts(levels, channels, days, lines) -> dict:
    """The overview's charts (ECharts options): trend, level mix, channel mix, unit scores."""
    charts: dict = {}
    if days:
        charts["trend"] = line_chart(
            [day for day, _ in days],
            {"评价": [c.ratings for _, c in days], "差评": [c.bad for _, c in days]},
            colors=[charts_palette.PALETTE[0], charts_palette.BAD],
        )
    if any(count for _, count, _ in levels):
        charts["levels"] = pie_chart([(label, count) for label, count, _ in levels])
    if channels:
        charts["channels"] = bar_chart([label for label, _, _ in channels], {"评价数": [n for _, n, _ in channels]},
                                       horizontal=True)  # fmt: skip
    scored = [line for line in lines if line.figures.get("score") is not None]
    if scored:
        scored.sort(key=lambda line: -(line.figures["score"] or 0))
        scores = {"满意度得分": [line.figures["score"] for line in scored]}
        charts["units"] = bar_chart([line.name for line in scored], scores, horizontal=True)
    return charts


def drill_queries(slice_: Slice, period: Period) -> dict[str, str]:
    """Query strings of the raw lists (ratings, services, cases) narrowed like the figures."""
    base = {"unit_code": slice_.unit_path.rstrip("/").rsplit("/", 1)[-1],
            "date_from": f"{period.first:%Y-%m-%d}", "date_to": f"{period.last:%Y-%m-%d}"}  # fmt: skip
    if slice_.window_id is not None:
        base["window_code"] = Window.objects.get(pk=slice_.window_id).code
    if slice_.staff_id is not None:
        base["staff_no"] = Staff.objects.get(pk=slice_.staff_id).staff_no
    if slice_.item_id is not None:
        base["item_code"] = ServiceItem.objects.get(pk=slice_.item_id).code
    ratings = dict(base)
    if slice_.channel is not None:
        ratings["channel"] = slice_.channel
    if slice_.system_id is not None:
        ratings["system"] = slice_.system_id
    records = {k: v for k, v in base.items()}
    records["unit"] = records.pop("unit_code")
    return {"ratings": urlencode(ratings), "records": urlencode(records), "cases": urlencode(base)}


def _quick_periods(form: AnalyticsForm) -> list[tuple[str, str]]:
    today = timezone.localdate()
    this_month = Period.of("month", today)
    options = [
        ("本月", this_month),
        ("上月", this_month.previous()),
        ("本季度", Period.of("quarter", today)),
        ("本年", Period.of("year", today)),
    ]
    return [(label, form.query(period=p.kind, on=p.first, date_from=None, date_to=None)) for label, p in options]


def _refreshed_at():
    return RollupRun.objects.filter(finished_at__isnull=False).values_list("finished_at", flat=True).first()


@console_page
@require_GET
def overview(request, scope: Scope):
    return render(request, "analytics/overview.html", _context(request, scope))


@console_page
@require_GET
def overview_export(request, scope: Scope):
    context = _context(request, scope)
    form, period = context["form"], context["period"]
    wb = Workbook()
    ws = wb.active
    ws.title = "指标"
    subtitle = f"统计期间：{period.label}　环比：{context['previous'].label}　同比：{context['year_earlier'].label}"
    write_table_sheet(
        ws,
        title="政务服务好差评综合分析",
        subtitle=subtitle,
        first_header="指标",
        columns=[
            ("本期", "value", False),
            ("上期（环比）", "previous", False),
            ("去年同期（同比）", "year", False),
            ("计算", "workings", False),
        ],
        rows=[_TileRow(f) for f in context["tiles"]],
        total=None,
        value=getattr,
        definitions=[(f.kpi.name, f.kpi.definition) for f in context["tiles"]],
    )
    if context["lines"]:
        units = wb.create_sheet("各单位")
        write_table_sheet(
            units,
            title="各单位指标",
            subtitle=subtitle,
            first_header="单位",
            columns=[(k.name, k.code, k.kind == "rate") for k in context["unit_columns"]],
            rows=[_LineRow(line) for line in context["lines"]],
            total=None,
            value=getattr,
            definitions=[(k.name, k.definition) for k in context["unit_columns"]],
        )
    buffer = BytesIO()
    wb.save(buffer)
    record_export(request, action="analytics:overview:exported", form=form, rows=len(context["lines"]))
    name = f"{period.first:%Y%m%d}-{period.last:%Y%m%d}"
    return xlsx_response(buffer.getvalue(), filename=f"综合分析_{name}.xlsx", fallback=f"analytics-{name}.xlsx")


class _TileRow:
    depth = 0

    def __init__(self, figure: Figure):
        self.name = figure.kpi.name
        self.value = figure.kpi.show(figure.value)
        self.previous = figure.kpi.show(figure.previous)
        self.year = figure.kpi.show(figure.year_earlier)
        self.workings = figure.workings


class _LineRow:
    def __init__(self, line: UnitLine):
        self.name = line.name
        self.depth = max(line.row.depth - 1, 0)
        for code, value in line.figures.items():
            setattr(self, code, round(value, 2) if isinstance(value, float) and value > 1 else value)


@console_page
@require_GET
def coverage_view(request, scope: Scope):
    """接入与覆盖: business systems' use, rating coverage of items, units and windows, devices."""
    require_qr_role(scope)
    form = AnalyticsForm(request.GET, scope=scope)
    period = form.get_period(timezone.localdate())
    slice_ = form.slice()
    result = coverage(scope, slice_, period)
    context = {
        "nav": "analytics_coverage",
        "form": form,
        "period": period,
        "quick": _quick_periods(form),
        "coverage": result,
        "now": timezone.now(),
        "ratios": {
            "items": _share(result.items),
            "units": _share(result.units),
            "windows": _share(result.windows),
        },
    }
    return render(request, "analytics/coverage.html", context)


def _share(pair: tuple[int, int]) -> float | None:
    return pair[1] / pair[0] if pair[0] else None


@console_page
@require_POST
def refresh(request, scope: Scope):
    """立即刷新: bring the rollups up to date now instead of waiting for the minute job."""
    result = rollup_refresh()
    audit_record(actor=Actor.for_user(request.user), action="analytics:rollups:refreshed",
                 data={"days": result.days, "partitions": result.partitions})  # fmt: skip
    messages.success(request, f"统计数据已刷新（{result.days} 天的汇总已重新计算）。")
    target = request.POST.get("next", "")
    return redirect(target if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}) and
                    target.startswith("/console/") else "console:analytics_overview")  # fmt: skip


class _Cells:
    """A row of a plain table for ``write_table_sheet``."""

    depth = 0

    def __init__(self, name: str, **values):
        self.name = name
        self.__dict__.update(values)


@console_page
@require_GET
def coverage_export(request, scope: Scope):
    """接入与覆盖 as Excel: the systems, and what was served but never rated."""
    require_qr_role(scope)
    form = AnalyticsForm(request.GET, scope=scope)
    period = form.get_period(timezone.localdate())
    result = coverage(scope, form.slice(), period)
    now = timezone.now()
    subtitle = f"统计期间：{period.label}（{period.first:%Y-%m-%d} 至 {period.last:%Y-%m-%d}）"
    wb = Workbook()
    ws = wb.active
    ws.title = "业务系统"
    write_table_sheet(
        ws,
        title="业务系统接入情况",
        subtitle=subtitle,
        first_header="系统名称",
        columns=[
            ("所属单位", "unit", False),
            ("状态", "status", False),
            ("最近调用", "seen", False),
            ("推送服务", "services", False),
            ("已评价", "rated", False),
            ("评价率", "rate", True),
            ("经该系统提交的评价", "ratings", False),
        ],
        rows=[
            _Cells(
                r.system.name,
                unit=r.system.unit.name if r.system.unit else "全区",
                status=r.status(now),
                seen=f"{timezone.localtime(r.system.last_seen_at):%Y-%m-%d %H:%M}" if r.system.last_seen_at else "—",
                services=r.services,
                rated=r.rated,
                rate=r.rating_rate,
                ratings=r.ratings,
            )
            for r in result.systems
        ],
        total=None,
        value=getattr,
        definitions=[
            ("评价率", "该系统推送的服务中已评价的 ÷ 推送的服务。"),
            ("状态", f"从未调用为“未接入”；{QUIET_DAYS} 天以上无调用单独标出。"),
        ],
    )
    gaps = wb.create_sheet("有服务无评价")
    rows = [_Cells(g.name, kind="事项", detail=g.detail, services=g.services) for g in result.item_gaps]
    rows += [_Cells(g.name, kind="单位", detail="", services=g.services) for g in result.unit_gaps]
    rows += [_Cells(g.name, kind="窗口", detail=g.detail, services=g.services) for g in result.window_gaps]
    write_table_sheet(
        gaps,
        title="有服务无评价的事项、单位和窗口",
        subtitle=subtitle,
        first_header="名称",
        columns=[("类型", "kind", False), ("所属/实施单位", "detail", False), ("服务", "services", False)],
        rows=rows,
        total=None,
        value=getattr,
        definitions=[("说明", "统计期间有服务、但没有任何评价的事项、单位和窗口，按服务量排序，每类最多 50 项。")],
    )
    buffer = BytesIO()
    wb.save(buffer)
    record_export(request, action="analytics:coverage:exported", form=form, rows=len(result.systems) + len(rows))
    name = f"{period.first:%Y%m%d}-{period.last:%Y%m%d}"
    return xlsx_response(buffer.getvalue(), filename=f"接入与覆盖_{name}.xlsx", fallback=f"coverage-{name}.xlsx")
