"""Console forms: the filter bars of the list pages and the login form.

Filter forms never restrict access themselves: their unit choices come from the caller's scope
(so nobody is offered another unit's name), and the selectors apply the scope again anyway.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm

from haochaping.audit.auth_events import login_locked
from haochaping.evaluations.choices import Channel, Level
from haochaping.organizations.models import Unit
from haochaping.rectification.models import CaseState

BAD = "bad"
ALL = "all"


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "用户名或密码不正确，请重新输入。",
        "inactive": "该账号已停用，请联系管理员。",
        "locked": "登录失败次数过多，该账号已暂时锁定，请 %(minutes)s 分钟后再试或联系管理员。",
    }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        if username and login_locked(username):
            # Checked before the password, so a locked account reveals nothing about it.
            raise forms.ValidationError(
                self.error_messages["locked"], code="locked", params={"minutes": settings.LOGIN_LOCK_MINUTES}
            )
        return super().clean()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "用户名"
        self.fields["username"].widget.attrs.update({"placeholder": "请输入用户名", "autocomplete": "username"})
        self.fields["password"].label = "密码"
        self.fields["password"].widget.attrs.update({"placeholder": "请输入密码", "autocomplete": "current-password"})


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def unit_choices(units: list[Unit]) -> list[tuple[str, str]]:
    """Units as options, indented by depth below the shallowest one (the user's own unit)."""
    top = min((u.depth for u in units), default=0)
    return [("", "全部单位")] + [(u.code, "\u3000" * (u.depth - top) + u.name) for u in units]


class GetFilterForm(forms.Form):
    """A GET filter bar; invalid fields are reported and simply not applied."""

    def values(self) -> dict:
        """The valid filter values (validating first); empty strings become None."""
        self.is_valid()
        return {name: (value if value not in ("", None) else None) for name, value in self.cleaned_data.items()}

    @property
    def is_filtered(self) -> bool:
        return any(value for key, value in self.data.items() if key != "page")


class FilterForm(GetFilterForm):
    """Unit and date range, shared by the record and rating lists."""

    unit = forms.ChoiceField(label="单位", required=False)
    date_from = forms.DateField(label="起始日期", required=False, widget=DateInput())
    date_to = forms.DateField(label="截止日期", required=False, widget=DateInput())

    def __init__(self, data, *, units: list[Unit]):
        super().__init__(data)
        self.fields["unit"].choices = unit_choices(units)

    def clean(self):
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error("date_to", "截止日期不能早于起始日期")
            cleaned.pop("date_to", None)
        return cleaned


class RecordFilterForm(FilterForm):
    project_no = forms.CharField(label="办件编号", required=False, max_length=50)
    field_order = ["unit", "project_no", "date_from", "date_to"]

    def __init__(self, data, *, units: list[Unit]):
        super().__init__(data, units=units)
        self.fields["project_no"].widget.attrs["placeholder"] = "精确匹配"
        self.fields["date_from"].label = "接收日期起"
        self.fields["date_to"].label = "接收日期止"


class EvaluationFilterForm(FilterForm):
    level = forms.ChoiceField(
        label="评价等级",
        required=False,
        choices=[("", "全部等级"), (BAD, "差评（不满意及以下）")] + [(str(v), label) for v, label in Level.choices],
    )
    channel = forms.TypedChoiceField(
        label="评价渠道", required=False, coerce=int, empty_value=None, choices=[("", "全部渠道"), *Channel.choices]
    )
    field_order = ["unit", "level", "channel", "date_from", "date_to"]

    def __init__(self, data, *, units: list[Unit]):
        super().__init__(data, units=units)
        self.fields["date_from"].label = "评价日期起"
        self.fields["date_to"].label = "评价日期止"


class CaseFilterForm(GetFilterForm):
    state = forms.ChoiceField(
        label="状态",
        required=False,
        choices=[("", "全部未办结"), *CaseState.choices, (ALL, "全部状态")],
    )
    unit = forms.ChoiceField(label="责任单位", required=False)
    overdue = forms.BooleanField(label="仅看已逾期", required=False)

    def __init__(self, data, *, units: list[Unit]):
        super().__init__(data)
        self.fields["unit"].choices = unit_choices(units)
