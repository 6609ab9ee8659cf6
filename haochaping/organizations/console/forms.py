"""Forms of the organisation pages."""

from __future__ import annotations

from django import forms

from haochaping.core.pages.forms import FastSelect
from haochaping.organizations.models import DeviceKind, Unit, Window
from haochaping.organizations.services import MAX_OVERLAP_HOURS


class DeviceForm(forms.Form):
    """A tablet for a window or a kiosk for a place; both lists come from the caller's scope."""

    kind = forms.ChoiceField(label="设备类型", choices=DeviceKind.choices, initial=DeviceKind.TABLET,
                             widget=forms.RadioSelect)  # fmt: skip
    window = forms.ChoiceField(label="窗口", required=False, help_text="窗口评价器放在哪个窗口", widget=FastSelect)
    place = forms.ChoiceField(
        label="所在场所", required=False, widget=FastSelect,
        help_text="自助评价终端放在哪个大厅或便民服务中心/点；大厅大屏显示所选单位及其下级的数据",
    )  # fmt: skip
    name = forms.CharField(label="设备名称", required=False, max_length=100,
                           help_text="可留空：按窗口或场所名称自动命名，如“市场监管综合窗口评价器”")  # fmt: skip

    def __init__(self, data=None, *, windows: list[Window], places: list[Unit], screen_places: list[Unit]):
        super().__init__(data)
        self.windows = {str(w.pk): w for w in windows}
        self.kiosk_places = {str(u.pk) for u in places}
        self.places = {str(u.pk): u for u in screen_places}  # a superset of the kiosk places
        self.fields["window"].choices = [("", "请选择窗口")] + [
            (str(w.pk), f"{w.name}（{w.code}，{w.unit.name}）") for w in windows
        ]
        self.fields["window"].widget.group_by = {str(w.pk): w.unit.name for w in windows}.get  # by where they are
        self.fields["place"].choices = [("", "请选择场所")] + [(str(u.pk), u.name) for u in screen_places]
        kinds = [(DeviceKind.TABLET.value, DeviceKind.TABLET.label)]
        if places:
            kinds.append((DeviceKind.KIOSK.value, DeviceKind.KIOSK.label))
        if screen_places:
            kinds.append((DeviceKind.SCREEN.value, DeviceKind.SCREEN.label))
        self.fields["kind"].choices = kinds
        if not screen_places:  # nowhere in scope to put a kiosk or a screen
            del self.fields["place"]
        self.fields["name"].widget.attrs["placeholder"] = "留空自动命名"

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind is None:  # not offered (a kiosk where no place is in scope): the field says so
            return data
        if kind == DeviceKind.TABLET:
            window = self.windows.get(data.get("window") or "")
            if window is None:
                self.add_error("window", "请选择窗口评价器所在的窗口")
            data["window_obj"], data["place_obj"] = window, None
            default_name = f"{window.name}评价器" if window else ""
        else:
            place = self.places.get(data.get("place") or "")
            label = DeviceKind(kind).label
            if place is None:
                self.add_error("place", f"请选择{label}所在的场所")
            elif kind == DeviceKind.KIOSK and str(place.pk) not in self.kiosk_places:
                self.add_error("place", "自助评价终端只能放在政务服务大厅、街道便民服务中心或社区便民服务点")
                place = None
            data["window_obj"], data["place_obj"] = None, place
            default_name = f"{place.name}{label}" if place else ""
        data["name"] = (data.get("name") or "").strip() or default_name
        return data


class SystemForm(forms.Form):
    """Register or edit a business system: its name and the unit it may push into."""

    name = forms.CharField(label="系统名称", max_length=100, error_messages={"required": "请填写系统名称"})
    unit = forms.ChoiceField(
        label="所属单位",
        required=False,
        widget=FastSelect,
        help_text="业务系统只能推送和查询该单位及其下级单位的数据；选“全区通用”则不限单位",
    )

    def __init__(self, data=None, *, units: list[Unit], initial=None):
        super().__init__(data, initial=initial)
        self.units = {str(u.pk): u for u in units}
        top = min((u.depth for u in units), default=0)
        self.fields["unit"].choices = [("", "全区通用")] + [
            (str(u.pk), "\u3000" * (u.depth - top) + u.name) for u in units
        ]

    def clean(self):
        data = super().clean()
        data["unit_obj"] = self.units.get(data.get("unit") or "")
        return data


class RotateForm(forms.Form):
    overlap_hours = forms.IntegerField(
        label="旧密钥过渡期（小时）", min_value=0, max_value=MAX_OVERLAP_HOURS, initial=24,
        help_text=f"更换后旧密钥继续有效的时长（0–{MAX_OVERLAP_HOURS}）；0 表示旧密钥立即失效",
        error_messages={"required": "请填写过渡期", "invalid": "请填写整数",
                        "min_value": "不能小于 0", "max_value": f"不能大于 {MAX_OVERLAP_HOURS}"},
    )  # fmt: skip
