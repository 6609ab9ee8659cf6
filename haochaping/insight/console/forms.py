"""Forms of the supervision-record pages (督查记录)."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from haochaping.core.pages.filters import DateInput, GetFilterForm, check_date_range, unit_choices
from haochaping.core.pages.forms import FastSelect
from haochaping.insight.models import SupervisionKind
from haochaping.insight.services import MAX_SAMPLE


class RecordFilterForm(GetFilterForm):
    kind = forms.ChoiceField(label="类别", required=False)
    unit = forms.ChoiceField(label="单位", required=False, widget=FastSelect)
    date_from = forms.DateField(label="督查日期起", required=False, widget=DateInput())
    date_to = forms.DateField(label="督查日期止", required=False, widget=DateInput())
    open_followups = forms.BooleanField(label="仅看未完成整改", required=False)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "全部类别"), *SupervisionKind.choices]
        self.fields["unit"].choices = unit_choices(units)

    def clean(self):
        cleaned = super().clean()
        check_date_range(self, cleaned)
        return cleaned


class RecordForm(forms.Form):
    kind = forms.ChoiceField(label="督查类别", choices=SupervisionKind.choices)
    unit = forms.ChoiceField(label="被督查单位", widget=FastSelect)
    held_on = forms.DateField(label="督查日期", widget=DateInput())
    inspector = forms.CharField(label="督查人员", max_length=100)
    period_first = forms.DateField(label="抽查期间起（抽查）", required=False, widget=DateInput())
    period_last = forms.DateField(label="抽查期间止（抽查）", required=False, widget=DateInput())
    sample_size = forms.IntegerField(
        label="抽查样本数（抽查）", required=False, min_value=1, max_value=MAX_SAMPLE,
        help_text=f"从该单位在所选期间办结的差评工单中随机抽取，最多 {MAX_SAMPLE} 件",
    )  # fmt: skip
    findings = forms.CharField(label="督查发现", required=False, widget=forms.Textarea(attrs={"rows": 4}))
    followup_required = forms.CharField(
        label="整改要求", required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="没有整改要求可不填"
    )
    followup_due = forms.DateField(label="整改期限", required=False, widget=DateInput())

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = unit_choices(units, everything="请选择单位")
        self.fields["held_on"].initial = timezone.localdate()
