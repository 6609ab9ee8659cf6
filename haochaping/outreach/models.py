"""Call lists (回访/邀评), call records, demands and suggestions (诉求/意见建议) and their categories."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from haochaping.audit.models import AppendOnlyModel
from haochaping.audit.timeline import TimelineEntry
from haochaping.core.fields import SM4EncryptedField
from haochaping.core.masking import mask_name, mask_phone
from haochaping.evaluations.models import Evaluation
from haochaping.organizations.models import BusinessSystem, Unit
from haochaping.outreach.choices import (
    CategoryKind,
    DemandSource,
    DemandState,
    Outcome,
    Satisfaction,
    TaskKind,
    TaskStatus,
)
from haochaping.rectification.models import RectificationCase
from haochaping.service_records.models import ServiceRecord


class DemandCategory(models.Model):
    """A node of the configurable category tree of demands (办事流程, 投诉举报 › 廉政问题 …).

    ``keywords`` is the category's own keyword table for the automatic suggestion
    (``classify.py``): a list of words, or ``[word, weight]`` pairs. ``days`` is the time limit
    in working days of a demand in this category. A category of kind ``complaint`` makes its
    demands complaints, which are called back after the reply (通知 二(五)).
    """

    code = models.SlugField("编码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=50)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name="上级分类"
    )
    kind = models.CharField("类型", max_length=20, choices=CategoryKind.choices, default=CategoryKind.REQUEST)
    days = models.PositiveSmallIntegerField("办理时限（工作日）", default=5)
    keywords = models.JSONField("关键词", default=list, blank=True)
    sort_order = models.PositiveSmallIntegerField("排序", default=100)
    is_active = models.BooleanField("启用", default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "诉求分类"
        verbose_name_plural = "诉求分类"
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_complaint(self) -> bool:
        return self.kind == CategoryKind.COMPLAINT

    @property
    def full_name(self) -> str:
        return f"{self.parent.name} › {self.name}" if self.parent_id else self.name


class Demand(models.Model):
    """A citizen's demand, complaint or suggestion: received, categorised, assigned, answered
    within a time limit in working days, and closed with the citizen's satisfaction (R9).

    ``unit`` is the unit responsible now (and the one whose subtree may see it): the intake
    unit until a supervisor assigns it. Contact identity is SM4-encrypted with a blind index
    on the phone (``phone_index``), like service records. ``query_code_hash`` is the keyed
    hash of the 查询码 the citizen uses with the 受理编号 to follow the demand on the portal.
    State changes go through ``services.demands``; each appends a ``DemandAction``.
    """

    number = models.CharField("受理编号", max_length=30, unique=True)
    source = models.CharField("来源", max_length=10, choices=DemandSource.choices)
    state = models.CharField("状态", max_length=10, choices=DemandState.choices, default=DemandState.RECEIVED)
    category = models.ForeignKey(
        DemandCategory, null=True, blank=True, on_delete=models.PROTECT, related_name="demands", verbose_name="分类"
    )
    suggested_category = models.ForeignKey(
        DemandCategory, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="自动建议分类"
    )
    content = models.TextField("诉求内容")
    contact_name = SM4EncryptedField("联系人")
    contact_phone = SM4EncryptedField("联系电话")
    phone_index = models.CharField(max_length=64, db_index=True, editable=False)
    query_code_hash = models.CharField(max_length=64, editable=False, blank=True)
    project_no = models.CharField("相关办件编号", max_length=50, blank=True)
    record = models.ForeignKey(
        ServiceRecord, null=True, blank=True, on_delete=models.PROTECT, related_name="demands", verbose_name="相关办件"
    )
    evaluation = models.ForeignKey(
        Evaluation, null=True, blank=True, on_delete=models.PROTECT, related_name="demands", verbose_name="来源评价"
    )
    system = models.ForeignKey(
        BusinessSystem,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="demands",
        verbose_name="来源业务系统",
    )
    external_id = models.CharField("业务系统编号", max_length=64, blank=True)
    intake_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name="受理单位")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="demands", verbose_name="承办单位")
    days = models.PositiveSmallIntegerField("办理时限（工作日）")
    received_at = models.DateTimeField("受理时间", db_index=True)
    due_at = models.DateTimeField("答复期限", db_index=True)
    assigned_at = models.DateTimeField("分派时间", null=True, blank=True)
    replied_at = models.DateTimeField("答复时间", null=True, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    reply = models.TextField("答复内容", blank=True)
    satisfaction = models.CharField("群众满意度", max_length=12, choices=Satisfaction.choices, blank=True)
    warned_at = models.DateTimeField("到期预警时间", null=True, blank=True)
    overdue_at = models.DateTimeField("逾期标记时间", null=True, blank=True)
    escalated_at = models.DateTimeField("督办时间", null=True, blank=True)
    escalated_to = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="督办单位"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = "诉求与意见建议"
        verbose_name_plural = "诉求与意见建议"
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation"], condition=Q(evaluation__isnull=False), name="demand_one_per_evaluation"
            ),
            models.UniqueConstraint(
                fields=["system", "external_id"], condition=~Q(external_id=""), name="demand_external_id_unique"
            ),
        ]
        indexes = [models.Index(fields=["unit", "state"], name="demand_unit_state_idx")]

    def __str__(self) -> str:
        return self.number

    @property
    def contact_name_masked(self) -> str:
        return mask_name(self.contact_name)

    @property
    def contact_phone_masked(self) -> str:
        return mask_phone(self.contact_phone)

    @property
    def is_complaint(self) -> bool:
        return self.category_id is not None and self.category.is_complaint

    @property
    def on_time(self) -> bool | None:
        """Answered within the time limit; None while unanswered."""
        return None if self.replied_at is None else self.replied_at <= self.due_at


class DemandAction(TimelineEntry):
    """One step of a demand's timeline (``audit.timeline.TimelineEntry``). Never changed."""

    parent_field = "demand"

    demand = models.ForeignKey(Demand, on_delete=models.PROTECT, related_name="actions")

    class Meta(TimelineEntry.Meta):
        verbose_name = "诉求处理记录"
        verbose_name_plural = "诉求处理记录"

    def __str__(self) -> str:
        return f"{self.demand_id} {self.action}"


class CallTask(models.Model):
    """One entry of a call list: a callback after a bad rating's rectification was fed back, an
    invitation to rate an unrated service, or a callback after a complaint was answered.

    ``subject_key`` names what the call is about ("case:12", "record:34", "demand:5") and
    ``round`` which time (a case reopened by an unsatisfied callback is called back again after
    its next feedback): one task per (kind, subject, round) ever, and at most one open task per
    (kind, subject), both enforced by the database, so generating the lists again never adds
    duplicates. The contact is read from the subject, never copied here; ``phone_index`` is its
    blind index (for the do-not-call list). ``due_at`` is the next attempt time.
    """

    kind = models.CharField("清单类型", max_length=24, choices=TaskKind.choices)
    status = models.CharField("状态", max_length=12, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    subject_key = models.CharField(max_length=40)
    round = models.PositiveSmallIntegerField("轮次", default=0)
    case = models.ForeignKey(
        RectificationCase,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="call_tasks",
        verbose_name="差评工单",
    )
    record = models.ForeignKey(
        ServiceRecord,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="call_tasks",
        verbose_name="办件服务",
    )
    demand = models.ForeignKey(
        Demand, null=True, blank=True, on_delete=models.PROTECT, related_name="call_tasks", verbose_name="诉求"
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="call_tasks", verbose_name="责任单位")
    phone_index = models.CharField(max_length=64, db_index=True, editable=False)
    due_at = models.DateTimeField("应拨打时间", db_index=True)
    attempts = models.PositiveSmallIntegerField("已拨打次数", default=0)
    max_attempts = models.PositiveSmallIntegerField("最多拨打次数")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="指定回访员",
    )
    # Taken by an operator with 下一个 so that two operators never call the same citizen at once.
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_outcome = models.CharField("最近结果", max_length=20, choices=Outcome.choices, blank=True)
    closed_reason = models.CharField("关闭说明", max_length=200, blank=True)
    first_contact_at = models.DateTimeField("首次联系上", null=True, blank=True)
    evaluation = models.ForeignKey(
        Evaluation, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="电话评价"
    )
    created_at = models.DateTimeField("生成时间", db_index=True)
    closed_at = models.DateTimeField("关闭时间", null=True, blank=True)

    class Meta:
        verbose_name = "回访/邀评任务"
        verbose_name_plural = "回访/邀评任务"
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "subject_key", "round"], name="calltask_subject_round_unique"),
            models.UniqueConstraint(
                fields=["kind", "subject_key"], condition=Q(status="open"), name="calltask_one_open_per_subject"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="calltask_status_due_idx"),
            models.Index(fields=["unit", "status"], name="calltask_unit_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.subject_key}"

    @property
    def is_open(self) -> bool:
        return self.status == TaskStatus.OPEN

    @property
    def is_callback(self) -> bool:
        return self.kind != TaskKind.INVITATION_UNRATED

    def held_by_other(self, user_id: int | None, now) -> bool:
        """Another operator claimed the task (下一个) and their hold has not run out."""
        return self.claimed_by_id not in (None, user_id) and self.claimed_until is not None and self.claimed_until > now

    def contact(self) -> tuple[str, str]:
        """(name, phone) of the person to call, decrypted: for masking or an audited reveal only."""
        if self.kind == TaskKind.CALLBACK_COMPLAINT:
            return self.demand.contact_name, self.demand.contact_phone
        if self.kind == TaskKind.CALLBACK_BAD_RATING:
            evaluation = self.case.evaluation
            record = evaluation.record
            return (
                evaluation.evaluator_name or record.applicant_name,
                evaluation.evaluator_phone or record.applicant_phone,
            )
        return self.record.applicant_name, self.record.applicant_phone

    @property
    def contact_name_masked(self) -> str:
        return mask_name(self.contact()[0])

    @property
    def contact_phone_masked(self) -> str:
        return mask_phone(self.contact()[1])


class CallRecord(AppendOnlyModel):
    """One contact attempt on a task: the outcome, notes, satisfaction, next attempt. Never changed."""

    task = models.ForeignKey(CallTask, on_delete=models.PROTECT, related_name="calls")
    attempt = models.PositiveSmallIntegerField("第几次")
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    operator_label = models.CharField("回访员", max_length=150)
    outcome = models.CharField("结果", max_length=20, choices=Outcome.choices)
    satisfaction = models.CharField("满意度", max_length=12, choices=Satisfaction.choices, blank=True)
    notes = models.TextField("回访记录", blank=True)
    next_attempt_at = models.DateTimeField("下次拨打", null=True, blank=True)
    evaluation = models.ForeignKey(
        Evaluation, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="电话评价"
    )
    occurred_at = models.DateTimeField("时间", db_index=True)

    class Meta:
        verbose_name = "回访记录"
        verbose_name_plural = "回访记录"
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"{self.task_id}#{self.attempt} {self.outcome}"


class DoNotCall(models.Model):
    """A phone number (by blind index) that asked not to be called again (要求勿扰).

    New call tasks for it are created already closed, so that the lists still show the
    citizen (coverage counts them) but nobody calls.
    """

    phone_index = models.CharField(max_length=64, unique=True)
    task = models.ForeignKey(CallTask, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("登记时间")

    class Meta:
        verbose_name = "勿扰号码"
        verbose_name_plural = "勿扰号码"

    def __str__(self) -> str:
        return self.phone_index[:12]


class PortalAttempt(models.Model):
    """A public-form event counted by the rate limits: a submission, a honeypot hit, a failed
    tracking lookup. ``key`` is a keyed hash of the client address (never the address itself);
    rows older than two days are purged by the outreach upkeep job."""

    kind = models.CharField(max_length=12)
    key = models.CharField(max_length=64)
    at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["kind", "key", "at"], name="portal_attempt_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d %H:%M}"
