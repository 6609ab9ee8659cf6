"""Insight (issue 16): why ratings are bad, common problems handled once (共性问题, 双归零),
rating-integrity flags and supervision records. Below analytics (the 通报 reads these), above the
domain apps whose rows it analyses.

Supervision records (制度第十条): the centre's supervisors record spot checks (抽查 of a random
sample of closed bad-rating cases), archive reviews (档案核查), site visits (明察暗访) and
callbacks (回访核实) of a unit, with findings and a follow-up (整改要求, deadline, done or not).
Rows change only through ``insight.services`` (audited there).

Attribution (通知 二(六)): ``BadRatingCause`` holds the effective cause of each bad rating and
``AttributionCorrection`` the staff corrections (``insight.attribution``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from haochaping.evaluations.choices import DIMENSION_FIELDS, Dimension
from haochaping.evaluations.models import Evaluation
from haochaping.organizations.models import Staff, Unit, Window
from haochaping.rectification.models import RectificationCase
from haochaping.service_records.models import ServiceItem


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


# --- Attribution (通知 二(六)) ------------------------------------------------------------------


class CauseSource(models.TextChoices):
    CITIZEN = "citizen", "评价人选择"
    AUTO = "auto", "文本自动归因"
    CORRECTED = "corrected", "人工更正"
    NONE = "none", "未能归因"


class BadRatingCause(models.Model):
    """The effective cause of one bad rating (level 1–2), filled by ``causes_refresh``.

    ``source`` says where it comes from: the citizen's own choice (dimensions rated 1–2 and/or
    reasons ticked; the dimensions of ticked reasons count too), the rating's text attributed
    automatically (``evaluations.attribution.attribute``), a staff correction
    (``AttributionCorrection``, only where the citizen chose nothing) or nothing at all. The seven
    booleans are the cause's dimensions: a rating counts once in each of its dimensions. Unit,
    item, window, staff and day are copied from the service record so that the attribution
    page groups without joining the ratings."""

    evaluation = models.OneToOneField(
        Evaluation, on_delete=models.CASCADE, related_name="bad_cause", verbose_name="差评"
    )
    source = models.CharField("归因来源", max_length=10, choices=CauseSource.choices)
    commitment = models.BooleanField("承诺履行", default=False)
    attitude = models.BooleanField("服务态度", default=False)
    materials = models.BooleanField("申请材料", default=False)
    efficiency = models.BooleanField("办事效率", default=False)
    trips = models.BooleanField("跑趟次数", default=False)
    mechanism = models.BooleanField("服务机制", default=False)
    integrity = models.BooleanField("勤政廉洁", default=False)
    reasons = models.JSONField("评价理由编码", default=list)
    evidence = models.JSONField("依据词语", default=list)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", db_index=False)
    item = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, related_name="+", db_index=False)
    window = models.ForeignKey(Window, null=True, on_delete=models.PROTECT, related_name="+", db_index=False)
    staff = models.ForeignKey(Staff, null=True, on_delete=models.PROTECT, related_name="+", db_index=False)
    day = models.DateField("评价日期")
    # Set when the rating's case is invalidated (an approved appeal): no longer counted.
    invalid = models.BooleanField("已认定无效", default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "差评归因"
        verbose_name_plural = "差评归因"
        ordering = ["-day", "-id"]
        indexes = [
            models.Index(fields=["unit", "day"], name="cause_unit_day_idx"),
            models.Index(fields=["item", "day"], name="cause_item_day_idx"),
            models.Index(fields=["window", "day"], name="cause_window_day_idx"),
            models.Index(fields=["staff", "day"], name="cause_staff_day_idx"),
            models.Index(fields=["day"], name="cause_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.evaluation_id}:{self.source}"

    @property
    def dimensions(self) -> list[str]:
        return [name for name in DIMENSION_FIELDS if getattr(self, name)]


class AttributionCorrection(models.Model):
    """A staff correction of an automatic (or missing) attribution: append-only, the newest one
    of a rating applies. Never made for a rating whose citizen chose a dimension or reason."""

    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.CASCADE, related_name="attribution_corrections", verbose_name="差评"
    )
    from_source = models.CharField("原归因来源", max_length=10, choices=CauseSource.choices)
    from_dimension = models.CharField("原维度", max_length=20, blank=True)
    from_reason = models.CharField("原评价理由", max_length=20, blank=True)
    dimension = models.CharField("更正后维度", max_length=20, choices=Dimension.choices)
    reason = models.CharField("更正后评价理由", max_length=20, blank=True)
    note = models.TextField("更正说明")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name="更正人"
    )
    created_at = models.DateTimeField("更正时间", auto_now_add=True)

    class Meta:
        verbose_name = "归因更正"
        verbose_name_plural = "归因更正"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.evaluation_id}: {self.from_dimension or '—'} → {self.dimension}"


# Rating-integrity flags (通知 二(四), 制度第八条) live in their own module; imported here so that
# Django finds the model.
from haochaping.insight.integrity_models import IntegrityFlag  # noqa: E402, F401

# Common problems (制度第十一条) live in their own module; imported here so Django finds them.
from haochaping.insight.problems.models import (  # noqa: E402, F401
    CommonProblem,
    ProblemAction,
    ProblemAttachment,
    ProblemCase,
    ProblemDemand,
    ProblemProposal,
)
