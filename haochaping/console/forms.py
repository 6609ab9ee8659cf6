"""The console shell's login form."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm

from haochaping.audit.auth_events import login_locked, login_refused_while_locked


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
            login_refused_while_locked(username, self.request)
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
