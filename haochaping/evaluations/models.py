"""Ratings (评价) and the versioned indicator (reason) sets they cite."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from haochaping.audit.models import AppendOnlyModel
from haochaping.core.fields import SM4EncryptedField
from haochaping.core.masking import mask_name, mask_phone
from haochaping.evaluations.choices import Channel, Level
from haochaping.organizations.models import BusinessSystem, Staff, Unit
from haochaping.service_records.models import ServiceRecord


class IndicatorSet(models.Model):
    """A versioned set of rating indicators and reasons, shipped as data (``data/*.json``)."""

    code = models.CharField("编码", max_length=40)
    version = models.CharField("版本", max_length=20)
    name = models.CharField("名称", max_length=100)
    is_active = models.BooleanField("当前使用", default=False)
    source = models.CharField("来源", max_length=200, blank=True)
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "评价指标体系"
        verbose_name_plural = "评价指标体系"
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="indicator_set_version_unique")]

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


class Indicator(models.Model):
    """One reason a citizen can tick, valid for some levels (e.g. 1–2 for bad reasons)."""

    indicator_set = models.ForeignKey(IndicatorSet, on_delete=models.CASCADE, related_name="indicators")
    code = models.CharField("编码", max_length=20)
    group = models.CharField("指标", max_length=40)
    dimension = models.CharField("评价维度", max_length=20, blank=True)
    mode = models.CharField("适用渠道", max_length=7, blank=True)  # online / offline / "" = both
    text = models.CharField("评价理由", max_length=200)
    levels = models.JSONField("适用等级")

    class Meta:
        verbose_name = "评价理由"
        verbose_name_plural = "评价理由"
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["indicator_set", "code"], name="indicator_code_unique")]

    def __str__(self) -> str:
        return f"{self.code} {self.text}"


class Evaluation(AppendOnlyModel):
    """A citizen's rating of one service: at most one per service record, never changed.

    Later state (invalidation after an approved appeal) lives in other, audited tables.
    """

    record = models.OneToOneField(
        ServiceRecord, on_delete=models.PROTECT, related_name="evaluation", verbose_name="办件服务"
    )
    level = models.PositiveSmallIntegerField("总体评价", choices=Level.choices)
    commitment = models.PositiveSmallIntegerField("承诺履行", choices=Level.choices, null=True, blank=True)
    attitude = models.PositiveSmallIntegerField("服务态度", choices=Level.choices, null=True, blank=True)
    materials = models.PositiveSmallIntegerField("申请材料", choices=Level.choices, null=True, blank=True)
    efficiency = models.PositiveSmallIntegerField("办事效率", choices=Level.choices, null=True, blank=True)
    trips = models.PositiveSmallIntegerField("跑趟次数", choices=Level.choices, null=True, blank=True)
    mechanism = models.PositiveSmallIntegerField("服务机制", choices=Level.choices, null=True, blank=True)
    integrity = models.PositiveSmallIntegerField("勤政廉洁", choices=Level.choices, null=True, blank=True)
    # Not indexed: ratings are never looked up by indicator set version (one index less to
    # write per rating).
    indicator_set = models.ForeignKey(IndicatorSet, on_delete=models.PROTECT, db_index=False, verbose_name="指标体系")
    reasons = models.JSONField("评价理由编码", default=list)
    text = models.TextField("评价内容", blank=True)
    channel = models.PositiveSmallIntegerField("评价渠道", choices=Channel.choices)
    # Blank when the evaluator is the applicant of the service (the usual case): the identity
    # is then stored once, on the record, and not copied.
    evaluator_name = SM4EncryptedField("评价人", blank=True)
    evaluator_phone = SM4EncryptedField("评价人电话", blank=True)
    is_default = models.BooleanField("系统默认评价", default=False)
    evaluated_at = models.DateTimeField("评价时间", db_index=True)
    received_at = models.DateTimeField("接收时间", auto_now_add=True)
    # Not indexed: a system's list is "what it pushed or rated" (an OR across the record join,
    # which this index cannot serve); lists are read by time and unit instead.
    system = models.ForeignKey(
        BusinessSystem,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_index=False,
        related_name="evaluations",
        verbose_name="来源业务系统",
    )
    # Idempotency key of the submitting client (tablet offline queue, API retries).
    client_key = models.CharField(max_length=64, blank=True)
    # The record's unit and staff member, copied at intake (a pushed record never changes its
    # unit or staff: a push with other values is refused as a conflict). A unit's or a clerk's
    # rating list then reads their ratings newest first through the (unit, evaluated_at) and
    # (staff, unit, evaluated_at) indexes below, instead of walking every rating by time and
    # joining its record.
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, db_index=False, related_name="+", verbose_name="办理单位")
    staff = models.ForeignKey(
        Staff, null=True, blank=True, on_delete=models.PROTECT, db_index=False, related_name="+",
        verbose_name="工作人员",
    )  # fmt: skip

    class Meta:
        verbose_name = "评价"
        verbose_name_plural = "评价"
        ordering = ["-evaluated_at", "-id"]
        # The rating list's own filters with its ordering (its other filters are the record's,
        # served by the record's indexes); see docs/architecture.md, "Indexes".
        indexes = [
            models.Index(fields=["level", "evaluated_at"], name="evaluation_level_time_idx"),
            models.Index(fields=["channel", "evaluated_at"], name="evaluation_channel_time_idx"),
            # The few ratings with a text (about 1 in 100), by time: the 评价建议 list
            # (``outreach.selectors.ratings_with_suggestions``) reads these, not every rating.
            models.Index(fields=["evaluated_at"], condition=~Q(text=""), name="evaluation_text_time_idx"),
            models.Index(fields=["unit", "evaluated_at"], name="evaluation_unit_time_idx"),
            # A clerk's own ratings, read with their unit's id (``lone_unit_id``).
            models.Index(fields=["staff", "unit", "evaluated_at"], name="evaluation_staff_unit_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.record} → {self.get_level_display()}"

    def save(self, *args, **kwargs):
        self.copy_record_placement()
        super().save(*args, **kwargs)

    def copy_record_placement(self) -> None:
        """The record's unit and staff member onto the rating (before any INSERT of it)."""
        if self.unit_id is None:
            self.unit_id = self.record.unit_id
            self.staff_id = self.record.staff_id

    @property
    def is_bad(self) -> bool:
        return self.level <= Level.DISSATISFIED

    # The evaluator is the applicant unless the rating names someone else: the applicant's
    # masked form is then read from its column, without decrypting the record's identity.
    @property
    def evaluator_name_masked(self) -> str:
        return masked_evaluator_name(self.evaluator_name, self.record.applicant_name_masked)

    @property
    def evaluator_phone_masked(self) -> str:
        return masked_evaluator_phone(self.evaluator_phone, self.record.applicant_phone_masked)


def masked_evaluator_name(evaluator_name: str, applicant_name_masked: str) -> str:
    """``Evaluation.evaluator_name_masked`` from the values (a list export reads no instances)."""
    return mask_name(evaluator_name) if evaluator_name else applicant_name_masked


def masked_evaluator_phone(evaluator_phone: str, applicant_phone_masked: str) -> str:
    return mask_phone(evaluator_phone) if evaluator_phone else applicant_phone_masked


class RatingRequest(models.Model):
    """ "Please rate this service" sent to a window's tablet by the clerk or a business system.

    The tablet polls for its newest pending request and shows the rating screen; the request
    ends when the citizen rates, when a newer request replaces it, or when it expires.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "待显示"
        SHOWN = "shown", "已显示"
        DONE = "done", "已评价"
        REPLACED = "replaced", "已被新请求替代"
        EXPIRED = "expired", "已过期"

    device = models.ForeignKey("organizations.Device", on_delete=models.PROTECT, related_name="rating_requests")
    record = models.ForeignKey(ServiceRecord, on_delete=models.PROTECT, related_name="rating_requests")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.CharField("发起人", max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    shown_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "评价请求"
        verbose_name_plural = "评价请求"
        indexes = [models.Index(fields=["device", "status"], name="rating_request_device_idx")]

    def __str__(self) -> str:
        return f"{self.device_id}:{self.record_id}"
