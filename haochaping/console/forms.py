"""The console shell's login form."""

from __future__ import annotations

import math

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone

from haochaping.audit.auth_events import (
    address_throttle,
    login_locked,
    login_refused_while_locked,
    login_throttled,
)
from haochaping.core.http import client_ip


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "用户名或密码不正确，请重新输入。",
        "inactive": "该账号已停用，请联系管理员。",
        "locked": "登录失败次数过多，该账号已暂时锁定，请 %(minutes)s 分钟后再试或联系管理员。",
        "address_slowed": "本机登录失败次数过多，请 %(seconds)s 秒后再试。",
        "address_refused": "本机登录失败次数过多，已暂停从本机登录，请 %(minutes)s 分钟后再试或联系管理员。",
    }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        if username:
            # The client address first: one address trying many usernames is slowed, then refused,
            # without a password being checked (and without counting against the usernames).
            throttle = address_throttle(client_ip(self.request))
            wait = throttle.wait_seconds(timezone.now())
            if wait:
                login_throttled(username, self.request, throttle, wait=wait)
                if throttle.refused:
                    minutes = max(1, math.ceil(wait / 60))
                    raise forms.ValidationError(
                        self.error_messages["address_refused"], code="address_refused", params={"minutes": minutes}
                    )
                raise forms.ValidationError(
                    self.error_messages["address_slowed"], code="address_slowed", params={"seconds": wait}
                )
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
