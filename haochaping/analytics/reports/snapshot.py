"""The data of a 通报: every figure, table and sentence, as one JSON-ready dict (the snapshot).

Read from the rollups only (``kpis.counts`` for the period, the one before and the year before;
``ranking`` for the per-unit table, one grouped query per rollup table; ``counts_by(day)`` for
the trend): no raw rating, case or demand table is scanned, so a month of a million ratings
costs the same handful of aggregate queries over at most (days × units × dimensions) rollup
rows. The only other reads are the unit tree and, when that module is present, the key
supervision targets (``analytics.selectors.supervision``).

Numbers are stored both raw (``value``) and as printed (``display``), so that the page, the
Word document and the Excel appendix print exactly the same text.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings

from haochaping.analytics.figures import TILES, figures_of
from haochaping.analytics.kpis import Counts, Kpi, Slice, counts, counts_by, kpi_list
from haochaping.analytics.periods import Period
from haochaping.analytics.ranking import ranking
from haochaping.analytics.selectors.supervision import supervision_targets_for
from haochaping.evaluations.choices import Level
from haochaping.insight.integrity_report import section as integrity_section
from haochaping.insight.models import SupervisionKind
from haochaping.insight.problems.report import section as common_problems_section
from haochaping.insight.report import attribution_section
from haochaping.insight.selectors import supervision_record_counts
from haochaping.organizations.models import Role, Unit
from haochaping.organizations.selectors import Scope

logger = logging.getLogger(__name__)

SCHEMA = 1
# 存在问题: how many units a sentence names; a 好评率 drop (percentage points) worth mentioning;
# a 评价率 below which it is called low.
PROBLEM_UNITS = 3
GOOD_RATE_DROP = 0.01
LOW_RATING_RATE = 0.5
NO_TARGETS = "本期无重点督办对象。"


def show_change(kpi: Kpi, value: float | None) -> str:
    if value is None:
        return "—"
    if abs(value) < 1e-9:
        return "持平"
    word = "上升" if value > 0 else "下降"
    if kpi.kind == "rate":
        return f"{word}{abs(value) * 100:.2f}个百分点"
    if kpi.kind == "score":
        return f"{word}{abs(value):.2f}分"
    return f"{'增加' if value > 0 else '减少'}{abs(value):,.0f}"


def organ_name(unit: Unit) -> str:
    """The issuing organ (红头): ``ANALYTICS_REPORT_ORGAN``, else the tree's root unit + 政务服务中心."""
    if settings.ANALYTICS_REPORT_ORGAN:
        return settings.ANALYTICS_REPORT_ORGAN
    root_code = unit.path.strip("/").split("/")[0]
    root = Unit.objects.filter(code=root_code).only("name").first() or unit
    return root.name if root.name.endswith("中心") else f"{root.name}政务服务中心"


def report_title(period: Period) -> str:
    return f"关于{period.label}政务服务“好差评”情况的通报"


def _area(unit: Unit) -> str:
    return "全区" if unit.parent_id is None else unit.name


def _units(slice_: Slice, period: Period) -> tuple[dict[str, Any], list]:
    table = ranking(slice_, period, entity="unit", kpi_code="score")
    kpis = {k.code: k for k in kpi_list()}
    rows = []
    for row in table.rows:
        c = row.counts
        rows.append(
            {
                "code": row.code,
                "rank": str(row.rank) if row.rank is not None else "—",
                "name": row.name,
                "services": f"{c.services:,}",
                "ratings": f"{c.ratings:,}",
                "good_rate": kpis["good_rate"].show(kpis["good_rate"].value(c)),
                "bad": f"{c.bad:,}",
                "bad_rate": kpis["bad_rate"].show(kpis["bad_rate"].value(c)),
                "score": kpis["score"].show(kpis["score"].value(c)),
                "adjusted": kpis["score"].show(row.adjusted),
            }
        )
    ranked = [r for r in table.rows if r.rank is not None]
    if ranked:
        best, worst = ranked[0], ranked[-1]
        summary = (
            f"按满意度得分排名（样本量不少于 {table.min_sample} 条有效评价的单位参与排名），"
            f"共 {len(ranked)} 个单位参与排名，{best.name}居首位（{kpis['score'].show(best.value)}分）"
            + (f"，{worst.name}居末位（{kpis['score'].show(worst.value)}分）" if worst is not best else "")
            + "。"
        )
    else:
        summary = f"本期各单位有效评价均不足 {table.min_sample} 条，暂不排名，各单位评价情况见表2。"
    if table.unranked and ranked:
        summary += f"另有 {len(table.unranked)} 个单位样本量不足，列于表末、不参与排名。"
    method = f"注：{kpis['score'].name}：{kpis['score'].definition}{table.method}"
    return {"summary": summary, "method": method, "rows": rows}, table.rows


def _tiles(now: Counts, before: Counts, year: Counts) -> list[dict[str, Any]]:
    return [
        {
            "code": f.kpi.code,
            "name": f.kpi.name,
            "definition": f.kpi.definition,
            "value": f.value,
            "display": f.kpi.show(f.value),
            "previous": f.previous,
            "previous_display": f.kpi.show(f.previous),
            "vs_previous": show_change(f.kpi, f.vs_previous),
            "year": f.year_earlier,
            "year_display": f.kpi.show(f.year_earlier),
            "vs_year": show_change(f.kpi, f.vs_year),
        }
        for f in figures_of(now, before, year)
    ]


def _overall_summary(area: str, period: Period, tiles: dict[str, dict[str, Any]], now: Counts) -> str:
    t = tiles
    text = (
        f"{period.label}，{area}共记录政务服务{t['services']['display']}次，收到评价{t['ratings']['display']}条"
        f"（其中有效评价{now.valid:,}条、无效评价{now.invalid:,}条），评价率{t['rating_rate']['display']}，"
        f"好评{now.good:,}条、好评率{t['good_rate']['display']}，差评{now.bad:,}条、差评率{t['bad_rate']['display']}，"
        f"满意度得分{t['score']['display']}分。"
    )
    if t["good_rate"]["previous"] is not None:
        text += f"好评率环比{t['good_rate']['vs_previous']}"
        text += f"，同比{t['good_rate']['vs_year']}。" if t["good_rate"]["year"] is not None else "。"
    return text


def _rectification(now: Counts, tiles: dict[str, dict[str, Any]], unit_rows: list) -> dict[str, Any]:
    kpis = {k.code: k for k in kpi_list()}
    summary = (
        f"本期产生差评工单{now.cases:,}件，其中认定无效评价{now.invalidated:,}件，已整改{now.rectified:,}件，"
        f"差评整改率{tiles['rectify_rate']['display']}，按期整改率{tiles['on_time_rate']['display']}；"
        f"逾期未整改{now.overdue_open:,}件，申请延期{now.extended:,}件，升级督办{now.escalated:,}件，"
        f"重新整改{now.reopened:,}件。"
    )
    rows = [
        {
            "name": r.name,
            "cases": f"{r.counts.cases:,}",
            "rectified": f"{r.counts.rectified:,}",
            "rectify_rate": kpis["rectify_rate"].show(kpis["rectify_rate"].value(r.counts)),
            "on_time_rate": kpis["on_time_rate"].show(kpis["on_time_rate"].value(r.counts)),
            "overdue_open": f"{r.counts.overdue_open:,}",
        }
        for r in unit_rows
    ]
    return {"summary": summary, "rows": rows}


def _outreach(now: Counts, tiles: dict[str, dict[str, Any]], unit_rows: list) -> dict[str, Any]:
    kpis = {k.code: k for k in kpi_list()}
    summary = (
        f"本期受理诉求（含咨询、投诉和意见建议）{now.demands:,}件，已答复{now.demands_replied:,}件，"
        f"诉求按期答复率{tiles['demand_on_time_rate']['display']}，超期{now.demands_late:,}件；"
        f"应回访{now.callbacks_required:,}次，已回访{now.callbacks_done:,}次，回访率{tiles['callback_rate']['display']}，"
        f"差评整改满意率{tiles['rectify_satisfaction']['display']}。"
    )
    rows = [
        {
            "name": r.name,
            "callbacks_required": f"{r.counts.callbacks_required:,}",
            "callbacks_done": f"{r.counts.callbacks_done:,}",
            "callback_rate": kpis["callback_rate"].show(kpis["callback_rate"].value(r.counts)),
            "demands": f"{r.counts.demands:,}",
            "demand_on_time_rate": kpis["demand_on_time_rate"].show(kpis["demand_on_time_rate"].value(r.counts)),
        }
        for r in unit_rows
    ]
    return {"summary": summary, "rows": rows}


def _supervision(unit: Unit, period: Period) -> dict[str, Any]:
    """The key supervision targets (R22) of the period: the 重点督办 marks made for it and those
    still active from before (``selectors.supervision_targets_for``)."""
    scope = Scope(unit_path=unit.path, role=Role.SUPERVISOR)
    rows = [
        {
            "name": t["name"],
            "kind": t["kind_label"] + ("（列入通报）" if t["for_notice"] else ""),
            "unit": t["unit"],
            "reason": f"{t['rule_label']}：{t['evidence']}" if t["evidence"] else t["rule_label"],
            "deadline": f"{t['deadline']:%Y年%-m月%-d日}" if t.get("deadline") else "—",
        }
        for t in supervision_targets_for(scope, period)
    ]
    summary = f"根据评价结果，以下{len(rows)}个对象列为重点督办对象，限期整改。" if rows else NO_TARGETS
    records = _supervision_records(unit, period)
    return {"available": True, "summary": f"{summary}{records['text']}", "rows": rows, "records": records}


def _supervision_records(unit: Unit, period: Period) -> dict[str, Any]:
    """The supervision records (制度第十条: 抽查、档案核查、明察暗访、回访核实) held in the
    period in the unit's subtree (``insight.selectors.supervision_record_counts``), as counts and
    one sentence appended to the section's summary (so the page, the Word document and the Excel
    appendix all carry it without a template change)."""
    counts = supervision_record_counts(unit.path, period.first, period.last)
    if not counts["total"]:
        return {"counts": counts, "text": "本期未开展督查检查。"}
    kinds = "、".join(f"{kind.label}{counts[kind.value]}次" for kind in SupervisionKind if counts[kind.value])
    text = f"本期开展督查检查{counts['total']}次（{kinds}）"
    if counts["sampled"]:
        text += f"，抽查差评工单{counts['sampled']}件、不合格{counts['failed']}件"
    if counts["followups"]:
        text += f"，提出整改要求{counts['followups']}项、尚未完成{counts['followups_open']}项"
    return {"counts": counts, "text": text + "。"}


def _join(names: list[str]) -> str:
    return "、".join(names)


def _problems(tiles: dict[str, dict[str, Any]], now: Counts, unit_rows: list) -> list[str]:
    """Rule-based sentences on what went wrong (the data, not opinions)."""
    kpis = {k.code: k for k in kpi_list()}
    problems: list[str] = []
    bad_rate = kpis["bad_rate"]
    bad_units = sorted(
        (r for r in unit_rows if r.counts.bad > 0 and r.counts.valid > 0),
        key=lambda r: (-(bad_rate.value(r.counts) or 0), -r.counts.bad, r.name),
    )[:PROBLEM_UNITS]
    if bad_units:
        named = [
            f"{r.name}（差评率{bad_rate.show(bad_rate.value(r.counts))}，差评{r.counts.bad}条）" for r in bad_units
        ]
        problems.append(f"部分单位差评率偏高。差评率较高的单位有：{_join(named)}。")
    if now.overdue_open:
        late = [f"{r.name}{r.counts.overdue_open}件" for r in unit_rows if r.counts.overdue_open]
        problems.append(
            f"差评整改不够及时。截至统计时仍有{now.overdue_open}件差评工单逾期未整改"
            + (f"，其中{_join(late)}" if late else "")
            + "。"
        )
    callback = kpis["callback_rate"]
    slow = sorted(
        (r for r in unit_rows if r.counts.callbacks_required and r.counts.callbacks_done < r.counts.callbacks_required),
        key=lambda r: (callback.value(r.counts) or 0, r.name),
    )[:PROBLEM_UNITS]
    if slow:
        named = [f"{r.name}（回访率{callback.show(callback.value(r.counts))}）" for r in slow]
        problems.append(f"回访工作有待加强。回访率较低的单位有：{_join(named)}。")
    if now.demands_late:
        problems.append(f"诉求办理存在超期。本期有{now.demands_late}件诉求超期答复或逾期未答复。")
    good = tiles["good_rate"]
    if (
        good["value"] is not None
        and good["previous"] is not None
        and good["value"] <= good["previous"] - GOOD_RATE_DROP
    ):
        problems.append(f"服务满意度有所下降。好评率环比{good['vs_previous']}。")
    rating_rate = tiles["rating_rate"]
    if now.services and rating_rate["value"] is not None and rating_rate["value"] < LOW_RATING_RATE:
        problems.append(f"评价覆盖面不够广。本期评价率为{rating_rate['display']}，部分办件未获评价，主动评价引导不足。")
    return problems or ["本期未发现突出问题。"]


def build_snapshot(unit: Unit, period: Period, *, generated_at: dt.datetime) -> dict[str, Any]:
    """Every figure of the 通报 of ``unit``'s subtree for ``period`` (see the module doc)."""
    slice_ = Slice(unit_path=unit.path)
    now, before, year = counts(slice_, [period, period.previous(), period.year_earlier()])
    tiles = _tiles(now, before, year)
    by_code = {t["code"]: t for t in tiles}
    units, ranked_rows = _units(slice_, period)
    by_code_row = {r.code: r for r in ranked_rows}
    unit_rows = [by_code_row[code] for code in _tree_order(list(by_code_row))]
    area = _area(unit)
    days = []
    if period.days <= 92:
        by_day = counts_by(slice_, period, "day")
        score = next(k for k in kpi_list() if k.code == "score")
        every_day = (period.first + dt.timedelta(days=n) for n in range(period.days))
        days = [
            {"day": f"{day:%Y-%m-%d}", "ratings": c.ratings, "bad": c.bad, "score": score.show(score.value(c))}
            for day, c in ((day, by_day.get(day) or Counts()) for day in every_day)
        ]
    levels = [
        {
            "level": level,
            "label": Level(level).label,
            "count": now.level(level),
            "share": f"{now.level(level) / now.valid * 100:.1f}%" if now.valid else "—",
        }
        for level in sorted(Level.values, reverse=True)
    ]
    # The 评价质量 (rating-integrity) and 共性问题 (制度第十一条) sentences end section 五's summary,
    # as the supervision records' does: the page, the Word template and the Excel appendix carry
    # them unchanged.
    supervision, integrity = _supervision(unit, period), integrity_section(unit, period.first, period.last)
    common_problems = common_problems_section(unit, period.first, period.last)
    supervision["summary"] += integrity["text"] + common_problems["text"]
    return {
        "schema": SCHEMA,
        "organ": organ_name(unit),
        "unit": {"code": unit.code, "name": unit.name, "path": unit.path},
        "area": area,
        "period": {
            "kind": period.kind,
            "first": f"{period.first:%Y-%m-%d}",
            "last": f"{period.last:%Y-%m-%d}",
            "label": period.label,
            "previous": period.previous().label,
            "year_earlier": period.year_earlier().label,
        },
        "period_range": f"{period.first:%Y年%-m月%-d日}至{period.last:%Y年%-m月%-d日}",
        "title": report_title(period),
        "recipients": settings.ANALYTICS_REPORT_RECIPIENTS,
        "opening": (
            f"为深入推进政务服务“好差评”工作，持续提升政务服务水平，现将{period.label}{area}"
            "政务服务“好差评”情况通报如下："
        ),
        "appendix": f"{period.label}政务服务“好差评”情况数据附表（Excel）",
        "generated_text": f"{generated_at:%Y年%-m月%-d日 %H:%M}",
        "overall": {
            "summary": _overall_summary(area, period, by_code, now),
            "tiles": tiles,
            "levels": levels,
            "valid": now.valid,
            "good": now.good,
            "bad": now.bad,
        },
        "units": units,
        "rectification": _rectification(now, by_code, unit_rows),
        "outreach": _outreach(now, by_code, unit_rows),
        "supervision": supervision,
        "integrity": integrity,
        "common_problems": common_problems,
        # 差评归因 (insight.report): its sentence also closes "存在问题", so the page and the Word
        # document carry it without a template change; the Excel appendix has its own sheet.
        "attribution": (attribution := attribution_section(unit, period.first, period.last)),
        "problems": _problems(by_code, now, unit_rows) + ([attribution["summary"]] if attribution["bad"] else []),
        "days": days,
        "next_steps": [],  # filled from the rendered Word document (the template's own text)
    }


def _tree_order(codes: list[str]) -> list[str]:
    """The ranked units' codes in the unit tree's order (the tables other than the ranking)."""
    paths = dict(Unit.objects.filter(code__in=codes).values_list("code", "path"))
    return sorted((c for c in codes if c in paths), key=lambda c: paths[c])


def sample_snapshot() -> dict[str, Any]:
    """A snapshot with every key and a row in every table: an uploaded template must render it."""
    kpis = {k.code: k for k in kpi_list()}
    tile = {
        "code": "",
        "name": "示例",
        "definition": "",
        "value": 0.5,
        "display": "50.00%",
        "previous": 0.4,
        "previous_display": "40.00%",
        "vs_previous": "上升10.00个百分点",
        "year": None,
        "year_display": "—",
        "vs_year": "—",
    }
    unit_row = {
        "code": "X",
        "rank": "1",
        "name": "示例单位",
        "services": "10",
        "ratings": "8",
        "good_rate": "87.50%",
        "bad": "1",
        "bad_rate": "12.50%",
        "score": "80.00",
        "adjusted": "79.00",
    }
    return {
        "schema": SCHEMA,
        "organ": "示例政务服务中心",
        "unit": {"code": "X", "name": "示例单位", "path": "/X/"},
        "area": "全区",
        "period": {
            "kind": "month",
            "first": "2026-01-01",
            "last": "2026-01-31",
            "label": "2026年1月",
            "previous": "2025年12月",
            "year_earlier": "2025年1月",
        },
        "period_range": "2026年1月1日至2026年1月31日",
        "title": report_title(Period.of("month", dt.date(2026, 1, 1))),
        "recipients": "区直各单位：",
        "opening": "现将情况通报如下：",
        "appendix": "数据附表",
        "generated_text": "2026年2月1日 08:00",
        "overall": {
            "summary": "示例。",
            "tiles": [dict(tile, code=c, name=kpis[c].name) for c in TILES],
            "levels": [{"level": 5, "label": "非常满意", "count": 1, "share": "100.0%"}],
            "valid": 1,
            "good": 1,
            "bad": 0,
        },
        "units": {"summary": "示例。", "method": "示例。", "rows": [unit_row]},
        "rectification": {
            "summary": "示例。",
            "rows": [
                {
                    "name": "示例单位",
                    "cases": "1",
                    "rectified": "1",
                    "rectify_rate": "100.00%",
                    "on_time_rate": "100.00%",
                    "overdue_open": "0",
                }
            ],
        },
        "outreach": {
            "summary": "示例。",
            "rows": [
                {
                    "name": "示例单位",
                    "callbacks_required": "1",
                    "callbacks_done": "1",
                    "callback_rate": "100.00%",
                    "demands": "1",
                    "demand_on_time_rate": "100.00%",
                }
            ],
        },
        "common_problems": {
            "detected": 1,
            "opened": 1,
            "closed": 1,
            "double_zero": 1,
            "rows": [
                {
                    "number": "GX20260101000001",
                    "title": "示例问题",
                    "unit": "示例单位",
                    "state": "办结",
                    "cases": "1/1",
                    "double_zero": "已双归零",
                }
            ],
            "text": "本期检测发现共性问题线索1条。",
        },
        "supervision": {
            "available": True,
            "summary": "示例。本期开展督查检查1次（抽查1次）。",
            "records": {
                "counts": {
                    **{kind.value: 0 for kind in SupervisionKind},
                    "spot_check": 1,
                    "total": 1,
                    "sampled": 1,
                    "failed": 0,
                    "followups": 0,
                    "followups_open": 0,
                },
                "text": "本期开展督查检查1次（抽查1次）。",
            },
            "rows": [
                {
                    "name": "示例窗口",
                    "kind": "窗口",
                    "unit": "示例单位",
                    "reason": "差评率偏高",
                    "deadline": "2026年2月28日",
                }
            ],
        },
        "problems": ["示例问题。"],
        "days": [{"day": "2026-01-01", "ratings": 1, "bad": 0, "score": "100.00"}],
        "next_steps": [],
    }
