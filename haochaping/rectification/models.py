"""Bad-rating rectification cases (差评工单), their timeline and attachments."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from haochaping.audit.timeline import TimelineEntry
from haochaping.evaluations.models import Evaluation
from haochaping.organizations.models import Unit


class CaseState(models.TextChoices):
    PENDING_VERIFY = "pending_verify", "待核实"
    INVALID_REQUESTED = "invalid_requested", "申请无效待审核"
    INVALIDATED = "invalidated", "无效评价"
    RECTIFYING = "rectifying", "整改中"
    EXTENSION_REQUESTED = "extension_requested", "延期待审核"
    RECTIFIED = "rectified", "已整改"
    FED_BACK = "fed_back", "已反馈待回访"
    CLOSED = "closed", "办结"


FINAL_STATES = (CaseState.CLOSED, CaseState.INVALIDATED)
OPEN_STATES = [s for s in CaseState if s not in FINAL_STATES]
# States in which the deadline runs: once rectified, the case is on time or not for good.
DEADLINE_STATES = [
    CaseState.PENDING_VERIFY,
    CaseState.INVALID_REQUESTED,
    CaseState.RECTIFYING,
    CaseState.EXTENSION_REQUESTED,
]


class RectificationCase(models.Model):
    """One case per bad rating (level ≤ 2), opened in the rating's transaction.

    ``state`` changes only through ``rectification.services.case_transition`` (one transition
    table in ``workflow.py``); each change also appends a ``CaseAction`` and an audit event.
    ``due_at`` is the current deadline (moved by approved extensions), ``original_due_at`` the
    first one. ``rectified_at`` fixes whether the case was rectified on time (按期整改率).
    """

    number = models.CharField("工单编号", max_length=30, unique=True)
    evaluation = models.OneToOneField(
        Evaluation, null=True, blank=True, on_delete=models.PROTECT, related_name="case", verbose_name="差评"
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="cases", verbose_name="责任单位")
    state = models.CharField("状态", max_length=24, choices=CaseState.choices, default=CaseState.PENDING_VERIFY)
    opened_at = models.DateTimeField("生成时间")
    due_at = models.DateTimeField("整改期限", db_index=True)
    original_due_at = models.DateTimeField("原整改期限", null=True, blank=True)
    verified_at = models.DateTimeField("核实时间", null=True, blank=True)
    rectified_at = models.DateTimeField("整改完成时间", null=True, blank=True)
    fed_back_at = models.DateTimeField("反馈时间", null=True, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    warned_at = models.DateTimeField("到期预警时间", null=True, blank=True)
    overdue_at = models.DateTimeField("逾期标记时间", null=True, blank=True)
    escalated_at = models.DateTimeField("督办时间", null=True, blank=True)
    escalated_to = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="escalated_cases", verbose_name="督办单位"
    )
    reopen_count = models.PositiveSmallIntegerField("回访不满意重新整改次数", default=0)

    class Meta:
        verbose_name = "差评整改工单"
        verbose_name_plural = "差评整改工单"
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["unit", "state"], name="case_unit_state_idx"),
            # The open cases (a few in a hundred: most are closed) by deadline: the menu's and the
            # queue's counts of open states, the overdue ones (``running_overdue``).
            models.Index(fields=["state", "due_at"], name="case_state_due_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.state not in FINAL_STATES


class CaseAction(TimelineEntry):
    """One step of a case's timeline (``audit.timeline.TimelineEntry``). Never changed."""

    parent_field = "case"

    case = models.ForeignKey(RectificationCase, on_delete=models.PROTECT, related_name="actions")

    class Meta(TimelineEntry.Meta):
        verbose_name = "工单处理记录"
        verbose_name_plural = "工单处理记录"

    def __str__(self) -> str:
        return f"{self.case} {self.action}"


class CaseAttachment(models.Model):
    """A file attached to a case step (evidence, rectification photos), stored under MEDIA_ROOT."""

    case = models.ForeignKey(RectificationCase, on_delete=models.PROTECT, related_name="attachments")
    action = models.ForeignKey(CaseAction, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(upload_to="cases/%Y/%m/")
    name = models.CharField("文件名", max_length=200)
    size = models.PositiveIntegerField("大小（字节）")
    content_type = models.CharField(max_length=100)
    sm3 = models.CharField("SM3 摘要", max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "工单附件"
        verbose_name_plural = "工单附件"
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name
