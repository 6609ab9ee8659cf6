"""The analytics filter bar: a period (day … year or a range) and a slice (unit subtree, window,
staff member, item, channel, source system), all checked against the caller's scope."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django import forms

from haochaping.analytics.kpis import Slice
from haochaping.analytics.periods import KINDS, Period
from haochaping.core.errors import NotFound
from haochaping.core.pages.filters import DateInput, GetFilterForm, check_date_range, unit_choices
from haochaping.core.pages.forms import FastSelect
from haochaping.evaluations.choices import Channel
from haochaping.organizations.models import BusinessSystem, Staff, Unit, Window
from haochaping.organizations.selectors import Scope, unit_list
from haochaping.service_records.models import ServiceItem

PERIOD_CHOICES = [(kind, label) for kind, label in KINDS.items()]


class AnalyticsForm(GetFilterForm):
    period = forms.ChoiceField(label="统计周期", choices=PERIOD_CHOICES, required=False)
    on = forms.DateField(label="日期", required=False, widget=DateInput(), help_text="所选周期内的任一天")
    date_from = forms.DateField(label="起始日期", required=False, widget=DateInput())
    date_to = forms.DateField(label="截止日期", required=False, widget=DateInput())
    unit = forms.ChoiceField(label="单位", required=False, widget=FastSelect)
    channel = forms.TypedChoiceField(
        label="评价渠道", required=False, coerce=int, empty_value=None, choices=[("", "全部渠道"), *Channel.choices]
    )
    system = forms.TypedChoiceField(label="业务系统", required=False, coerce=int, empty_value=None)
    window = forms.IntegerField(required=False, widget=forms.HiddenInput())
    staff = forms.IntegerField(required=False, widget=forms.HiddenInput())
    item = forms.IntegerField(required=False, widget=forms.HiddenInput())

    # What a filter narrows to, as shown in the "已筛选" line: (field, label, object)
    narrowing: list[tuple[str, str, str]]

    def __init__(self, data, *, scope: Scope, default_kind: str = "month", **kwargs):
        super().__init__(data, **kwargs)
        self.scope = scope
        self.default_kind = default_kind
        self.units = list(unit_list(scope=scope).order_by("path"))
        self.fields["unit"].choices = unit_choices(self.units, everything="本单位及下级（全部）")
        systems = BusinessSystem.objects.order_by("name")
        self.fields["system"].choices = [("", "全部系统")] + [(s.pk, s.name) for s in systems]
        self.narrowing = []

    def clean(self):
        cleaned = super().clean()
        check_date_range(self, cleaned, max_years=3)
        return cleaned

    def get_period(self, today: dt.date) -> Period:
        values = self.values()
        kind = values.get("period") or self.default_kind
        if kind == "range":
            first, last = values.get("date_from"), values.get("date_to")
            if first and last:
                return Period.between(first, last)
            kind = self.default_kind
        return Period.of(kind, values.get("on") or today)

    def slice(self) -> Slice:
        """The slice asked for, inside the scope; another unit's id or code is a 404."""
        values = self.values()
        unit_path = self.scope.unit_path
        code = values.get("unit")
        if code:
            unit = next((u for u in self.units if u.code == code), None)
            if unit is None:
                raise NotFound("单位不存在或不在您的管理范围内")
            unit_path = unit.path
            self.narrowing.append(("unit", "单位", unit.name))
        narrowed = {}
        lookups = {"window": (Window, "窗口"), "staff": (Staff, "工作人员"), "item": (ServiceItem, "事项")}
        for name, (model, label) in lookups.items():
            pk = values.get(name)
            if pk is None:
                continue
            obj = model.objects.filter(pk=pk).first()
            if obj is None or not self._in_scope(name, obj):
                raise NotFound(f"{label}不存在或不在您的管理范围内")
            narrowed[f"{name}_id"] = pk
            self.narrowing.append((name, label, str(getattr(obj, "name", obj))))
        if values.get("channel") is not None:
            narrowed["channel"] = values["channel"]
            self.narrowing.append(("channel", "评价渠道", Channel(values["channel"]).label))
        if values.get("system") is not None:
            narrowed["system_id"] = values["system"]
            self.narrowing.append(("system", "业务系统", dict(self.fields["system"].choices).get(values["system"], "")))
        if self.scope.staff_id is not None:  # a window clerk sees their own figures only
            narrowed["staff_id"] = self.scope.staff_id
        return Slice(unit_path=unit_path, **narrowed)

    def _in_scope(self, name: str, obj) -> bool:
        if name == "window":
            return obj.unit.path.startswith(self.scope.unit_path) or (
                obj.department_id is not None and obj.department.path.startswith(self.scope.unit_path)
            )
        if name == "item":
            return True  # items are a public catalogue; the figures are scoped by unit anyway
        if self.scope.staff_id is not None and obj.pk != self.scope.staff_id:
            return False
        return obj.unit.path.startswith(self.scope.unit_path)

    def query(self, **changes) -> str:
        """This form's valid values as a query string, with ``changes`` applied (None drops one)."""
        values = {k: v for k, v in self.values().items() if v is not None}
        values.update(changes)
        return urlencode({k: (f"{v:%Y-%m-%d}" if isinstance(v, dt.date) else v) for k, v in values.items()
                          if v is not None and v != ""})  # fmt: skip


def unit_by_code(scope: Scope, code: str) -> Unit:
    unit = Unit.objects.filter(code=code, path__startswith=scope.unit_path).first()
    if unit is None:
        raise NotFound("单位不存在或不在您的管理范围内")
    return unit


REPORT_KINDS = [("month", "月度"), ("quarter", "季度"), ("year", "年度"), ("range", "自定义区间")]


class ReportGenerateForm(forms.Form):
    """生成通报: a month (default: last month), quarter, year or any range, for a unit subtree."""

    kind = forms.ChoiceField(label="统计周期", choices=REPORT_KINDS, initial="month")
    on = forms.DateField(label="日期", required=False, widget=DateInput(), help_text="所选周期内的任一天")
    date_from = forms.DateField(label="起始日期", required=False, widget=DateInput())
    date_to = forms.DateField(label="截止日期", required=False, widget=DateInput())
    unit = forms.ChoiceField(label="单位", widget=FastSelect)

    def __init__(self, data=None, *, scope: Scope, today: dt.date, **kwargs):
        super().__init__(data, **kwargs)
        self.units = list(unit_list(scope=scope).order_by("path"))
        self.fields["unit"].choices = unit_choices(self.units)[1:]
        self.fields["on"].initial = Period.of("month", today).previous().first
        if self.units:
            self.fields["unit"].initial = self.units[0].code

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == "range":
            first, last = cleaned.get("date_from"), cleaned.get("date_to")
            if not first or not last:
                raise forms.ValidationError("自定义区间请填写起始日期和截止日期")
            try:
                Period.between(first, last)
            except ValueError as exc:
                self.add_error("date_to", str(exc))
        elif not cleaned.get("on"):
            self.add_error("on", "请选择统计周期内的任一天")
        return cleaned

    def period(self) -> Period:
        data = self.cleaned_data
        if data["kind"] == "range":
            return Period.between(data["date_from"], data["date_to"])
        return Period.of(data["kind"], data["on"])

    def unit_obj(self) -> Unit:
        return next(u for u in self.units if u.code == self.cleaned_data["unit"])


class TemplateUploadForm(forms.Form):
    file = forms.FileField(
        label="新模板（.docx）", help_text="用 Word 或 WPS 编辑下载的模板后上传；上传前会用示例数据试生成，失败则不替换"
    )
