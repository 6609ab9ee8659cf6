"""Password validators of ``AUTH_PASSWORD_VALIDATORS`` whose messages Django leaves in English.

Django 5.2 rewrote ``MinimumLengthValidator``'s message (``%d`` for ``%(min_length)d``) and its
zh_Hans catalogue has no translation of the new one, so the console would answer "This password is
too short…" on the password pages. Same rule, Chinese message."""

from __future__ import annotations

from django.contrib.auth import password_validation


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_error_message(self) -> str:
        return f"密码长度太短，至少需要 {self.min_length} 个字符。"

    def get_help_text(self) -> str:
        return f"密码至少需要 {self.min_length} 个字符。"
