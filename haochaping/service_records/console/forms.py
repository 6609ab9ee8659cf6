"""The filter bar of the service-record list; the 事项 pages' filter bar and form."""

from __future__ import annotations

from django import forms

from haochaping.core.pages.filters import GetFilterForm, ListFilterForm, unit_choices
from haochaping.core.pages.forms import FastSelect
from haochaping.service_records.choices import ItemType
from haochaping.service_records.services import MAX_PROMISED_DAYS


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


ACTIVE_CHOICES = [("", "全部"), ("1", "启用"), ("0", "已停用")]
MODE_CHOICES = [("", "全部"), ("online", "可网办"), ("offline", "可窗口办理")]


class ItemFilterForm(GetFilterForm):
    """The filter bar of the 事项 list: department (with its subtree), type, channel, state, text."""

    unit = forms.ChoiceField(label="实施部门", required=False, widget=FastSelect)
    item_type = forms.ChoiceField(label="事项类型", required=False, choices=[("", "全部"), *ItemType.choices])
    mode = forms.ChoiceField(label="办理方式", required=False, choices=MODE_CHOICES)
    active = forms.ChoiceField(label="状态", required=False, choices=ACTIVE_CHOICES)
    q = forms.CharField(label="编码/名称", required=False, max_length=100)

    def __init__(self, data, *, units):
        super().__init__(data)
        self.fields["unit"].choices = unit_choices(units)
        self.fields["q"].widget.attrs["placeholder"] = "包含即可"


class ItemForm(forms.Form):
    """A 事项 (create and edit); the departments offered are the caller's subtree."""

    code = forms.CharField(
        label="实施编码", max_length=24, help_text="1–24 位字母和数字，全区唯一；业务系统推送办件时使用"
    )
    name = forms.CharField(label="事项名称", max_length=200)
    item_type = forms.ChoiceField(label="事项类型（GB/T 39046）", choices=[("", "请选择"), *ItemType.choices])
    department = forms.ChoiceField(label="实施部门", widget=FastSelect)
    online = forms.BooleanField(label="可网办", required=False, initial=True)
    offline = forms.BooleanField(label="可窗口办理", required=False, initial=True)
    promised_days = forms.IntegerField(
        label="承诺时限（工作日）", required=False, min_value=0, max_value=MAX_PROMISED_DAYS,
        help_text="0 表示即办；留空表示无承诺时限",
    )  # fmt: skip

    def __init__(self, data=None, *, departments, initial=None):
        super().__init__(data, initial=initial)
        self.departments = {str(u.pk): u for u in departments}
        top = min((u.depth for u in departments), default=0)
        self.fields["department"].choices = [("", "请选择实施部门")] + [
            (str(u.pk), "\u3000" * (u.depth - top) + u.name) for u in departments
        ]
        self.fields["code"].error_messages["required"] = "请填写实施编码"
        self.fields["name"].error_messages["required"] = "请填写事项名称"
        self.fields["item_type"].error_messages["required"] = "请选择事项类型"
        self.fields["department"].error_messages["required"] = "请选择实施部门"
        self.fields["promised_days"].error_messages.update(
            invalid="请填写整数", min_value="不能小于 0", max_value=f"不能大于 {MAX_PROMISED_DAYS}"
        )

    def clean(self):
        data = super().clean()
        data["department_obj"] = self.departments.get(data.get("department") or "")
        if data.get("department") and data["department_obj"] is None:
            self.add_error("department", "请选择您管理范围内的单位")
        if "online" in data and not (data.get("online") or data.get("offline")):
            self.add_error("online", "至少选择一种办理方式：可网办或可窗口办理")
        return data
