"""Reads: a user's own in-app inbox; the message templates."""

from __future__ import annotations

from django.db.models import QuerySet

from haochaping.core.errors import NotFound
from haochaping.notifications.defaults import DEFAULT_TEMPLATES, EXTRA_VARIABLES
from haochaping.notifications.models import Channel, MessageTemplate, Notification, NotificationStatus
from haochaping.notifications.rendering import placeholders


def inbox_for(user, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's own delivered in-app messages, newest first; never anyone else's."""
    if user is None or not user.is_authenticated:
        return Notification.objects.none()
    messages = Notification.objects.filter(recipient=user, channel=Channel.INAPP, status=NotificationStatus.SENT)
    if unread_only:
        messages = messages.filter(read_at__isnull=True)
    return messages.order_by("-created_at", "-id")


def unread_count(user) -> int:
    return inbox_for(user, unread_only=True).count()


def template_variables(code: str) -> list[str]:
    """The variables a template may use: those its sending code fills, i.e. those of the shipped
    default (this app's templates) or, for templates other apps ship, of the stored text."""
    for default_code, _channel, title, body in DEFAULT_TEMPLATES:
        if default_code == code:
            names = placeholders(title + body)
            return names + [name for name in EXTRA_VARIABLES.get(code, []) if name not in names]
    stored = MessageTemplate.objects.filter(code=code).values_list("title", "body").first()
    return placeholders(stored[0] + stored[1]) if stored else []


def message_template_list() -> list[tuple[MessageTemplate, list[str]]]:
    """Every message template, by channel and code, with the variables it may use."""
    return [(t, template_variables(t.code)) for t in MessageTemplate.objects.order_by("channel", "code")]


def message_template_get(*, code: str) -> MessageTemplate:
    template = MessageTemplate.objects.filter(code=code).first()
    if template is None:
        raise NotFound("消息模板不存在")
    return template
