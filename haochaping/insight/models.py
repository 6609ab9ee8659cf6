"""Insight (issue 16): why ratings are bad, common problems handled once (共性问题, 双归零),
rating-integrity flags and supervision records. Below analytics (the 通报 reads these), above the
domain apps whose rows it analyses.

Supervision records (制度第十条): the centre's supervisors record spot checks (抽查 of a random
sample of closed bad-rating cases), archive reviews (档案核查), site visits (明察暗访) and
callbacks (回访核实) of a unit, with findings and a follow-up (整改要求, deadline, done or not).
Rows change only through ``insight.services`` (audited there).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from haochaping.organizations.models import Unit
from haochaping.rectification.models import RectificationCase


class SupervisionKind(models.TextChoices):
    SPOT_CHECK = "spot_check", "抽查"
    ARCHIVE_REVIEW = "archive_review", "档案核查"
    SITE_VISIT = "site_visit", "明察暗访"
    CALLBACK = "callback", "回访核实"


class SpotCheckResult(models.TextChoices):
    PENDING = "", "待记录"
    PASSED = "passed", "合格"
    FAILED = "failed", "不合格"


class SupervisionRecord(models.Model):
    """One supervision activity at one unit. For a spot check, ``period_first``/``period_last``,
    ``sample_size`` and ``seed`` say which closed cases were drawn (``SpotCheckItem``): the same
    seed over the same cases draws the same sample, so the draw can be re-done and verified."""

    kind = models.CharField("类别", max_length=20, choices=SupervisionKind.choices)
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="supervision_records", verbose_name="被督查单位"
    )
    held_on = models.DateField("督查日期")
    inspector = models.CharField("督查人员", max_length=100)
    findings = models.TextField("督查发现", blank=True)
    period_first = models.DateField("抽查期间起", null=True, blank=True)
    period_last = models.DateField("抽查期间止", null=True, blank=True)
    sample_size = models.PositiveSmallIntegerField("抽查样本数", null=True, blank=True)
    population = models.PositiveIntegerField("可抽查工单数", null=True, blank=True)
    seed = models.CharField("抽样随机种子", max_length=32, blank=True)
    followup_required = models.TextField("整改要求", blank=True)
    followup_due = models.DateField("整改期限", null=True, blank=True)
    followup_done_at = models.DateTimeField("整改完成时间", null=True, blank=True)
    followup_note = models.TextField("整改完成情况", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="登记人",
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "督查记录"
        verbose_name_plural = "督查记录"
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["unit", "held_on"], name="supervision_unit_day_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.unit_id} {self.held_on}"

    @property
    def has_followup(self) -> bool:
        return bool(self.followup_required)

    @property
    def followup_open(self) -> bool:
        return self.has_followup and self.followup_done_at is None


class SpotCheckItem(models.Model):
    """One case drawn by a spot check, with its result (合格/不合格) and remarks."""

    record = models.ForeignKey(
        SupervisionRecord, on_delete=models.CASCADE, related_name="items", verbose_name="督查记录"
    )
    case = models.ForeignKey(RectificationCase, on_delete=models.PROTECT, related_name="+", verbose_name="差评工单")
    result = models.CharField("抽查结果", max_length=10, choices=SpotCheckResult.choices, blank=True, default="")
    remarks = models.TextField("备注", blank=True)
    recorded_at = models.DateTimeField("记录时间", null=True, blank=True)

    class Meta:
        verbose_name = "抽查样本"
        verbose_name_plural = "抽查样本"
        ordering = ["record", "case__number", "id"]
        constraints = [models.UniqueConstraint(fields=["record", "case"], name="spot_check_item_unique")]

    def __str__(self) -> str:
        return f"{self.record_id}:{self.case_id}"


# Common problems (制度第十一条) live in their own module; imported here so Django finds them.
from haochaping.insight.problems.models import (  # noqa: E402, F401
    CommonProblem,
    ProblemAction,
    ProblemAttachment,
    ProblemCase,
    ProblemDemand,
    ProblemProposal,
)
