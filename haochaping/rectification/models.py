"""Bad-rating rectification cases (差评工单). The full workflow arrives with the closed loop."""

from __future__ import annotations

from django.db import models

from haochaping.evaluations.models import Evaluation
from haochaping.organizations.models import Unit


class CaseState(models.TextChoices):
    PENDING_VERIFY = "pending_verify", "待核实"
    VERIFIED = "verified", "核实属实"
    INVALID_REQUESTED = "invalid_requested", "申请无效"
    INVALIDATED = "invalidated", "无效评价"
    RECTIFYING = "rectifying", "整改中"
    EXTENSION_REQUESTED = "extension_requested", "申请延期"
    RECTIFIED = "rectified", "已整改"
    FED_BACK = "fed_back", "已反馈"
    CLOSED = "closed", "办结"


OPEN_STATES = [s for s in CaseState if s not in (CaseState.CLOSED, CaseState.INVALIDATED)]


class RectificationCase(models.Model):
    """One case per bad rating (level ≤ 2), opened in the rating's transaction."""

    number = models.CharField("工单编号", max_length=30, unique=True)
    evaluation = models.OneToOneField(
        Evaluation, null=True, blank=True, on_delete=models.PROTECT, related_name="case", verbose_name="差评"
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="cases", verbose_name="责任单位")
    state = models.CharField("状态", max_length=24, choices=CaseState.choices, default=CaseState.PENDING_VERIFY)
    opened_at = models.DateTimeField("生成时间")
    due_at = models.DateTimeField("整改期限", db_index=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)

    class Meta:
        verbose_name = "差评整改工单"
        verbose_name_plural = "差评整改工单"
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["unit", "state"], name="case_unit_state_idx")]

    def __str__(self) -> str:
        return self.number
