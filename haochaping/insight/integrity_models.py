"""Rating-integrity flags (通知 二(四): 不得强迫、干扰群众评价; 制度第八条).

A flag is a lead for a supervisor to review, never a verdict: it names a pattern (a burst of
非常满意 from one tablet, ratings seconds after the clerk's 请评价, ...), its subject and its
evidence, and is dismissed with a reason or turned into a supervision record (转督查). Ratings are
never changed or invalidated by a flag. Re-detection of the same (kind, subject, period) updates
the open flag instead of adding another. Identities stay masked: a phone number's subject is its
keyed blind index and a masked label, never the number or a name.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from haochaping.organizations.models import Unit


class IntegrityKind(models.TextChoices):
    TABLET_BURST = "tablet_burst", "评价器短时集中“非常满意”"
    QUICK_AFTER_REQUEST = "quick_after_request", "请评价后数秒内评价"
    PHONE_MANY_UNITS = "phone_many_units", "同一号码跨单位大量评价"
    PHONE_OPERATOR = "phone_operator", "电话评价满意率异常（回访员）"
    REPEATED_BAD = "repeated_bad", "同一评价人反复差评同一工作人员"
    DEFAULT_CONCENTRATION = "default_concentration", "默认评价集中"


class SubjectType(models.TextChoices):
    DEVICE = "device", "评价器"
    STAFF = "staff", "工作人员"
    OPERATOR = "operator", "回访员"
    PHONE = "phone", "评价人号码"
    PHONE_STAFF = "phone_staff", "评价人与工作人员"
    UNIT = "unit", "单位"


class FlagState(models.TextChoices):
    OPEN = "open", "待核查"
    DISMISSED = "dismissed", "已排除"
    ESCALATED = "escalated", "已转督查"


class IntegrityFlag(models.Model):
    """One integrity lead: what pattern, about whom, when, with which evidence, and its review."""

    kind = models.CharField("线索类型", max_length=24, choices=IntegrityKind.choices)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="integrity_flags", verbose_name="所属单位")
    subject_type = models.CharField("对象类型", max_length=12, choices=SubjectType.choices)
    # Ids only (device/staff/user/unit pk; a phone's keyed SM3 blind index), never plaintext.
    subject_key = models.CharField("对象标识", max_length=140)
    subject_label = models.CharField("对象", max_length=200)
    period = models.CharField("期间", max_length=7)  # YYYY-MM of the pattern's latest rating
    first_at = models.DateTimeField("最早评价时间")
    last_at = models.DateTimeField("最近评价时间")
    summary = models.CharField("线索摘要", max_length=300)
    evidence = models.JSONField("证据", default=dict)
    state = models.CharField("状态", max_length=10, choices=FlagState.choices, default=FlagState.OPEN)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="核查人",
    )
    reason = models.TextField("处理说明", blank=True)
    reviewed_at = models.DateTimeField("处理时间", null=True, blank=True)
    supervision = models.ForeignKey(
        "insight.SupervisionRecord",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="integrity_flags",
        verbose_name="督查记录",
    )
    detected_at = models.DateTimeField("发现时间")
    updated_at = models.DateTimeField("最近更新")

    class Meta:
        verbose_name = "评价质量线索"
        verbose_name_plural = "评价质量线索"
        ordering = ["-last_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject_type", "subject_key", "period"], name="integrity_flag_subject_period_unique"
            )
        ]
        indexes = [
            models.Index(fields=["state", "last_at"], name="integrity_state_last_idx"),
            models.Index(fields=["unit", "last_at"], name="integrity_unit_last_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.subject_label} {self.period}"
