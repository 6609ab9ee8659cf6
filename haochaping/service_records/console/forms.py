"""The filter bar of the service-record list."""

from __future__ import annotations

from django import forms

from haochaping.core.pages.filters import ListFilterForm


class RecordFilterForm(ListFilterForm):
    project_no = forms.CharField(label="办件编号", required=False, max_length=50)
    # The slices of the analytics pages (their figures drill down to these services).
    window_code = forms.CharField(label="窗口编码", required=False, max_length=40)
    staff_no = forms.CharField(label="工号", required=False, max_length=32)
    item_code = forms.CharField(label="事项编码", required=False, max_length=24)
    field_order = ["unit", "project_no", "date_from", "date_to"]

    def __init__(self, data, *, units):
        super().__init__(data, units=units)
        self.fields["project_no"].widget.attrs["placeholder"] = "精确匹配"
        self.fields["date_from"].label = "接收日期起"
        self.fields["date_to"].label = "接收日期止"
