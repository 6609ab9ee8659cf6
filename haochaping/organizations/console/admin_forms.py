"""Forms of the administration pages (单位, 窗口, 工作人员, 账号): thin — what to offer (choices from
the caller's scope) and what was typed; every rule is in ``organizations.administration``, whose
errors land on these forms (``core.pages.forms.add_service_errors``)."""

from __future__ import annotations

from django import forms

from haochaping.core.pages.forms import FastSelect, ModelSelectField
from haochaping.organizations.administration.checks import PHOTO_MAX_BYTES
from haochaping.organizations.models import Role, Staff, Unit, UnitKind, Window


def _unit_name(obj: Window | Staff) -> str:
    return obj.unit.name


class UnitChoiceField(ModelSelectField):
    """Units in tree order, indented by depth, with their code."""

    label_fields = ("name", "code", "path")

    def label_from_instance(self, obj: Unit) -> str:
        return f"{'　' * max(obj.depth, 0)}{obj.name}（{obj.code}）"


class WindowChoiceField(ModelSelectField):
    """Windows grouped by the unit they are in (the queryset in that unit's order)."""

    widget = FastSelect(group_by=_unit_name)
    label_fields = ("name", "code", "unit__name")

    def label_from_instance(self, obj: Window) -> str:
        return f"{obj.name}（{obj.code}，{obj.unit.name}）"


class StaffChoiceField(ModelSelectField):
    """Staff grouped by their unit (the queryset in that unit's order)."""

    widget = FastSelect(group_by=_unit_name)
    label_fields = ("name", "staff_no", "unit__name")

    def label_from_instance(self, obj: Staff) -> str:
        return f"{obj.name}（{obj.staff_no}，{obj.unit.name}）"


def _text(label: str, max_length: int, *, required: bool = True, help_text: str = "", placeholder: str = ""):
    field = forms.CharField(label=label, max_length=max_length, required=required, help_text=help_text)
    if placeholder:
        field.widget.attrs["placeholder"] = placeholder
    return field


KIND_HELP = "部门、街道便民服务中心、社区便民服务点等"
DIVISION_HELP = "12 位统计用区划代码（如 410404001000），县级单位可填 6 位（如 410404），也可留空"


class UnitForm(forms.Form):
    """A new unit (``parents``: the active units of the caller's subtree)."""

    parent = UnitChoiceField(label="上级单位", queryset=Unit.objects.none(), empty_label="请选择上级单位")
    code = _text("单位编码", 40, help_text="字母、数字、“-”，保存后不能修改（业务系统推送办件时使用）",
                 placeholder="如 410404-SCJG")  # fmt: skip
    name = _text("单位名称", 100)
    kind = forms.ChoiceField(label="类型", choices=UnitKind.choices, initial=UnitKind.DEPARTMENT, help_text=KIND_HELP)
    division_code = _text("行政区划代码", 12, required=False, help_text=DIVISION_HELP)
    credit_code = _text("统一社会信用代码", 18, required=False, help_text="18 位，可留空")

    def __init__(self, data=None, *, parents, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["parent"].queryset = parents


class UnitEditForm(forms.Form):
    name = _text("单位名称", 100)
    kind = forms.ChoiceField(label="类型", choices=UnitKind.choices, help_text=KIND_HELP)
    division_code = _text("行政区划代码", 12, required=False, help_text=DIVISION_HELP)
    credit_code = _text("统一社会信用代码", 18, required=False, help_text="18 位，可留空")


class UnitMoveForm(forms.Form):
    parent = UnitChoiceField(label="新的上级单位", queryset=Unit.objects.none(), empty_label="请选择新的上级单位")

    def __init__(self, data=None, *, parents, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["parent"].queryset = parents


class WindowForm(forms.Form):
    """A window: where it is (``places``) and which department of the caller staffs it."""

    code = _text("窗口编码", 40, help_text="字母、数字、“-”，保存后不能修改（业务系统推送办件时使用）",
                 placeholder="如 CENTER-W21")  # fmt: skip
    name = _text("窗口名称", 100, placeholder="如 市场监管综合窗口")
    unit = UnitChoiceField(
        label="所在场所", queryset=Unit.objects.none(), empty_label="请选择窗口所在的大厅或便民服务中心/点"
    )
    department = UnitChoiceField(label="进驻部门", queryset=Unit.objects.none(), required=False,
                                 empty_label="无（场所自设的综合窗口）")  # fmt: skip

    def __init__(self, data=None, *, places, departments, editing: bool = False, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["unit"].queryset = places
        self.fields["department"].queryset = departments
        if editing:
            del self.fields["code"]


class StaffForm(forms.Form):
    staff_no = _text("工号", 32, help_text="字母、数字、“-”，保存后不能修改（业务系统推送办件时使用）")
    name = _text("姓名", 50)
    unit = UnitChoiceField(label="所属单位", queryset=Unit.objects.none(), empty_label="请选择所属单位")
    window = WindowChoiceField(label="常驻窗口", queryset=Window.objects.none(), required=False, empty_label="无",
                               help_text="窗口评价器待机时显示该窗口在岗人员的照片、姓名和工号")  # fmt: skip

    def __init__(self, data=None, *, units, windows, editing: bool = False, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["window"].queryset = windows
        if editing:
            del self.fields["staff_no"]


class StaffPhotoForm(forms.Form):
    photo = forms.FileField(
        label="照片",
        help_text=f"JPG、PNG、GIF 或 WebP 格式，不超过 {PHOTO_MAX_BYTES // 1024 // 1024} MB；建议正面免冠证件照",
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/gif,image/webp"}),
        error_messages={"required": "请选择照片文件", "empty": "照片文件为空，请重新选择"},
    )

    def photo_bytes(self) -> bytes:
        """The upload's bytes, at most one past the limit (the service says what is wrong)."""
        upload = self.cleaned_data["photo"]
        upload.seek(0)
        return upload.read(PHOTO_MAX_BYTES + 1)


class AccountForm(forms.Form):
    """An account: ``roles`` the caller may grant, ``units`` of their subtree, ``staff`` without an
    account (plus the account's own staff member when editing)."""

    username = _text("用户名", 150, help_text="登录时使用，保存后不能修改；字母、数字和 @ . + - _",
                     placeholder="如 zhangsan")  # fmt: skip
    display_name = _text("姓名", 50, required=False, help_text="显示在页面右上角；关联工作人员时可留空")
    role = forms.ChoiceField(label="角色")
    unit = UnitChoiceField(label="所属单位（数据范围）", queryset=Unit.objects.none(), empty_label="请选择单位",
                           help_text="账号能看到和处理该单位及其下级单位的数据")  # fmt: skip
    staff = StaffChoiceField(label="对应工作人员", queryset=Staff.objects.none(), required=False, empty_label="无",
                             help_text="窗口工作人员账号必须关联本人的工作人员信息（工号）")  # fmt: skip

    def __init__(self, data=None, *, roles, units, staff, editing: bool = False, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["role"].choices = [("", "请选择角色")] + [(role, Role(role).label) for role in roles]
        self.fields["unit"].queryset = units
        self.fields["staff"].queryset = staff
        if editing:
            del self.fields["username"]
