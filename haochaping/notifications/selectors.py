"""Reads: a user's own in-app inbox."""

from __future__ import annotations

from django.db.models import QuerySet

from haochaping.notifications.models import Channel, Notification, NotificationStatus


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
