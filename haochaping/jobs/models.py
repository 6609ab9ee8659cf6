"""The job table: every scheduled and after-commit piece of work, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class JobStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "执行中"
    FAILED = "failed", "失败待重试"  # the last attempt raised; retried at run_at
    DONE = "done", "已完成"
    DEAD = "dead", "已放弃"  # out of attempts (or unknown task); kept for inspection


UNFINISHED = [JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.FAILED]
CLAIMABLE = [JobStatus.QUEUED, JobStatus.FAILED]


class Job(models.Model):
    """One run of a registered task (``jobs.registry``), enqueued in the caller's transaction.

    ``args`` are keyword arguments for the task: ids and plain values, never identity data.
    ``unique_key`` makes enqueueing idempotent: at most one unfinished job holds a key.
    """

    name = models.CharField("任务", max_length=100)
    args = models.JSONField("参数", default=dict, blank=True)
    status = models.CharField("状态", max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    run_at = models.DateTimeField("计划执行时间", default=timezone.now)
    attempts = models.PositiveIntegerField("已尝试次数", default=0)
    max_attempts = models.PositiveSmallIntegerField("最多尝试次数", default=5)
    last_error = models.TextField("最近错误", blank=True)
    locked_by = models.CharField("执行者", max_length=100, blank=True)
    locked_until = models.DateTimeField("锁定至", null=True, blank=True)
    unique_key = models.CharField("去重键", max_length=200, null=True, blank=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)

    class Meta:
        verbose_name = "后台任务"
        verbose_name_plural = "后台任务"
        ordering = ["run_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["unique_key"],
                condition=models.Q(status__in=UNFINISHED),
                name="jobs_job_unique_unfinished_key",
            ),
        ]
        indexes = [
            # Partial indexes stay small while finished jobs accumulate (both databases have them).
            models.Index(fields=["run_at"], condition=models.Q(status__in=CLAIMABLE), name="jobs_job_due_idx"),
            models.Index(
                fields=["locked_until"], condition=models.Q(status=JobStatus.RUNNING), name="jobs_job_lease_idx"
            ),
            models.Index(fields=["status", "finished_at"], name="jobs_job_finished_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name}#{self.pk} ({self.status})"
