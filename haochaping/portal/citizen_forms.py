"""Forms of the citizen pages: phone number, SMS code, and the kiosk's 办件 lookup."""

from __future__ import annotations

from django import forms

from haochaping.portal.verification import CODE_DIGITS, mobile_number


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label="手机号码",
        max_length=20,
        error_messages={"required": "请输入您办事时登记的手机号码"},
    )

    def clean_phone(self) -> str:
        mobile = mobile_number(self.cleaned_data["phone"])
        if mobile is None:
            raise forms.ValidationError("请输入正确的 11 位手机号码")
        return mobile


class CodeForm(forms.Form):
    code = forms.CharField(
        label="短信验证码",
        max_length=12,
        error_messages={"required": f"请输入短信中的 {CODE_DIGITS} 位验证码"},
    )


class KioskLookupForm(forms.Form):
    """办件编号 plus the applicant's name or phone number, in one field."""

    project_no = forms.CharField(
        label="办件编号",
        max_length=50,
        error_messages={"required": "请输入办件编号（见受理通知书或办件回执）", "max_length": "办件编号最多 50 位"},
    )
    who = forms.CharField(
        label="申请人姓名或手机号码",
        max_length=100,
        error_messages={"required": "请输入申请人姓名或办事时登记的手机号码"},
    )

    def clean_project_no(self) -> str:
        return "".join(self.cleaned_data["project_no"].split())

    def lookup(self) -> dict[str, str]:
        """``{"mobile": ...}`` when a phone number was entered, else ``{"name": ...}``."""
        who = self.cleaned_data["who"].strip()
        mobile = mobile_number(who)
        if mobile is not None:
            return {"mobile": mobile}
        return {"name": who}
