"""Message templates (editable data) and the notification outbox."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from haochaping.core.fields import SM4EncryptedField, SM4EncryptedJSONField
from haochaping.core.masking import mask_phone
from haochaping.notifications.rendering import render_text


class Channel(models.TextChoices):
    SMS = "sms", "短信"
    INAPP = "inapp", "站内消息"


class MessageTemplate(models.Model):
    """A message text in Chinese with ``{placeholders}``, edited by administrators.

    Defaults are shipped by a data migration. Messages are rendered when they are queued, so
    an edit changes future messages only. For SMS sent through a provider (Aliyun), the
    provider's own approved template is what the citizen receives: keep the two in step, with
    the same variable names (see ``SMS_ALIYUN_TEMPLATES``).
    """

    code = models.CharField("模板代码", max_length=64, unique=True)
    channel = models.CharField("渠道", max_length=10, choices=Channel.choices)
    title = models.CharField("标题", max_length=200, blank=True)
    body = models.TextField("内容", help_text="用 {占位符} 引用变量，例如 {number}；未知的占位符会原样保留")
    is_active = models.BooleanField("启用", default=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "消息模板"
        verbose_name_plural = "消息模板"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} ({self.get_channel_display()})"

    def render(self, context: dict[str, Any]) -> tuple[str, str]:
        """(title, body) with ``context`` filled in; never raises."""
        return render_text(self.title, context), render_text(self.body, context)


class NotificationStatus(models.TextChoices):
    QUEUED = "queued", "待发送"
    SENDING = "sending", "发送中"  # a transport call is in progress (or its worker died during it)
    SENT = "sent", "已发送"  # accepted by the provider; in-app: in the inbox
    FAILED = "failed", "发送失败待重试"  # the provider refused or could not be reached; retried
    UNCERTAIN = "uncertain", "结果不明待核实"  # maybe sent: never resent without a provider check or an operator
    DEAD = "dead", "已放弃"


class Notification(models.Model):
    """One message, written to this outbox in the caller's transaction.

    SMS rows are delivered after commit by the ``notifications.deliver`` job; in-app rows are
    delivered by the commit itself (status ``sent``, they appear in the recipient's inbox).
    ``title``/``body`` are rendered at queue time. The phone number is SM4-encrypted and only
    ever shown masked; ``context``, ``last_error`` and audit events never hold it, and in-app
    messages never name the evaluator.
    """

    template_code = models.CharField("模板代码", max_length=64)
    channel = models.CharField("渠道", max_length=10, choices=Channel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="接收人",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    phone = SM4EncryptedField("手机号码", blank=True)
    phone_index = models.CharField(max_length=64, db_index=True, blank=True, editable=False)
    title = models.CharField("标题", max_length=200, blank=True)
    # Encrypted like the phone: an SMS carries one-time codes and signed rating links, which a
    # reader of the database must not be able to use (the rating link rates as the citizen).
    body = SM4EncryptedField("内容")
    context = SM4EncryptedJSONField("变量", default=dict, blank=True)
    # The template's placeholders with their values: the variables a provider template receives.
    template_params = SM4EncryptedJSONField("模板变量", default=dict, blank=True)
    status = models.CharField(
        "状态", max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.QUEUED
    )
    attempts = models.PositiveIntegerField("发送次数", default=0)
    provider = models.CharField("通道", max_length=20, blank=True)
    provider_message_id = models.CharField("通道回执号", max_length=100, blank=True)
    last_error = models.TextField("最近错误", blank=True)
    dedupe_key = models.CharField("去重键", max_length=200, null=True, blank=True, unique=True)
    # What the message is about, in the clear so that the inbox can group by it in SQL (the
    # context is encrypted): "case:<id>", "demand:<id>", "digest:<kind>"; "" for a message that
    # stands alone. Ids only, never identity.
    thread = models.CharField("主题", max_length=64, blank=True, default="", editable=False)
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    sending_started_at = models.DateTimeField("本次发送开始", null=True, blank=True)
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)
    read_at = models.DateTimeField("阅读时间", null=True, blank=True)

    class Meta:
        verbose_name = "消息"
        verbose_name_plural = "消息"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(channel=Channel.INAPP, recipient__isnull=False)
                    | (models.Q(channel=Channel.SMS, recipient__isnull=True) & ~models.Q(phone_index=""))
                ),
                name="notifications_one_recipient_per_channel",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notif_inbox_idx"),
            models.Index(fields=["recipient", "thread"], name="notif_thread_idx"),
            models.Index(fields=["status", "channel"], name="notif_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.template_code}#{self.pk} ({self.status})"

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    @property
    def recipient_label(self) -> str:
        """Who receives it, safe to show and log: a masked phone or the user id."""
        return self.phone_masked if self.channel == Channel.SMS else f"user:{self.recipient_id}"
