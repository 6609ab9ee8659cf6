"""Portal data: the one-time SMS codes with which a citizen proves a phone number (verification.py)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class SmsCode(models.Model):
    """A 6-digit SMS code sent to a citizen's phone (static QR, my ratings, kiosk).

    Neither the phone nor the code is stored: ``phone_index`` is the phone's keyed blind index
    and ``code_hash`` a keyed HMAC-SM3 of the code, so a copy of the database reveals neither.
    At most one code per phone is active (a partial unique index). Rows are the rate-limit
    history too (per phone, per client address via ``ip_index``) and hold a brute-force lock
    in ``locked_until``; they are purged after a day.
    """

    phone_index = models.CharField(max_length=64)
    code_hash = models.CharField(max_length=64)
    purpose = models.CharField("用途", max_length=10)
    ip_index = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField("错误次数", default=0)
    is_active = models.BooleanField(default=True)
    used_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "短信验证码"
        verbose_name_plural = "短信验证码"
        constraints = [
            models.UniqueConstraint(
                fields=["phone_index"], condition=models.Q(is_active=True), name="sms_code_one_active_per_phone"
            ),
        ]
        indexes = [
            models.Index(fields=["phone_index", "created_at"], name="sms_code_phone_idx"),
            models.Index(fields=["ip_index", "created_at"], name="sms_code_ip_idx"),
            models.Index(fields=["created_at"], name="sms_code_created_idx"),
        ]

    def __str__(self) -> str:
        return f"sms code #{self.pk} ({self.purpose})"
