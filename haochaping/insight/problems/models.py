"""Models of common problems (共性问题, 制度第十一条): proposals, problems, their links to the
bad-rating cases and demands they cover, their timeline and their evidence files.

Rows change only through ``insight.problems.services`` and ``insight.problems.detection``
(audited there, ``insight:problem:*``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from haochaping.audit.timeline import TimelineEntry
from haochaping.organizations.models import Unit
from haochaping.outreach.models import Demand
from haochaping.rectification.models import FINAL_STATES as CASE_FINAL_STATES
from haochaping.rectification.models import RectificationCase


class ProblemKind(models.TextChoices):
    """What the bad ratings of a concentration share. Order = specificity (most specific first):
    an equally explained concentration is proposed under the earlier kind (detection)."""

    STAFF = "staff", "工作人员"
    WINDOW = "window", "窗口"
    ITEM = "item", "事项"
    PHRASE = "phrase", "关键词"
    REASON = "reason", "差评原因"


class ProposalState(models.TextChoices):
    PROPOSED = "proposed", "待研判"
    ACCEPTED = "accepted", "已立为共性问题"
    DISMISSED = "dismissed", "不予立项"
    MERGED = "merged", "已并入其他线索"


class ProblemState(models.TextChoices):
    ANALYSING = "analysing", "待分析"
    RECTIFYING = "rectifying", "整改中"
    RECTIFIED = "rectified", "已整改"
    CLOSED = "closed", "办结"


# The deadline runs until the unit reports the problem rectified (like a case's).
PROBLEM_DEADLINE_STATES = (ProblemState.ANALYSING, ProblemState.RECTIFYING)


class ProblemProposal(models.Model):
    """One detected concentration, proposed to a supervisor: accepted (it opens a
    ``CommonProblem``) or dismissed with a reason. While proposed, a re-detection of the same
    ongoing concentration updates this row instead of adding another (detection's dedupe rule)."""

    kind = models.CharField("类型", max_length=10, choices=ProblemKind.choices)
    key = models.CharField("对象", max_length=100)
    label = models.CharField("名称", max_length=200)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="problem_proposals", verbose_name="单位")
    first_at = models.DateTimeField("最早差评时间")
    last_at = models.DateTimeField("最近差评时间", db_index=True)
    window_days = models.PositiveSmallIntegerField("检测窗口（天）")
    count = models.PositiveIntegerField("集中数量")
    cases: models.JSONField = models.JSONField("关联差评工单", default=list)  # case ids, at most MAX_MEMBERS
    demands: models.JSONField = models.JSONField("关联诉求", default=list)  # demand ids, at most MAX_MEMBERS
    state = models.CharField("状态", max_length=10, choices=ProposalState.choices, default=ProposalState.PROPOSED)
    detected_at = models.DateTimeField("检测时间")
    updated_at = models.DateTimeField("最近检测时间")
    decided_at = models.DateTimeField("研判时间", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    dismiss_reason = models.TextField("不予立项理由", blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="并入线索"
    )
    problem = models.ForeignKey(
        "CommonProblem", null=True, blank=True, on_delete=models.PROTECT, related_name="proposals"
    )

    class Meta:
        verbose_name = "共性问题线索"
        verbose_name_plural = "共性问题线索"
        ordering = ["-last_at", "-id"]
        indexes = [models.Index(fields=["kind", "key", "unit"], name="problem_proposal_key_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.label}"


class CommonProblem(models.Model):
    """One 共性问题 case: the concentration's cause analysed once (root cause, plan), rectified
    with evidence, closed by the centre, with the deadline machinery of a case. ``state`` changes
    only through ``services.problem_transition`` (the table in ``workflow.py``)."""

    number = models.CharField("编号", max_length=30, unique=True)
    title = models.CharField("问题标题", max_length=200)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="common_problems", verbose_name="责任单位")
    kind = models.CharField("类型", max_length=10, choices=ProblemKind.choices)
    key = models.CharField("对象", max_length=100)
    label = models.CharField("对象名称", max_length=200)
    state = models.CharField("状态", max_length=12, choices=ProblemState.choices, default=ProblemState.ANALYSING)
    opened_at = models.DateTimeField("立项时间")
    due_at = models.DateTimeField("整改期限", db_index=True)
    original_due_at = models.DateTimeField("原整改期限")
    analysed_at = models.DateTimeField("原因分析时间", null=True, blank=True)
    rectified_at = models.DateTimeField("整改完成时间", null=True, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    warned_at = models.DateTimeField("到期预警时间", null=True, blank=True)
    overdue_at = models.DateTimeField("逾期标记时间", null=True, blank=True)
    escalated_at = models.DateTimeField("督办时间", null=True, blank=True)
    escalated_to = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="督办单位"
    )
    root_cause = models.TextField("原因分析", blank=True)
    plan = models.TextField("整改方案", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cases = models.ManyToManyField(
        RectificationCase, through="ProblemCase", related_name="common_problems", verbose_name="关联差评工单"
    )
    demands = models.ManyToManyField(Demand, through="ProblemDemand", related_name="common_problems")

    class Meta:
        verbose_name = "共性问题"
        verbose_name_plural = "共性问题"
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["unit", "state"], name="problem_unit_state_idx")]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.state != ProblemState.CLOSED

    @property
    def is_overdue(self) -> bool:
        return self.overdue_at is not None and self.state in PROBLEM_DEADLINE_STATES


class ProblemCase(models.Model):
    """A bad-rating case covered by a common problem: linked on acceptance (the proposal's
    cases) or later by detection (a new matching case while the problem is open)."""

    problem = models.ForeignKey(CommonProblem, on_delete=models.PROTECT, related_name="case_links")
    case = models.ForeignKey(RectificationCase, on_delete=models.PROTECT, related_name="problem_links")
    linked_at = models.DateTimeField("关联时间")
    automatic = models.BooleanField("检测自动关联", default=False)

    class Meta:
        verbose_name = "共性问题关联工单"
        verbose_name_plural = "共性问题关联工单"
        ordering = ["linked_at", "id"]
        constraints = [models.UniqueConstraint(fields=["problem", "case"], name="problem_case_unique")]

    def __str__(self) -> str:
        return f"{self.problem_id}:{self.case_id}"


class ProblemDemand(models.Model):
    problem = models.ForeignKey(CommonProblem, on_delete=models.PROTECT, related_name="demand_links")
    demand = models.ForeignKey(Demand, on_delete=models.PROTECT, related_name="problem_links")
    linked_at = models.DateTimeField("关联时间")
    automatic = models.BooleanField("检测自动关联", default=False)

    class Meta:
        verbose_name = "共性问题关联诉求"
        verbose_name_plural = "共性问题关联诉求"
        ordering = ["linked_at", "id"]
        constraints = [models.UniqueConstraint(fields=["problem", "demand"], name="problem_demand_unique")]

    def __str__(self) -> str:
        return f"{self.problem_id}:{self.demand_id}"


class ProblemAction(TimelineEntry):
    """One step of a common problem's timeline. Never changed."""

    parent_field = "problem"

    problem = models.ForeignKey(CommonProblem, on_delete=models.PROTECT, related_name="actions")

    class Meta(TimelineEntry.Meta):
        verbose_name = "共性问题处理记录"
        verbose_name_plural = "共性问题处理记录"

    def __str__(self) -> str:
        return f"{self.problem} {self.action}"


class ProblemAttachment(models.Model):
    """An evidence file of a common problem (checked like a case's, SM3 digest in the audit)."""

    problem = models.ForeignKey(CommonProblem, on_delete=models.PROTECT, related_name="attachments")
    action = models.ForeignKey(
        ProblemAction, null=True, blank=True, on_delete=models.PROTECT, related_name="attachments"
    )
    file = models.FileField(upload_to="problems/%Y/%m/")
    name = models.CharField("文件名", max_length=200)
    size = models.PositiveIntegerField("大小（字节）")
    content_type = models.CharField(max_length=100)
    sm3 = models.CharField("SM3 摘要", max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "共性问题附件"
        verbose_name_plural = "共性问题附件"
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name


__all__ = [
    "CASE_FINAL_STATES",
    "CommonProblem",
    "ProblemAction",
    "ProblemAttachment",
    "ProblemCase",
    "ProblemDemand",
    "ProblemKind",
    "ProblemProposal",
    "ProblemState",
    "ProposalState",
]
