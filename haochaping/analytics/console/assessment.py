"""考核: the assessment score (考核得分) of the units below a subtree or of its staff members for a
month (any period works), ranked, with the workings per row and the weights; the per-person
monthly staff assessment export (通知 三(四): results feed staff assessment and annual review).

Window clerks see their own line only, ranked among the staff of their unit."""

from __future__ import annotations

from io import BytesIO

from django import forms
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from openpyxl import Workbook
from openpyxl.styles import Font

from haochaping.analytics.assessment import ENTITIES, Assessment, assessment, weight_table
from haochaping.analytics.console.forms import AnalyticsForm
from haochaping.analytics.console.overview import _quick_periods
from haochaping.analytics.kpis import Slice
from haochaping.analytics.periods import Period
from haochaping.core.pages.downloads import xlsx_response
from haochaping.core.pages.excel import write_table_sheet
from haochaping.organizations.pages import console_page, record_export
from haochaping.organizations.selectors import Scope

FORMULA = (
    "考核得分 = Σ 各指标权重 × 指标标准化值 ÷ 100。比率类指标的标准化值为比率 × 100（差评率等越低越好的指标为"
    "（1 − 比率）× 100），满意度得分直接取 0–100 分。某项指标本期无数据（如无差评工单）时不计分，其权重按比例分给"
    "其他有数据的指标，满分仍为 100 分；计算过程逐项列明。"
)


class AssessmentForm(AnalyticsForm):
    entity = forms.ChoiceField(label="考核对象", choices=list(ENTITIES.items()), required=False)

    field_order = ["entity", "period", "on", "date_from", "date_to", "unit"]

    def __init__(self, data, **kwargs):
        super().__init__(data, **kwargs)
        for name in ("channel", "system", "window", "staff", "item"):
            del self.fields[name]
        if self.scope.staff_id is not None:  # a clerk is assessed as a staff member only
            self.fields["entity"].choices = [("staff", ENTITIES["staff"])]


def _assessment(request, scope: Scope) -> tuple[AssessmentForm, Period, str, list[Assessment]]:
    form = AssessmentForm(request.GET, scope=scope)
    period = form.get_period(timezone.localdate())
    slice_ = form.slice()
    entity = form.values().get("entity") or "unit"
    if scope.staff_id is not None:
        # Ranked among the staff of the clerk's unit; only the clerk's own line is shown.
        rows = [r for r in assessment(Slice(slice_.unit_path), period, entity="staff") if r.key == scope.staff_id]
        return form, period, "staff", rows
    return form, period, entity, assessment(slice_, period, entity=entity)


@console_page
@require_GET
def assessment_view(request, scope: Scope):
    form, period, entity, rows = _assessment(request, scope)
    weights = weight_table(entity)
    context = {
        "nav": "analytics_assessment",
        "form": form,
        "period": period,
        "entity": entity,
        "entity_name": ENTITIES[entity],
        "rows": rows,
        "weights": weights,
        "weight_codes": [kpi.code for kpi, _ in weights],
        "formula": FORMULA,
        "quick": _quick_periods(form),
    }
    return render(request, "analytics/assessment.html", context)


class _Row:
    depth = 0

    def __init__(self, row: Assessment):
        self.name = row.name
        self.cells: dict[str, object] = {
            "staff_no": row.staff_no,
            "unit": row.unit,
            "total": round(row.total, 2) if row.total is not None else None,
            "rank": row.rank if row.rank is not None else "无数据",
        }
        for line in row.lines:
            self.cells[f"{line.code}.value"] = line.value
            self.cells[f"{line.code}.weight"] = round(line.applied_weight, 2) if line.points is not None else 0
            self.cells[f"{line.code}.points"] = round(line.points, 2) if line.points is not None else None


@console_page
@require_GET
def assessment_export(request, scope: Scope):
    form, period, entity, rows = _assessment(request, scope)
    weights = weight_table(entity)
    wb = Workbook()
    ws = wb.active
    ws.title = "考核得分"
    columns: list[tuple[str, str, bool]] = []
    if entity == "staff":
        columns += [("工号", "staff_no", False), ("所属单位", "unit", False)]
    for kpi, weight in weights:
        columns += [
            (kpi.name, f"{kpi.code}.value", False),
            (f"{kpi.name}权重（{weight}）", f"{kpi.code}.weight", False),
            (f"{kpi.name}得分", f"{kpi.code}.points", False),
        ]
    columns += [("考核得分", "total", False), ("名次", "rank", False)]
    definitions = [("计算方法", FORMULA)] + [
        (f"{kpi.name}（权重 {weight}）", kpi.definition) for kpi, weight in weights
    ]
    write_table_sheet(
        ws,
        title=f"{ENTITIES[entity]}考核得分",
        subtitle=f"考核期间：{period.label}（{period.first:%Y-%m-%d} 至 {period.last:%Y-%m-%d}）",
        first_header="姓名" if entity == "staff" else "单位",
        columns=columns,
        rows=[_Row(row) for row in rows],
        total=None,
        value=lambda row, key: row.cells.get(key),
        definitions=definitions,
    )
    workings = wb.create_sheet("计算过程")
    headers = [
        "姓名" if entity == "staff" else "单位",
        "工号",
        "指标",
        "指标值",
        "计算",
        "设定权重",
        "实际权重",
        "标准化值",
        "得分",
        "说明",
    ]
    workings.append(headers)
    for cell in workings[1]:
        cell.font = Font(bold=True)
    for row in rows:
        for line in row.lines:
            workings.append(
                [
                    row.name,
                    row.staff_no,
                    line.name,
                    line.value,
                    line.workings,
                    line.weight,
                    round(line.applied_weight, 2) if line.points is not None else 0,
                    round(line.normalised, 2) if line.normalised is not None else None,
                    round(line.points, 2) if line.points is not None else None,
                    line.note,
                ]
            )
        workings.append(
            [
                row.name,
                row.staff_no,
                "考核得分",
                None,
                None,
                100,
                None,
                None,
                round(row.total, 2) if row.total is not None else None,
                f"第 {row.rank} 名" if row.rank is not None else "本期无数据，不排名",
            ]
        )
    workings.append([])
    workings.append(["指标说明"])
    for term, text in definitions:
        workings.append([term, None, text])
    for col, width in zip("ABCDEFGHIJ", (24, 10, 14, 10, 14, 9, 9, 9, 9, 60), strict=True):
        workings.column_dimensions[col].width = width
    buffer = BytesIO()
    wb.save(buffer)
    record_export(request, action="analytics:assessment:exported", form=form, rows=len(rows))
    name = f"{entity}-{period.first:%Y%m%d}-{period.last:%Y%m%d}"
    return xlsx_response(buffer.getvalue(), filename=f"考核得分_{name}.xlsx", fallback=f"assessment-{name}.xlsx")
