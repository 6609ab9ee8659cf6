"""Forms of the attribution pages (差评归因分析)."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from haochaping.core.pages.filters import DateInput, GetFilterForm, unit_choices
from haochaping.core.pages.forms import FastSelect
from haochaping.evaluations.choices import Dimension
from haochaping.insight.attribution.selectors import PERIOD_KINDS
from haochaping.insight.models import CauseSource


class AttributionFilterForm(GetFilterForm):
    unit = forms.ChoiceField(label="单位", required=False, widget=FastSelect)
    kind = forms.ChoiceField(label="统计周期", required=False, choices=list(PERIOD_KINDS.items()))
    on = forms.DateField(label="所在日期", required=False, widget=DateInput())
    item = forms.TypedChoiceField(label="事项", required=False, coerce=int, empty_value=None, widget=FastSelect)
    window = forms.TypedChoiceField(label="窗口", required=False, coerce=int, empty_value=None, widget=FastSelect)
    staff = forms.TypedChoiceField(label="工作人员", required=False, coerce=int, empty_value=None, widget=FastSelect)

    def __init__(self, *args, units=(), items=(), windows=(), staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = unit_choices(units, everything="本单位（含下级）")
        self.fields["kind"].choices = [(k, f"按{v}") for k, v in PERIOD_KINDS.items()]
        self.fields["on"].widget.attrs["max"] = f"{timezone.localdate():%Y-%m-%d}"
        self.fields["item"].choices = [("", "全部事项"), *((i.pk, i.name) for i in items)]
        self.fields["window"].choices = [("", "全部窗口"), *((w.pk, w.name) for w in windows)]
        self.fields["staff"].choices = [("", "全部人员"), *((s.pk, f"{s.name}（{s.staff_no}）") for s in staff)]


class DrillFilterForm(AttributionFilterForm):
    dimension = forms.ChoiceField(label="维度", required=False)
    reason = forms.CharField(label="评价理由编码", required=False, max_length=20)
    term = forms.CharField(label="关键词", required=False, max_length=30)
    source = forms.ChoiceField(label="归因来源", required=False)
    cell = forms.IntegerField(label="下级单位", required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dimension"].choices = [("", "全部维度"), *Dimension.choices]
        self.fields["source"].choices = [("", "全部来源"), *CauseSource.choices]
